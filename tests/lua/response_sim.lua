-- response_sim.lua — a marked Hawkes simulator with a known response kernel, for the
-- response-kernel tests and tests/bench/bench_response_hawkes.lua.
local tide = require "tide"
local T = tide.tensor
local DAY = 86400
local M = {}

-- per (user, item): browses / carts as Poisson(ρ) per day, buys by Ogata thinning of
-- λ(t) = μ + Σ w[type]·g(t − t_i), g(a) = p β1 e^(−β1 a) + (1 − p) β2 e^(−β2 a); g ≤ g(0)
-- so λ just after now bounds λ until the next event.
-- Gamma(shape a, rate 1) by Marsaglia & Tsang (2000), with the boost G(a + 1)·U^(1/a) for a < 1;
-- normals by Box–Muller
local function gamma1(a)
  if a < 1 then return gamma1(a + 1) * (1 - math.random()) ^ (1 / a) end
  local d = a - 1 / 3
  local c = 1 / math.sqrt(9 * d)
  while true do
    local x = math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
    local v = (1 + c * x) ^ 3
    if v > 0 and math.log(1 - math.random()) < 0.5 * x * x + d - d * v + d * math.log(v) then return d * v end
  end
end
M.gamma1 = gamma1

--- log_marginal(n, lam, kappa) -> log ∫ z^n e^(−zΛ) Gamma(z; κ, rate κ) dz by Simpson's rule on
--- [0, 80] after z = v^4 (which removes the z^(κ−1) singularity at 0 for κ < 1): the gamma-frailty
--- term computed independently of the closed form the engine uses
function M.log_marginal(n, lam, kappa)
  local function lgam(x) -- Stirling series with shift, |error| < 1e-10 for x > 0
    local s = 0
    while x < 8 do s = s - math.log(x); x = x + 1 end
    return s + (x - 0.5) * math.log(x) - x + 0.5 * math.log(2 * math.pi) + 1 / (12 * x) - 1 / (360 * x ^ 3) + 1 / (1260 * x ^ 5)
  end
  local K, b = 40000, 80 ^ 0.25
  local hstep, sum = b / K, 0
  for i = 0, K do
    local v = i * hstep
    local z = v ^ 4
    local f = z > 0 and 4 * v ^ 3 * math.exp((n + kappa - 1) * math.log(z) - z * (lam + kappa) + kappa * math.log(kappa) - lgam(kappa)) or 0
    sum = sum + f * ((i == 0 or i == K) and 1 or (i % 2 == 1 and 4 or 2))
  end
  return math.log(sum * hstep / 3)
end

--- arrivals(specs = {{mark, rate per day}, ...}, horizon) -> {{t, mark}, ...} by time: each
--- spec's Poisson arrivals on [0, horizon) (the simulator's browses and carts)
function M.arrivals(specs, horizon)
  local ex = {}
  for _, spec in ipairs(specs) do
    local t = -math.log(1 - math.random()) / spec[2]
    while t < horizon do ex[#ex + 1] = { t, spec[1] }; t = t - math.log(1 - math.random()) / spec[2] end
  end
  table.sort(ex, function(a, b) return a[1] < b[1] end)
  return ex
end

--- thin(hist, ex, lam, horizon, on_buy): buys on [0, horizon) by Ogata (1981) thinning of
--- lam(t), which reads hist; the arrivals ex (sorted {t, mark}) are appended to hist as they
--- come, and on_buy(t) is called per buy (it may append the buy to hist; returning true stops).
--- lam just after an event must bound lam until the next one (a non-increasing kernel).
function M.thin(hist, ex, lam, horizon, on_buy)
  local t, j = 0, 1
  while t < horizon do
    local nxt = ex[j] and ex[j][1] or horizon
    local bound = lam(t + 1e-12) + 1e-12
    local cand = t - math.log(1 - math.random()) / bound
    if cand >= nxt then
      if not ex[j] then break end
      hist[#hist + 1] = ex[j]; t = nxt; j = j + 1
    else
      t = cand
      if math.random() * bound <= lam(t) and on_buy(t) then return end
    end
  end
end

--- simulate(n_pairs, horizon_days, mu, w = {[code] = weight}, p, b1, b2, seed, items_per_user = 1,
--- kappa = nil, per_user = false) -> event table; pair q is user ceil(q / items_per_user), item
--- (q − 1) % items_per_user + 1. With kappa, each pair's buy intensity is multiplied by its own
--- frailty Z ~ Gamma(kappa, rate kappa) (mean 1, variance 1/kappa), or with per_user by one Z
--- shared by all pairs of a user; the frailties (one per pair) are returned second.
function M.simulate(n_pairs, horizon, mu, w, p, b1, b2, seed, ipu, kappa, per_user)
  ipu = ipu or 1
  math.randomseed(seed)
  local g0 = function(a) return p * b1 * math.exp(-b1 * a) + (1 - p) * b2 * math.exp(-b2 * a) end
  local rows, zs = {}, {}
  for pair = 1, n_pairs do
    local z = 1
    if kappa and per_user and (pair - 1) % ipu ~= 0 then z = zs[pair - 1]
    elseif kappa then z = gamma1(kappa) / kappa end
    zs[pair] = z
    local mu_p, g = mu * z, function(a) return z * g0(a) end
    local hist = {}
    local function lam(at)
      local s = mu_p
      for _, e in ipairs(hist) do if e[1] < at then s = s + w[e[2]] * g(at - e[1]) end end
      return s
    end
    M.thin(hist, M.arrivals({ { 1, 0.05 }, { 3, 0.02 } }, horizon), lam, horizon,
           function(t) hist[#hist + 1] = { t, 5 } end)
    for _, e in ipairs(hist) do rows[#rows + 1] = { pair, e[2], math.floor(e[1] * DAY) } end
  end
  table.sort(rows, function(a, b) return a[3] < b[3] end)
  local c = { user = {}, item = {}, event = {}, time = {} }
  for r, x in ipairs(rows) do
    c.user[r], c.item[r], c.event[r], c.time[r] = math.ceil(x[1] / ipu), (x[1] - 1) % ipu + 1, x[2], x[3]
  end
  return tide.data.from_columns{ user = T.fromtable(c.user, "i32"), item = T.fromtable(c.item, "i32"),
                                 event = T.fromtable(c.event, "i32"), time = T.fromtable(c.time, "i64") }, zs
end

--- planted(fit, mu, w = {[code] = weight}, theta) -> a tide.decay.response Fit like `fit` (its
--- key, target, unit, origin, family) but with the simulator's planted parameters: the oracle
--- scorer of the benchmarks (Fit:expected under the true law)
function M.planted(fit, mu, w, theta)
  local o = setmetatable({}, getmetatable(fit))
  for k, v in pairs(fit) do o[k] = v end
  o.mu, o.theta, o.weights = mu, theta, {}
  local S = require("tide.data.schema")
  for code, v in pairs(w) do o.weights[S.EVENT_NAMES[code]] = v end
  o.half_life, o.se_mu, o.se_weights, o.se_theta, o.par = nil, nil, nil, nil, nil
  return o
end

return M
