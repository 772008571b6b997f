-- test_abtest_simulate.lua — strategy evaluation on the simulator: the true effect equals the
-- paired counterfactual computed directly with tide.sim.future; the A/B estimate recovers a
-- planted effect; no effect gives a true effect of exactly 0; every accepted answer form of a
-- strategy selects the same users; errors name the strategy, replicate, id or option; and an
-- uplift model fit on observable history ranks users by the simulator's true per-user uplift.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local ab = tide.abtest
local T = tide.tensor
local tests = {}

local CFG = { users = 1500, seed = 21, churn = true }

local function everyone(users) return users end

function tests.true_effect_is_the_paired_counterfactual()
  local R, effect = 3, 0.8
  local res = ab.simulate(CFG, { strategies = { all = everyone }, replicates = R, effect = effect, metrics = { "retention", "visits" } })
  -- independently: for each replicate seed, every user treated vs nobody, same future streams
  local want_r, want_v = 0, 0
  for r = 1, R do
    local cfg = { users = CFG.users, seed = CFG.seed + r - 1, churn = true }
    local ids = {}
    for u = 1, CFG.users do ids[u] = u end
    local t = tide.sim.future(cfg, { users = ids, treated = T.ones({ CFG.users }, "i32"), effect = effect, window = 30 })
    local c = tide.sim.future(cfg, { users = ids, window = 30 })
    local dr = (t.returned:cast("f32"):sum():item() - c.returned:cast("f32"):sum():item()) / CFG.users
    local dv = (t.visits:cast("f32"):sum():item() - c.visits:cast("f32"):sum():item()) / CFG.users
    want_r, want_v = want_r + dr / R, want_v + dv / R
  end
  check.eq(res.users, CFG.users) -- join_visit: every simulated user has a history
  check.near(res.by.all.retention.true_effect, want_r, 1e-12)
  check.near(res.by.all.visits.true_effect, want_v, 1e-12)
  check.near(res.by.all.retention.treated_share, 1, 0)
end

function tests.planted_effect_recovered()
  local res = ab.simulate(CFG, { strategies = { all = everyone, none = function() return {} end },
    replicates = 12, effect = 1.0, metrics = { "retention", "reactivation" } })
  for _, m in ipairs({ "retention", "reactivation" }) do
    local row = res.by.all[m]
    check.truthy(row.true_effect > 0.05, m .. ": the planted incentive raises returns")
    check.truthy(row.lo <= row.true_effect and row.true_effect <= row.hi,
      ("%s: interval [%.4f, %.4f] covers the true effect %.4f"):format(m, row.lo, row.hi, row.true_effect))
    check.truthy(row.p < 0.01, m .. ": detected, p = " .. row.p)
    check.near(res.by.none[m].true_effect, 0, 0, m .. ": nobody treated, no effect")
    check.truthy(res.by.none[m].lo <= 0 and 0 <= res.by.none[m].hi, m .. ": null covered")
  end
  -- zero incentive: treated and control futures coincide exactly
  local z = ab.simulate(CFG, { strategies = { all = everyone }, replicates = 2, effect = 0, metrics = { "visits" } })
  check.near(z.by.all.visits.true_effect, 0, 0)
end

function tests.answer_forms_agree_and_doses_scale()
  local pick = function(users, ctx) -- dormant two weeks or more
    local out = {}
    for i, u in ipairs(users) do if ctx.features.recency[i] >= 14 then out[#out + 1] = u end end
    return out
  end
  local forms = {
    ids = pick,
    set = function(u, ctx) local s = {} for _, id in ipairs(pick(u, ctx)) do s[id] = true end return s end,
    mask = function(u, ctx) local m = {} for i in ipairs(u) do m[i] = ctx.features.recency[i] >= 14 end return m end,
    tensor = function(u, ctx) local m = {} for i in ipairs(u) do m[i] = ctx.features.recency[i] >= 14 and 1 or 0 end return T.fromtable(m, "i32") end,
    wrapped = { select = function(u, ctx) return { treated = pick(u, ctx) } end },
    actions = function(u, ctx) local s = {} for _, id in ipairs(pick(u, ctx)) do s[id] = { action = "coupon", value = 5 } end return s end,
    double = function(u, ctx) local s = {} for _, id in ipairs(pick(u, ctx)) do s[id] = 2 end return s end,
  }
  local res = ab.simulate(CFG, { strategies = forms, replicates = 2, effect = 0.5, metrics = { "retention" } })
  local t = res.by.ids.retention.true_effect
  for _, k in ipairs({ "set", "mask", "tensor", "wrapped", "actions" }) do check.near(res.by[k].retention.true_effect, t, 0, k) end
  check.truthy(res.by.double.retention.true_effect > t, "a double dose has a larger effect")
  check.truthy(res.by.ids.retention.treated_share > 0.1 and res.by.ids.retention.treated_share < 0.9, "a subset is treated")
end

function tests.context_hook_and_observable_log()
  -- a context builder replaces the default ctx; info.events() is the replicate's own log
  local seen = {}
  local res = ab.simulate({ users = 300, seed = 5, churn = true }, { replicates = 2, metrics = { "retention" },
    context = function(info)
      local ev = info.events()
      check.eq(ev.n_users, 300)
      seen[info.replicate] = ev.n
      return { idle = info.features.recency, users = info.users }
    end,
    strategies = { idle = function(users, ctx)
      local out = {}
      for i, u in ipairs(users) do if ctx.idle[i] > 20 then out[#out + 1] = u end end
      return out
    end } })
  check.truthy(seen[1] > 0 and seen[2] > 0 and seen[1] ~= seen[2], "each replicate has its own log")
  check.truthy(res.by.idle.retention.treated_share > 0, "the strategy read the built context")
  check.errors(function() ab.simulate(CFG, { strategies = { s = everyone }, context = 3 }) end, "'context' must be a function")
  check.errors(function() ab.simulate(CFG, { strategies = { s = everyone }, replicates = 1, context = function() error("no model") end }) end,
    "context failed in replicate 1: ")
  check.errors(function() ab.simulate(CFG, { strategies = { s = function() return { [3] = { value = 5 } } end }, replicates = 1 }) end,
    "a per-user action needs a string 'action' field")
end

function tests.simulate_errors()
  local S = function(f) return { strategies = { s = f }, replicates = 1 } end
  check.errors(function() ab.simulate(CFG, S(function() return { 99999 } end)) end, "selected id 99999 (entry 1) is not in the population")
  check.errors(function() ab.simulate(CFG, S(function() return "all" end)) end, "strategy 's': select must return")
  check.errors(function() ab.simulate(CFG, S(function() error("boom") end)) end, "strategy 's' failed in replicate 1: ")
  check.errors(function() ab.simulate(CFG, S(function() return { [1] = -1, [5] = 1 } end)) end, "dose must be")
  check.errors(function() ab.simulate(CFG, S({ pick = 1 })) end, "must be a function(users, ctx) or a table with select")
  check.errors(function() ab.simulate(CFG, S("/nonexistent/strategy.lua")) end, "cannot load '/nonexistent/strategy.lua'")
  check.errors(function() ab.simulate(CFG, { strategies = {} }) end, "'strategies' must be a table")
  check.errors(function() ab.simulate(CFG, { strategies = { s = everyone }, metrics = { "profit" } }) end, "metrics[1] 'profit' is not one of")
  check.errors(function() ab.simulate(CFG, { strategies = { s = everyone }, replicas = 3 }) end, "unknown option 'replicas'")
  check.errors(function() ab.simulate(CFG, { strategies = { control = everyone } }) end, "other than 'control'")
  check.errors(function() ab.simulate(CFG, { strategies = { s = everyone }, effect = -2 }) end, "'effect' has a bad value")
end

function tests.uplift_model_ranks_by_true_simulator_uplift()
  local population = require "tide.abtest.population"
  local ridge = require "tide.abtest.ridge"
  local function world(seed)
    local s = tide.sim.new { users = 4000, seed = seed, churn = true }
    local pop = population.build(s, {})
    local ids = T.fromtable(pop.users, "i32")
    local n = #pop.users
    local ones = T.ones({ n }, "i32")
    local y1 = s:future(ids, ones, 1.0, 30):totable()
    local y0 = s:future(ids, nil, 0, 30):totable()
    s:free()
    local X = {}
    for i = 1, n do local r = pop.X[i]; X[i] = { math.log(1 + r[1]), math.log(1 + r[2]), math.log(1 + r[3]), r[4] } end
    return X, y1, y0, n
  end
  -- training: a randomised experiment (hash assignment), outcome = the assigned arm's future
  local X, y1, y0, n = world(31)
  local arms = ab.assign((function() local t = {} for i = 1, n do t[i] = i end return t end)(), { salt = "uplift" })
  local y, tr = {}, {}
  for i = 1, n do tr[i] = arms[i] == "treatment" and 1 or 0; y[i] = tr[i] == 1 and y1[i] or y0[i] end
  local L = ab.uplift.t_learner { model = function() return ridge.new { l2 = 1 } end }:fit(X, y, tr)
  -- evaluation on a fresh population against its TRUE per-user uplift y1 - y0 (paired futures)
  local Xe, e1, e0, ne = world(32)
  local s = L:predict(Xe)
  local order = {}
  for i = 1, ne do order[i] = i end
  table.sort(order, function(a, b) return s[a] > s[b] end)
  local top, all, k = 0, 0, math.floor(ne * 0.2)
  for r = 1, ne do
    local u = e1[order[r]] - e0[order[r]]
    all = all + u / ne
    if r <= k then top = top + u / k end
  end
  check.truthy(top > 1.5 * all, ("true uplift of the model's top 20%%: %.4f vs %.4f for everyone"):format(top, all))
  -- the observed Qini of an experiment on the fresh population is positive for the model
  local ids = {}
  for i = 1, ne do ids[i] = i end
  local ea = ab.assign(ids, { salt = "uplift-eval" })
  local ye, te = {}, {}
  for i = 1, ne do te[i] = ea[i] == "treatment" and 1 or 0; ye[i] = te[i] == 1 and e1[i] or e0[i] end
  local q = ab.uplift.curve(s, ye, te)
  check.truthy(q.qini_coef > 0, "observed Qini coefficient " .. q.qini_coef)
end

return tests
