-- tide.abtest.simulate — evaluate strategies on the simulator before a live test.
--
-- One replicate = a fresh simulated population (cfg with seed + r - 1), observed up to the
-- log's end (the decision time). Each strategy sees only the observable history
-- (tide.abtest.population) and returns whom to treat; the population is split at random by
-- hash into a control arm and one arm per strategy; the window after the decision is
-- continued by tide.sim's future with the strategy's incentive for its selected users in its
-- arm. The simulator pairs every user's treated and untreated futures with common random
-- numbers, so besides the A/B ESTIMATE (arm minus control, Welch or CUPED) each replicate also
-- has the TRUE effect of deploying the strategy to the whole population:
-- mean_u [Y_u(strategy) - Y_u(nobody treated)].
-- Metrics per user over the window: retention (any return), visits, revenue (value_per_visit
-- x visits - cost x dose), reactivation (return, among users dormant >= dormant_days at the
-- decision). Across replicates: mean estimate with a t interval, mean true effect, and the
-- share of replicates whose interval covered that replicate's true effect.
local util = require("tide.abtest.util")
local population = require("tide.abtest.population")
local stats = require("tide.abtest.stats")
local assign = require("tide.abtest.assign")

local M = {}

M.METRICS = { "retention", "reactivation", "visits", "revenue" }
local KNOWN = { retention = 1, reactivation = 1, visits = 1, revenue = 1 }

--- simulate.strategy(s, name) -> {name, select}: accepts a function(users, ctx), a table with
--- select, or a path to a Lua file returning either (errors name the strategy).
function M.strategy(s, name)
  local where = ("abtest.simulate: strategy '%s'"):format(name)
  if type(s) == "string" then
    local chunk, err = loadfile(s)
    if not chunk then error(("%s: cannot load '%s': %s"):format(where, s, err), 0) end
    local ok, v = pcall(chunk)
    if not ok then error(("%s: '%s' failed: %s"):format(where, s, tostring(v)), 0) end
    s = v
  end
  if type(s) == "function" then return { name = name, select = s } end
  if type(s) ~= "table" or type(s.select) ~= "function" then
    error(where .. ": must be a function(users, ctx) or a table with select(users, ctx)", 0)
  end
  return { name = name, select = s.select, obj = s }
end

local function default_value(conf)
  -- expected spend per visit of the simulator's funnel: pv rows x buy rate x mean price
  local buys = conf.mean_pv * conf.p_click * conf.p_cart * conf.p_fav * conf.p_buy
  return buys * conf.price_median * math.exp(conf.price_sigma ^ 2 / 2)
end

local OPTS = { strategies = 1, replicates = 1, effect = 1, window = 1, population = 1, recent_days = 1,
               value_per_visit = 1, cost = 1, dormant_days = 1, level = 1, salt = 1, metrics = 1, cuped = 1 }

local function check(cfg, o)
  local fn = "abtest.simulate"
  if type(cfg) ~= "table" then error(fn .. ": argument #1 must be the simulator config table", 3) end
  o = util.opts(o, OPTS, fn)
  if type(o.strategies) ~= "table" or next(o.strategies) == nil then
    error(fn .. ": 'strategies' must be a table {name = strategy, ...}", 3)
  end
  local function num(k, def, ok)
    local v = o[k] == nil and def or o[k]
    if type(v) ~= "number" or not ok(v) then error(("%s: '%s' has a bad value %s"):format(fn, k, tostring(o[k])), 4) end
    return v
  end
  local c = {
    R = num("replicates", 10, function(v) return v >= 1 and v == math.floor(v) end),
    effect = num("effect", 0.5, function(v) return v > -1 and v < math.huge end),
    window = num("window", 30, function(v) return v > 0 and v < math.huge end),
    cost = num("cost", 0, function(v) return v >= 0 and v < math.huge end),
    dormant = num("dormant_days", 14, function(v) return v >= 0 end),
    level = util.level(o.level or 0.95, fn, "level"),
    salt = o.salt or "tide.abtest.simulate", metrics = o.metrics or M.METRICS,
    cuped = o.cuped, value = o.value_per_visit,
  }
  for i, m in ipairs(c.metrics) do
    if not KNOWN[m] then error(("%s: metrics[%d] '%s' is not one of %s"):format(fn, i, tostring(m), table.concat(M.METRICS, ", ")), 3) end
  end
  if c.cuped and not ({ recency = 1, frequency = 1, tenure = 1, recent = 1 })[c.cuped] then
    error(fn .. ": 'cuped' must name a pre-period feature (recency, frequency, tenure, recent)", 3)
  end
  c.strategies, c.names = {}, {}
  for name, s in pairs(o.strategies) do
    if type(name) ~= "string" or name == "control" or name == "holdout" then
      error(fn .. ": strategy names must be strings other than 'control' and 'holdout'", 3)
    end
    c.names[#c.names + 1] = name
    c.strategies[name] = M.strategy(s, name)
  end
  table.sort(c.names)
  return c, o
end

-- per-user outcomes of one policy (doses) for the population
local function outcomes(s, ids_t, doses, effect, window, base)
  local T = require("tide").tensor
  local ret, vis = {}, {}
  for i = 1, #doses do ret[i], vis[i] = base.ret[i], base.vis[i] end
  local groups = {}
  for i, d in ipairs(doses) do
    if d > 0 then groups[d] = groups[d] or {}; table.insert(groups[d], i) end
  end
  for d, idx in pairs(groups) do
    local sub = ids_t:index_select(1, T.fromtable(idx, "i64"))
    local r, _, v = s:future(sub, T.ones({ #idx }, "i32"), effect * d, window)
    r, v = r:totable(), v:totable()
    for j, i in ipairs(idx) do ret[i], vis[i] = r[j], v[j] end
  end
  return { ret = ret, vis = vis }
end

local function metric_values(m, out, doses, c, pop, value)
  local v = {}
  for i = 1, #pop.users do
    if m == "retention" or m == "reactivation" then v[i] = out.ret[i]
    elseif m == "visits" then v[i] = out.vis[i]
    else v[i] = value * out.vis[i] - c.cost * (doses and doses[i] or 0) end
  end
  return v
end

-- one replicate: per strategy and metric {estimate, lo, hi, truth, covered}
local function replicate(cfg, r, c)
  local T = require("tide").tensor
  local sim = require("tide").sim
  local cr = {}
  for k, v in pairs(cfg) do cr[k] = v end
  cr.seed = (cfg.seed or 1) + r - 1
  local s = sim.new(cr)
  local ok, res = pcall(function()
    local pop = population.build(s, { filter = c.population, recent_days = c.recent_days })
    local n = #pop.users
    if n < 8 then error(("abtest.simulate: the population has %d users in replicate %d (need >= 8)"):format(n, r), 0) end
    local ids_t = T.fromtable(pop.users, "i32")
    local r0, _, v0 = s:future(ids_t, nil, 0, c.window)
    local base = { ret = r0:totable(), vis = v0:totable() }
    local value = c.value or default_value(s:config())
    local arms = assign.assign(pop.users, { salt = c.salt .. "#" .. r, arms = { "control", unpack(c.names) } })
    local out = { n = n }
    for _, name in ipairs(c.names) do
      local ctx = { users = pop.users, features = pop, X = pop.X, visits = pop.visits, horizon = pop.horizon,
                    window = c.window, replicate = r, seed = cr.seed }
      local users = {}
      for i, u in ipairs(pop.users) do users[i] = u end
      local okk, ans = pcall(c.strategies[name].select, users, ctx)
      if not okk then error(("abtest.simulate: strategy '%s' failed in replicate %d: %s"):format(name, r, tostring(ans)), 0) end
      local doses = population.doses(ans, pop.users, ("abtest.simulate: strategy '%s'"):format(name))
      local pol = outcomes(s, ids_t, doses, c.effect, c.window, base)
      local res, treated = {}, 0
      for i = 1, n do if doses[i] > 0 then treated = treated + 1 end end
      for _, m in ipairs(c.metrics) do
        local ys, y0 = metric_values(m, pol, doses, c, pop, value), metric_values(m, base, nil, c, pop, value)
        local a, b, xa, xb, diff, cnt = {}, {}, {}, {}, 0, 0
        for i = 1, n do
          if m ~= "reactivation" or pop.recency[i] >= c.dormant then
            diff, cnt = diff + ys[i] - y0[i], cnt + 1
            local x = c.cuped and pop[c.cuped][i]
            if arms[i] == "control" then a[#a + 1] = y0[i]; xa[#xa + 1] = x
            elseif arms[i] == name then b[#b + 1] = ys[i]; xb[#xb + 1] = x end
          end
        end
        local e = { truth = cnt > 0 and diff / cnt or 0 / 0, n_a = #a, n_b = #b }
        local okw, w = pcall(function()
          if c.cuped then return require("tide.abtest.cuped").cuped(a, xa, b, xb, { level = c.level }) end
          return stats.welch(a, b, { level = c.level })
        end)
        if okw then e.estimate, e.lo, e.hi = w.estimate, w.lo, w.hi
        else e.estimate, e.lo, e.hi = 0 / 0, 0 / 0, 0 / 0; e.error = tostring(w) end
        e.covered = e.lo <= e.truth and e.truth <= e.hi
        res[m] = e
      end
      res.treated_share = treated / n
      out[name] = res
    end
    return out
  end)
  s:free()
  if not ok then error(res, 0) end
  return res
end

local function summary(list, level)
  local good = {}
  for _, v in ipairs(list) do if v == v then good[#good + 1] = v end end
  local R = #good
  if R == 0 then return { mean = 0 / 0 } end
  local m, v = util.mean_var(good)
  local se = math.sqrt(v / R)
  local q = R > 1 and util.t(0.5 + level / 2, R - 1) or 0 / 0
  local p = (R > 1 and se > 0) and util.p_t(m / se, R - 1) or (m == 0 and 1 or 0 / 0)
  return { mean = m, sd = math.sqrt(v), se = se, lo = m - q * se, hi = m + q * se, p = p, n = R }
end

--- simulate.simulate(cfg, {strategies = {name = strategy}, replicates = 10, effect = 0.5,
---   window = 30, population = nil | function(row) -> bool | {min_recency=, max_recency=,
---   min_frequency=}, recent_days = 30, value_per_visit = (funnel default), cost = 0,
---   dormant_days = 14, level = 0.95, salt = "tide.abtest.simulate", metrics = {...},
---   cuped = nil | "recent" | "frequency" | "recency" | "tenure"}) -> results
--- cfg: the tide.sim config (its seed is the first replicate's). strategy: function(users, ctx)
--- or {select = function(users, ctx)} or a path; ctx = {users, features (recency, frequency,
--- tenure, recent arrays aligned with users), X (rows of those), visits(id), horizon, window,
--- replicate, seed}; the answer: see tide.abtest.population.doses.
--- results: {rows = {{strategy, metric, estimate, lo, hi, p, true_effect, true_lo, true_hi,
---   coverage, treated_share, replicates}}, by = {[strategy][metric] = row}, replicates,
---   users (mean population size), effect, window, per_replicate = {...}}
function M.simulate(cfg, opts)
  local c = check(cfg, opts)
  c.population, c.recent_days = opts.population, opts.recent_days
  local reps = {}
  for r = 1, c.R do reps[r] = replicate(cfg, r, c) end
  local rows, by, users = {}, {}, 0
  for _, rep in ipairs(reps) do users = users + rep.n / c.R end
  for _, name in ipairs(c.names) do
    by[name] = {}
    for _, m in ipairs(c.metrics) do
      local est, tru, cov, share = {}, {}, 0, 0
      for r, rep in ipairs(reps) do
        local e = rep[name][m]
        est[r], tru[r] = e.estimate, e.truth
        if e.covered then cov = cov + 1 end
        share = share + rep[name].treated_share / c.R
      end
      local se, st = summary(est, c.level), summary(tru, c.level)
      local row = { strategy = name, metric = m, estimate = se.mean, lo = se.lo, hi = se.hi, p = se.p,
                    true_effect = st.mean, true_lo = st.lo, true_hi = st.hi, coverage = cov / c.R,
                    treated_share = share, replicates = c.R, sd = se.sd }
      rows[#rows + 1] = row
      by[name][m] = row
    end
  end
  return { rows = rows, by = by, replicates = c.R, users = users, effect = c.effect, window = c.window,
           per_replicate = reps }
end

return M
