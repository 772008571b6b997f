-- tide.strategy.forecast — per-user return forecasts at the decision time t from a fitted
-- return law (ctx.opts.forecast), in days:
--  * Hawkes law (tide.decay.hawkes.fit_events): intensity λ(t + τ) = μ + E·e^(−βτ) with
--    E = α Σ_i e^(−β(t − t_i)) over the user's visits up to and including t (looking forward,
--    a visit at t itself has happened); P(a visit within h) =
--    1 − exp(−(μh + E(1 − e^(−βh))/β)) (the compensator up to the first new visit, exact);
--    lapse(θ) = the τ where λ falls to θ: ln(E / (θ − μ)) / β, 0 if λ(t) ≤ θ already, never
--    (math.huge) if θ ≤ μ.
--  * decay fit (tide.decay.fit, per = "user" or "global"): with a = time since the last visit,
--    the forecast level is the relative interest I(t + τ)/I(t) = S(a + τ)/S(a) (tide.decay.forecast),
--    P(a visit within h) = 1 − S(a + h)/S(a); lapse(θ) = the τ where the level falls to θ
--    (bisection, all users at once through one C evaluation per step).
local M = {}
local DAY = 86400

local function law(c)
  local f = c.opts.forecast
  if not f then error("strategy.ctx: forecasts need opts.forecast (a Hawkes fit_events result or a decay fit)", 4) end
  return f
end

-- E_u at t for a Hawkes law (cached on the context): excitation from each user's past visits
local function excitation(c, h)
  if c._excitation then return c._excitation end
  local now, E = (c.t - h.origin) / h.unit, {}
  local fitted = {}
  for i, u in ipairs(h.users or {}) do fitted[u] = i end
  local s = require("tide.decay.seq").of(c.ev)
  for u = 1, c.n_users do
    local sum = 0
    if fitted[u] then
      local i = fitted[u]
      for p = h.off:get(i) + 1, h.off:get(i + 1) do
        local ti = h.times[p]
        if ti <= now then sum = sum + math.exp(-h.beta * (now - ti)) end
      end
    else -- users with too few visits for the fit: their raw event times
      for p = s.off:get(u) + 1, s.off:get(u + 1) do
        local ti = (s.time:get(p) - h.origin) / h.unit
        if ti <= now then sum = sum + math.exp(-h.beta * (now - ti)) end
      end
    end
    E[u] = h.alpha * sum
  end
  c._excitation = E
  return E
end

-- S(a_u + x_u)/S(a_u) for every user (x in fit units), decay fits
local function ratio(c, f, x)
  if f.per ~= "user" and f.per ~= "global" then
    error("strategy.ctx: a decay forecast needs a fit with per = 'user' or 'global', got " .. tostring(f.per), 4)
  end
  local core = require("tide").core.decay
  local ages, t, series = {}, {}, {}
  local n = c.n_users
  for u = 1, n do
    local s = f.per == "user" and u or 1
    ages[u] = c.idle[u] < math.huge and c.idle[u] * DAY / f.unit or 0 -- no visit yet: level 0 below
    t[u], t[n + u] = ages[u], ages[u] + (type(x) == "table" and x[u] or x)
    series[u], series[n + u] = s, s
  end
  local v = core.eval(f.family, f.k, f.theta, t, require("tide").tensor.fromtable(series, "i32")):totable()
  local out = {}
  for u = 1, n do out[u] = (v[u] > 0 and c.idle[u] < math.huge) and v[n + u] / v[u] or 0 end
  return out
end

local function is_hawkes(f) return f.mu ~= nil and f.beta ~= nil end

--- forecast.level(ctx, tau days) -> array: Hawkes intensity (per fit unit) or relative interest
function M.level(c, tau)
  local f, out = law(c), {}
  if is_hawkes(f) then
    local E, x = excitation(c, f), tau * DAY / f.unit
    for u = 1, c.n_users do out[u] = f.mu + E[u] * math.exp(-f.beta * x) end
    return out
  end
  return ratio(c, f, tau * DAY / f.unit)
end

--- forecast.return_prob(ctx, h days) -> array of P(at least one visit in (t, t + h])
function M.return_prob(c, h)
  local f, out = law(c), {}
  if is_hawkes(f) then
    local E, x = excitation(c, f), h * DAY / f.unit
    for u = 1, c.n_users do out[u] = 1 - math.exp(-(f.mu * x + E[u] * (1 - math.exp(-f.beta * x)) / f.beta)) end
    return out
  end
  for u, r in ipairs(ratio(c, f, h * DAY / f.unit)) do out[u] = 1 - r end
  return out
end

--- forecast.lapse(ctx, threshold, horizon days = 60) -> array of days until the level falls
--- below threshold (0: already below; math.huge: not within the horizon)
function M.lapse(c, thr, horizon)
  if type(thr) ~= "number" or thr ~= thr then error("strategy.ctx: lapse threshold must be a number", 3) end
  horizon = horizon or 60
  local f, out = law(c), {}
  if is_hawkes(f) then
    local E = excitation(c, f)
    for u = 1, c.n_users do
      local tau
      if f.mu + E[u] <= thr then tau = 0
      elseif thr <= f.mu then tau = math.huge
      else tau = math.log(E[u] / (thr - f.mu)) / f.beta * f.unit / DAY end
      out[u] = tau <= horizon and tau or math.huge
    end
    return out
  end
  local H = horizon * DAY / f.unit
  local lo, hi = {}, {}
  local at_h = ratio(c, f, H)
  for u = 1, c.n_users do lo[u], hi[u] = 0, H end
  for _ = 1, 40 do -- [lo, hi] brackets the crossing; 40 halvings reach ~1e-12 of the horizon
    local mid = {}
    for u = 1, c.n_users do mid[u] = (lo[u] + hi[u]) / 2 end
    local r = ratio(c, f, mid)
    for u = 1, c.n_users do if r[u] < thr then hi[u] = mid[u] else lo[u] = mid[u] end end
  end
  for u = 1, c.n_users do
    if thr >= 1 then out[u] = 0
    elseif at_h[u] >= thr then out[u] = math.huge
    else out[u] = hi[u] * f.unit / DAY end
  end
  return out
end

return M
