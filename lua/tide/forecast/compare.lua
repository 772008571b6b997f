-- tide.forecast.compare — when does each user come back? The last inter-visit gap of every
-- eligible user is held out; from the visits before it (up to the "cutoff", the next-to-last
-- visit) each method forecasts the time to the next visit, and the mean absolute error is
-- reported on the same users:
--   arima     per-user ARIMA on the daily visit-count series up to the cutoff day (auto_arima:
--             KPSS for d, AIC for p, q; white noise with mean if no candidate fits); the forecast
--             is the start of the first day by which the cumulative forecast rate reaches ln 2
--             (the median first arrival of a Poisson process with those daily rates)
--   gru       tide.forecast.gru_gap trained on the users' gap histories (the held-out gaps are
--             never seen)
--   hawkes    one exponential-kernel Hawkes law fitted on all histories (tide.decay.hawkes);
--             the median of the next arrival: mu tau + (A/beta)(1 - e^(-beta tau)) = ln 2, A =
--             alpha sum_i e^(-beta (cutoff - t_i))
--   last_gap, median_gap   naive baselines (the user's previous gap, the median of their gaps)
-- Forecasts are capped at opts.horizon (the Poisson / Hawkes median may not exist).
local tide = require "tide"
local arima = require "tide.forecast.arima"
local gru = require "tide.forecast.gru"

local M = {}
local UNITS = { second = 1, hour = 3600, day = 86400, week = 604800 }
local LN2 = math.log(2)

--- visits(ev, {unit = "day", min_gap = 1800, min_visits = 4}) -> array of {user = id, t =
--- {visit times in unit since the log's first event}} for users with >= min_visits visits;
--- events less than min_gap seconds after the previous one continue the same visit
function M.visits(ev, opts)
  opts = opts or {}
  local unit = UNITS[opts.unit or "day"] or error("forecast.visits: unit must be second, hour, day or week", 3)
  local s = require("tide.decay.seq").of(ev)
  local off, time = s.off:totable(), s.time:totable()
  local origin = math.huge
  for _, t in ipairs(time) do origin = math.min(origin, t) end
  local mg, out = opts.min_gap or 1800, {}
  for u = 1, s.n_users do
    local t, prev = {}, nil
    for p = off[u] + 1, off[u + 1] do
      local raw = time[p]
      if prev == nil or raw - prev >= mg then t[#t + 1] = (raw - origin) / unit end
      prev = raw
    end
    if #t >= (opts.min_visits or 4) then out[#out + 1] = { user = u, t = t } end
  end
  return out
end

local function median(xs)
  local s = { unpack(xs) }
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
end

-- ARIMA next-visit forecast for visit times t[1..k] (history ends at t[k] = cutoff)
local function arima_gap(t, H, o)
  local d0, dc = math.floor(t[1]), math.floor(t[#t])
  local counts = {}
  for d = d0, dc do counts[d - d0 + 1] = 0 end
  for _, v in ipairs(t) do local i = math.floor(v) - d0 + 1; counts[i] = counts[i] + 1 end
  local rates
  local ok, m = pcall(arima.auto_arima, counts, o)
  if ok then rates = m:forecast(H).mean
  else -- too short for any candidate: the mean daily rate (ARIMA(0,0,0) with mean)
    local s = 0
    for _, c in ipairs(counts) do s = s + c end
    rates = {}
    for h = 1, H do rates[h] = s / #counts end
  end
  local frac, cum = dc + 1 - t[#t], 0
  for h = 1, H do
    cum = cum + math.max(rates[h], 0)
    if cum >= LN2 then return h - 1 + frac, ok end
  end
  return H - 1 + frac, ok
end

-- Hawkes median next arrival after the cutoff t[#t]
local function hawkes_gap(p, t, H)
  local c, A = t[#t], 0
  for _, v in ipairs(t) do A = A + p.alpha * math.exp(-p.beta * (c - v)) end
  local function f(tau) return p.mu * tau + A / p.beta * (1 - math.exp(-p.beta * tau)) - LN2 end
  if f(H) < 0 then return H end
  local lo, hi = 0, H
  for _ = 1, 80 do
    local mid = (lo + hi) / 2
    if f(mid) < 0 then lo = mid else hi = mid end
  end
  return (lo + hi) / 2
end

--- compare(ev, opts) -> {n_users, mae = {arima, gru, hawkes, last_gap, median_gap},
---   rows = {{user, truth, arima, gru, hawkes, last_gap, median_gap}, ...}, hawkes = law,
---   arima_fitted = users whose auto_arima converged}. opts: users (max number of eligible
---   users, taken in id order, or an array of user ids), unit ("day"), min_gap (1800 s),
---   min_visits (4: at least 2 gaps of history), horizon (365 units), arima ({max_p = 2,
---   max_q = 1, max_d = 1}), gru (options of forecast.gru_gap)
function M.compare(ev, opts)
  opts = opts or {}
  local H = opts.horizon or 365
  local vis = M.visits(ev, { unit = opts.unit, min_gap = opts.min_gap, min_visits = math.max(opts.min_visits or 4, 4) })
  if type(opts.users) == "table" then
    local want, keep = {}, {}
    for _, u in ipairs(opts.users) do want[u] = true end
    for _, v in ipairs(vis) do if want[v.user] then keep[#keep + 1] = v end end
    vis = keep
  elseif type(opts.users) == "number" then
    vis = { unpack(vis, 1, math.min(#vis, opts.users)) }
  end
  if #vis == 0 then error("forecast.compare: no user has enough visits (min_visits " .. (opts.min_visits or 4) .. ")", 2) end
  local hist, gaps, truth = {}, {}, {}
  local times, off, t0, t1 = {}, { 0 }, {}, {}
  for i, v in ipairs(vis) do
    local k = #v.t
    hist[i] = { unpack(v.t, 1, k - 1) }
    truth[i] = v.t[k] - v.t[k - 1]
    local g = {}
    for j = 2, k - 1 do g[j - 1] = v.t[j] - v.t[j - 1] end
    gaps[i] = g
    for _, x in ipairs(hist[i]) do times[#times + 1] = x end
    off[#off + 1] = #times
    t0[i], t1[i] = hist[i][1], hist[i][k - 1]
  end
  local law = tide.decay.hawkes.fit(times, { off = tide.tensor.fromtable(off, "i64"), t0 = t0, t1 = t1 })
  local net = gru.fit(gaps, opts.gru)
  local gp = net:predict(gaps)
  local ao = opts.arima or { max_p = 2, max_q = 1, max_d = 1 }
  local names = { "arima", "gru", "hawkes", "last_gap", "median_gap" }
  local rows, sums, fitted = {}, {}, 0
  for _, nm in ipairs(names) do sums[nm] = 0 end
  for i, v in ipairs(vis) do
    local a, ok = arima_gap(hist[i], H, ao)
    fitted = fitted + (ok and 1 or 0)
    local r = { user = v.user, truth = truth[i], arima = a, gru = math.min(gp[i], H), hawkes = hawkes_gap(law, hist[i], H),
                last_gap = gaps[i][#gaps[i]], median_gap = median(gaps[i]) }
    for _, nm in ipairs(names) do sums[nm] = sums[nm] + math.abs(r[nm] - r.truth) end
    rows[i] = r
  end
  local mae = {}
  for _, nm in ipairs(names) do mae[nm] = sums[nm] / #vis end
  return { n_users = #vis, mae = mae, rows = rows, hawkes = law, arima_fitted = fitted, unit = opts.unit or "day" }
end

return M
