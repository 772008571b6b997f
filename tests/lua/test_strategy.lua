-- test_strategy.lua — tide.strategy and examples/strategies/*.lua on a small simulated log:
-- selections obey thresholds, quantiles and budgets; forecasts (Hawkes, decay fits) agree
-- with closed forms and with the engine's own Hawkes functions; bad strategy files and bad
-- select results give errors naming the file.
local tide = require "tide"
local check = require "check"
local R = require "reco_util"
local U = require "decay_util"
local T = tide.tensor
local tests = {}

local DIR = "examples/strategies/"
local function load(name) return tide.strategy.load(DIR .. name .. ".lua") end

-- deterministic per-user numbers in [0, 1)
local function numbers(n, seed)
  local r, out = U.rng(seed), {}
  for u = 1, n do out[u] = r() end
  return out
end

function tests.examples_load_and_are_short()
  for _, n in ipairs({ "churn_warning", "coupon_budget", "coupon_uplift", "push_timing", "rerank_at_risk" }) do
    local s = load(n)
    check.eq(s.name, n, "name"); check.truthy(#s.description > 10, "description")
    local lines = 0
    for _ in io.lines(DIR .. n .. ".lua") do lines = lines + 1 end
    check.truthy(lines <= 60, n .. " is at most ~60 lines")
    check.truthy(R.slurp(DIR .. n .. ".lua"):find("copy this file", 1, true), n .. " says how to copy it")
  end
end

function tests.churn_warning_threshold_and_quantile()
  local ev = R.log()
  local risk = numbers(ev.n_users, 5)
  local ctx = tide.strategy.ctx(ev, { risk = risk })
  local res = load("churn_warning"):run(ctx.users, ctx)
  local eligible, minsel = 0, math.huge
  for u = 1, ev.n_users do if risk[u] >= 0.5 then eligible = eligible + 1 end end
  check.eq(res.n, math.min(eligible, 15), "ceil(0.1 x 150) = 15 users")
  local sel = {}
  for _, u in ipairs(res.treated) do
    check.truthy(risk[u] >= 0.5, "above the threshold"); sel[u] = true
    minsel = math.min(minsel, risk[u])
  end
  for u = 1, ev.n_users do if not sel[u] then check.truthy(risk[u] <= minsel, "the riskiest were taken") end end
  -- P(return) as a tensor: risk = 1 − p; params override the defaults
  local p = T.fromtable(numbers(ev.n_users, 6))
  local c2 = tide.strategy.ctx(ev, { activation = p, params = { threshold = 0.9, q = 1 } })
  local r2 = load("churn_warning"):run(c2.users, c2)
  local want = 0
  for u = 1, ev.n_users do if 1 - p:get(u) >= 0.9 then want = want + 1 end end
  check.eq(r2.n, want, "all users with 1 − p >= 0.9")
  check.near(c2.risk[3], 1 - p:get(3), 1e-7, "risk = 1 − P(return)")
end

function tests.coupon_budget_rule()
  local ev = R.log()
  local pr = numbers(ev.n_users, 7)
  local ctx = tide.strategy.ctx(ev, { activation = pr, budget = 50, cost = 7, value = 5 })
  -- ctx.interest equals the dense profile's row sums (an independent C path)
  local dense = tide.decay.profile(ev, { half_life = 7, dense = true }):sum(2):totable()
  for u = 1, ev.n_users do check.near(ctx.interest[u], dense[u], 1e-4, "interest of user " .. u) end
  local res = load("coupon_budget"):run(ctx.users, ctx)
  local sorted = {}
  for u = 1, ev.n_users do sorted[u] = ctx.interest[u] end
  table.sort(sorted)
  local median = sorted[75]
  local eligible = {}
  for u = 1, ev.n_users do if ctx.interest[u] <= median and pr[u] >= 0.5 then eligible[#eligible + 1] = u end end
  check.eq(res.n, math.min(#eligible, 7), "floor(50 / 7) = 7 coupons at most")
  check.truthy(res.n * 7 <= 50, "within budget")
  local minp = math.huge
  for _, u in ipairs(res.treated) do
    local a = res.actions[u]
    check.eq(a.action, "coupon"); check.eq(a.value, 5)
    check.truthy(ctx.interest[u] <= median and pr[u] >= 0.5, "low interest and high P(return)")
    minp = math.min(minp, pr[u])
  end
  for _, u in ipairs(eligible) do if not res.actions[u] then check.truthy(pr[u] <= minp, "greedy by P(return)") end end
  local none = tide.strategy.ctx(ev, { activation = pr, budget = 6, cost = 7 })
  check.eq(load("coupon_budget"):run(none.users, none).n, 0, "a budget below one coupon buys none")
end

function tests.coupon_uplift_stops_at_cost_and_budget()
  local ev = R.log()
  local up = numbers(ev.n_users, 8)
  for u = 1, ev.n_users do up[u] = up[u] * 0.4 end
  local function run(budget)
    local ctx = tide.strategy.ctx(ev, { uplift = T.fromtable(up), budget = budget, cost = 2, value = 10 })
    return load("coupon_uplift"):run(ctx.users, ctx)
  end
  local paying = 0
  for u = 1, ev.n_users do if up[u] * 10 >= 2 then paying = paying + 1 end end
  local free = run(nil)
  check.eq(free.n, paying, "no budget: every user with uplift x value >= cost")
  local res = run(20)
  check.eq(res.n, math.min(paying, 10), "budget 20 at cost 2")
  local minup = math.huge
  for _, u in ipairs(res.treated) do check.truthy(up[u] * 10 >= 2, "pays off"); minup = math.min(minup, up[u]) end
  for u = 1, ev.n_users do if not res.actions[u] then check.truthy(up[u] <= minup + 1e-7, "top uplift first") end end
end

function tests.push_timing_hawkes()
  local ev = R.log()
  local h = tide.decay.hawkes.fit_events(ev, { unit = "day" })
  local thr = h.mu * 3
  local ctx = tide.strategy.ctx(ev, { forecast = h, params = { threshold = thr, lead = 0.5, horizon = 1e9 } })
  local res = load("push_timing"):run(ctx.users, ctx)
  local now = (ctx.t - h.origin) / h.unit
  local lam = ctx:level(0)
  local checked = 0
  for i, u in ipairs(h.users) do
    local times = {}
    for p = h.off:get(i) + 1, h.off:get(i + 1) do times[#times + 1] = h.times[p] end
    -- the engine's intensity and P(visit) agree with the context's closed forms
    -- (just after now: the forecast counts a visit at t itself, the intensity is left-continuous)
    check.near(lam[u], h:intensity(times, now + 1e-12), 1e-7, "intensity now")
    check.near(ctx:return_prob(7)[u], h:prob(times, now, 7), 1e-9, "P(visit within 7 days)")
    local a = res.actions[u]
    if lam[u] > thr then
      check.truthy(a ~= nil, "user above the threshold gets a push")
      local tau = a.lapse_days
      check.near(h:intensity(times, now + tau), thr, 1e-6, "intensity at the lapse = threshold")
      check.near(a.at, ctx.t + math.max(0, tau - 0.5) * 86400, 1e-6, "push lead days before")
      checked = checked + 1
    else
      check.eq(a.at, ctx.t, "already below: push now")
    end
  end
  check.truthy(checked > 0, "some users lapse later")
  -- a threshold at or below μ is never reached: no pushes
  local c2 = tide.strategy.ctx(ev, { forecast = h, params = { threshold = h.mu * 0.9 } })
  check.eq(load("push_timing"):run(c2.users, c2).n, 0, "no lapse below the baseline rate")
end

function tests.push_timing_decay_fit_closed_form()
  local ev = R.log()
  local f = tide.decay.fit(ev, { family = "exponential", per = "user", min_gap = 1800 })
  local ctx = tide.strategy.ctx(ev, { forecast = f, params = { threshold = 0.25, lead = 0, horizon = 1e6 } })
  local res = load("push_timing"):run(ctx.users, ctx)
  local p7 = ctx:return_prob(7)
  for u = 1, ev.n_users do
    local lambda = f.theta:get(u, 1)
    -- exponential: I(t + τ)/I(t) = e^(−λτ), so τ = ln 4 / λ; P(visit in 7 days) = 1 − e^(−7λ)
    check.near(res.actions[u].lapse_days, math.log(4) / lambda, 1e-4, "lapse of user " .. u)
    check.near(p7[u], 1 - math.exp(-7 * lambda), 1e-5, "P(return) of user " .. u)
  end
  local bad = tide.strategy.ctx(ev, { forecast = tide.decay.fit(ev, { per = "category" }) })
  check.errors(function() bad:lapse(0.5) end, "per = 'user' or 'global'")
end

function tests.decision_time_inside_the_log()
  local ev = R.log()
  local t_end = require("tide.decay.seq").t_end(ev)
  local t = t_end - 20 * 86400
  local ctx = tide.strategy.ctx(ev, { t = t, forecast = tide.decay.fit(ev, { per = "user" }) })
  -- brute force over the rows: the last event at or before t
  local last = {}
  for e = 1, ev.user:numel() do
    local u, tt = ev.user:get(e), ev.time:get(e)
    if tt <= t and (last[u] == nil or tt > last[u]) then last[u] = tt end
  end
  local before = 0
  for u = 1, ev.n_users do
    if last[u] then check.near(ctx.idle[u], (t - last[u]) / 86400, 1e-9, "idle of user " .. u); before = before + 1
    else check.eq(ctx.idle[u], math.huge, "no event by t") ; check.eq(ctx:level(1)[u], 0, "no level before a first visit") end
  end
  check.truthy(before > 0, "users active before t")
  -- interest at t ignores later events: equals the profile of the rows up to t
  local keep = {}
  for e = 1, ev.user:numel() do if ev.time:get(e) <= t then keep[#keep + 1] = e end end
  local idx = T.fromtable(keep, "i32")
  local past = { user = ev.user:index_select(1, idx), item = ev.item:index_select(1, idx), time = ev.time:index_select(1, idx),
                 category = ev.category:index_select(1, idx), n_users = ev.n_users, n_items = ev.n_items, n_categories = ev.n_categories }
  local dense = tide.decay.profile(past, { half_life = 7, at = t, dense = true }):sum(2):totable()
  for u = 1, ev.n_users do check.near(ctx.interest[u], dense[u], 1e-4, "interest at t, user " .. u) end
end

function tests.rerank_at_risk_lists()
  local ev = R.log()
  local risk = numbers(ev.n_users, 9)
  local sar = tide.models.sar{ half_life = 10 }:fit(ev)
  local ctx = tide.strategy.ctx(ev, { risk = risk, models = { sar }, activation = numbers(ev.n_users, 10) })
  local res = load("rerank_at_risk"):run(ctx.users, ctx)
  local want = 0
  for u = 1, ev.n_users do if risk[u] >= 0.6 then want = want + 1 end end
  check.eq(res.n, want, "every at-risk user")
  for _, u in ipairs(res.treated) do
    local a = res.actions[u]
    check.truthy(risk[u] >= 0.6, "at risk"); check.eq(a.action, "rerank"); check.eq(#a.items, 10, "k items")
    local seen = {}
    for e = 1, ev.user:numel() do if ev.user:get(e) == u then seen[ev.item:get(e)] = true end end
    for r, it in ipairs(a.items) do
      check.truthy(not seen[it], "no seen items")
      check.truthy(a.reasons[r] == "model" or a.reasons[r] == "interest", "reason")
    end
  end
  local c2 = tide.strategy.ctx(ev, { risk = risk })
  check.errors(function() load("rerank_at_risk"):run(c2.users, c2) end, "needs opts.models")
end

function tests.activation_model_and_missing_users()
  local ev = R.log()
  -- a stand-in activation model: P(return) = the single feature; frame rows for some users
  local model = { predict = function(_, X) return X:select(2, 1) end }
  local rows, X = { 9, 2, 150, 40 }, T.fromtable({ { 0.1 }, { 0.2 }, { 0.3 }, { 0.4 } })
  local ctx = tide.strategy.ctx(ev, { activation = model, features = { X = X, users = rows }, missing = 0.5 })
  check.near(ctx.p_return[9], 0.1, 1e-7, "row 1 -> user 9"); check.near(ctx.p_return[150], 0.3, 1e-7, "row 3 -> user 150")
  check.near(ctx.p_return[1], 0.5, 0, "a user without a row takes opts.missing")
  check.near(ctx.risk[40], 0.6, 1e-7, "risk = 1 − P(return)")
  local strict = tide.strategy.ctx(ev, { activation = model, features = { X = X, users = rows } })
  check.errors(function() return strict.p_return end, "activation has no value for user 1")
  check.errors(function() return tide.strategy.ctx(ev, { activation = model }).p_return end, "needs opts.features")
  local all = T.full({ ev.n_users, 1 }, 0.25)
  check.near(tide.strategy.ctx(ev, { activation = model, features = all }).p_return[77], 0.25, 1e-7, "X for users 1..n")
  check.errors(function() return tide.strategy.ctx(ev, { activation = T.full({ ev.n_users }, 1.5) }).p_return end,
    "is not a probability")
  check.errors(function() return tide.strategy.ctx(ev, { uplift = { 0.1 } }).uplift end, "uplift has no value for user 2")
end

-- a strategy file with the given select body
local function write(name, body, header)
  local p = R.path(name .. ".lua")
  R.spit(p, header or ("return { name = '" .. name .. "', description = 'test', select = function(users, ctx) " .. body .. " end }\n"))
  return p
end

function tests.bad_strategies_name_their_file()
  local ev = R.log()
  local ctx = tide.strategy.ctx(ev, { risk = numbers(ev.n_users, 1) })
  local function fails(name, body, pattern, header)
    local p = write(name, body, header)
    local e = check.errors(function() tide.strategy.load(p):run(ctx.users, ctx) end, pattern, name)
    check.truthy(tostring(e):find(p, 1, true), name .. ": the error names the file: " .. tostring(e))
  end
  fails("number", "return 5", "returned a number")
  fails("unknown", "return { 3, 9999 }", "unknown user id 9999")
  fails("strings", "return { 3, 'x' }", "entry 2 is a string")
  fails("setbad", "return { [4] = 'yes' }", "returned string for user 4")
  fails("noaction", "return { [4] = { value = 3 } }", "no string 'action'")
  fails("novalue", "return { [4] = { action = 'coupon' } }", "needs a number 'value'")
  fails("noat", "return { [4] = { action = 'push', at = 0/0 } }", "needs a number 'at'")
  fails("throws", "error('boom')", "select failed")
  fails("notsel", "", "'select' must be a function", "return { name = 'x', description = 'd' }\n")
  fails("noname", "", "'name' must be", "return { description = 'd', select = function() end }\n")
  fails("syntax", "", "syntax", "return { name = \n")
  fails("notable", "", "must return a table", "return 42\n")
  -- a subset of users: ids outside it are unknown even if they exist in the log
  local p = write("outside", "return { 5 }")
  check.errors(function() tide.strategy.load(p):run({ 1, 2 }, ctx) end, "unknown user id 5")
  -- accepted forms: set, array, actions; false means not treated
  local ok = tide.strategy.load(write("set", "return { [2] = true, [5] = false, [7] = { action = 'note' } }"))
  local r = ok:run(ctx.users, ctx)
  check.all_near(r.treated, { 2, 7 }, 0, "set with an action"); check.eq(r.actions[7].action, "note")
  check.errors(function() tide.strategy.load(42) end, "path must be a string")
  check.errors(function() tide.strategy.ctx(ev, { t = "now" }) end, "opts.t must be")
  check.errors(function() return tide.strategy.ctx(ev, {}).p_return end, "needs opts.activation")
  check.errors(function() return tide.strategy.ctx(ev, { risk = { 0 / 0 } }).risk end, "risk[1] is not a number")
end

return tests
