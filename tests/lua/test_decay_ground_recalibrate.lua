-- test_decay_ground_recalibrate.lua — the marked kernel's expected visits recalibrated on the
-- horizon before the decision time (tide.decay.ground_recalibrate): the Poisson regression
-- recovers planted coefficients and zeroes its score equations; Marked:expected's visits equal
-- the regression recomputed here from a visits table built by hand; no peeking past t; the
-- fallbacks (short log, recalibrate = false) and the option's errors.
local check = require "check"
local tide = require "tide"
local RC = require "tide.decay.ground_recalibrate"
local RM = require "tide.decay.response_marked"

local tests = {}
local DAY = 86400

local function poisson(mu)
  local L, k, p = math.exp(-mu), 0, 1
  repeat k = k + 1; p = p * math.random() until p <= L
  return k - 1
end

function tests.poisson_regression_recovers_planted_coefficients()
  math.randomseed(7)
  local X1, X2, y = {}, {}, {}
  for i = 1, 20000 do
    X1[i], X2[i] = math.random() * 2 - 1, math.random() * 3 - 1.5
    y[i] = poisson(math.exp(0.5 + 0.7 * X1[i] - 0.4 * X2[i]))
  end
  local p = RC.poisson3(X1, X2, y)
  check.near(p.c, 0.5, 0.03, "intercept")
  check.near(p.a, 0.7, 0.03, "slope of X1")
  check.near(p.b, -0.4, 0.02, "slope of X2")
  -- the maximum: the score equations Σ (y − μ)·x vanish
  local g = { 0, 0, 0 }
  for i = 1, #y do
    local r = y[i] - math.exp(p.c + p.a * X1[i] + p.b * X2[i])
    g[1], g[2], g[3] = g[1] + r, g[2] + r * X1[i], g[3] + r * X2[i]
  end
  for j = 1, 3 do check.near(g[j], 0, 1e-5, "score equation " .. j) end
  check.truthy(RC.poisson3({ 0, 1, 2 }, { 1, 0, 1 }, { 0, 0, 0 }) == nil, "no events: no fit")
end

-- users with rates from 0.05 to 1 visit per day, a few keys, 40 % of events are buys
local function log(seed, n_users, days)
  math.randomseed(seed)
  local U, I, Tm, E = {}, {}, {}, {}
  for u = 1, n_users do
    local rate, t = 0.05 + 0.95 * math.random(), math.random() * 10
    while t < days do
      U[#U + 1], I[#I + 1], Tm[#Tm + 1] = u, 1 + math.floor(math.random() * 5), math.floor(t * DAY)
      E[#E + 1] = math.random() < 0.4 and "buy" or "browse"
      t = t - math.log(1 - math.random()) / rate
    end
  end
  return tide.data.from_columns{ user = U, item = I, time = Tm, event = E }
end

-- one row per visit (a run of events with gaps of at most `gap` seconds), keyed by the user
local function visits_by_hand(ev, gap)
  local u, tm = ev.user:totable(), ev.time:totable()
  local order = {}
  for i = 1, #u do order[i] = i end
  table.sort(order, function(a, b) if u[a] ~= u[b] then return u[a] < u[b] end return tm[a] < tm[b] end)
  local U, Tm, E, prev = {}, {}, {}, {}
  for _, i in ipairs(order) do
    if not prev[u[i]] or tm[i] - prev[u[i]] > gap then U[#U + 1], Tm[#Tm + 1], E[#E + 1] = u[i], tm[i], "buy" end
    prev[u[i]] = tm[i]
  end
  return tide.data.from_columns{ user = U, item = U, time = Tm, event = E, n_users = ev.n_users, n_items = ev.n_users }
end

function tests.expected_visits_are_the_regression_on_the_last_horizon()
  local ev = log(3, 300, 120)
  local f = tide.decay.response.fit_marked(ev, { key = "item", family = "exponential" })
  local t, h = ev.time:max():item() + 1, 14
  local e = f:expected(ev, t, h)
  local p = e.calibration
  check.truthy(p and p.c == p.c and p.a == p.a and p.b == p.b, "a calibration")
  -- the regression recomputed: visits per user before the cut and inside [cut, t)
  local vis = visits_by_hand(ev, f.delay * f.unit)
  local cut = t - h * DAY
  local vu, vt = vis.user:totable(), vis.time:totable()
  local before, inside, first = {}, {}, {}
  for i = 1, #vu do
    local u = vu[i]
    first[u] = math.min(first[u] or math.huge, vt[i])
    if vt[i] < cut then before[u] = (before[u] or 0) + 1 else inside[u] = (inside[u] or 0) + 1 end
  end
  local g = f.ground:expected(vis:filter(vis.time:lt(cut)), cut, h)
  local gu, gs = g.user:totable(), g.score:totable()
  local R, V, X1, y = {}, {}, {}, {}
  for i = 1, #gu do
    if before[gu[i]] then
      R[#R + 1], V[#V + 1] = before[gu[i]], (cut - first[gu[i]]) / DAY
      X1[#X1 + 1], y[#y + 1] = math.log(gs[i]), inside[gu[i]] or 0
    end
  end
  local m, a0 = RM.rate_prior(R, V)
  local X2 = {}
  for k = 1, #R do X2[k] = math.log((R[k] + a0) / (V[k] + a0 / m)) end
  local q = RC.poisson3(X1, X2, y)
  check.near(p.c, q.c, 1e-9, "intercept")
  check.near(p.a, q.a, 1e-9, "slope of log E")
  check.near(p.b, q.b, 1e-9, "slope of log long-run rate")
  -- each user's visits at t: the regression applied to E and the long-run rate at t
  local now = f.ground:expected(vis, t, h)
  local E0 = {}
  for i, u in ipairs(now.user:totable()) do E0[u] = now.score:totable()[i] end
  local eu, ev_ = e.user:totable(), e.visits:totable()
  for i = 1, #eu, 7 do
    local u = eu[i]
    local n = (before[u] or 0) + (inside[u] or 0)
    local r = (n + a0) / ((t - first[u]) / DAY + a0 / m)
    check.near(ev_[i], math.exp(p.c + p.a * math.log(E0[u]) + p.b * math.log(r)), 1e-6 * ev_[i], "user " .. u) -- a float column
  end
  -- never peeks past t; and off, the visits are the ground's own expectation
  local later = f:expected(ev:filter(ev.time:lt(t - 3 * DAY)), t - 3 * DAY, h)
  local again = f:expected(ev, t - 3 * DAY, h)
  check.eq(later.calibration.c, again.calibration.c, "rows after t are not read")
  f.recalibrate = false
  local raw = f:expected(ev, t, h)
  check.truthy(raw.calibration == nil, "no calibration when off")
  for i, u in ipairs(raw.user:totable()) do
    if i % 7 == 1 then check.near(raw.visits:totable()[i], E0[u], 1e-6 * E0[u], "the ground's expectation") end
  end
end

function tests.short_logs_keep_the_grounds_expectation_and_bad_options_are_named()
  local ev = log(5, 100, 25)
  local f = tide.decay.response.fit_marked(ev, { key = "item", family = "exponential" })
  local t0 = ev.time:min():item()
  check.truthy(f:expected(ev, t0 + 15 * DAY, 14).calibration, "history before the last horizon: a calibration")
  local e = f:expected(ev, t0 + 13 * DAY, 14)
  check.truthy(e.calibration == nil, "the log starts inside the last horizon: none")
  check.errors(function() tide.decay.response.fit_marked(ev, { recalibrate = "yes" }) end,
    "recalibrate must be true or false")
  -- the option survives a save / load
  local g = tide.decay.response.fit_marked(ev, { key = "item", family = "exponential", recalibrate = false })
  local path = os.tmpname()
  g:save(path)
  check.eq(tide.decay.load(path).recalibrate, false, "off after a reload")
  f:save(path)
  check.eq(tide.decay.load(path).recalibrate, true, "on after a reload")
  os.remove(path)
end

return tests
