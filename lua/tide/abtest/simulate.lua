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
local run_replicate = require("tide.abtest.simulate_rep")

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

local OPTS = { strategies = 1, replicates = 1, effect = 1, window = 1, population = 1, recent_days = 1,
               value_per_visit = 1, cost = 1, dormant_days = 1, level = 1, salt = 1, metrics = 1, cuped = 1,
               context = 1 }

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
--- replicate, seed, cfg, events() -> the replicate's observable log as tide.data events}; with
--- context = function(info) -> ctx, strategies get that ctx instead (info is the table above),
--- e.g. function(i) return tide.strategy.ctx(i.events(), {...}) end for tide.strategy files.
--- The answer: see tide.abtest.population.doses.
--- With replicates = 1 the interval and p are that replicate's Welch (or CUPED) ones.
--- results: {rows = {{strategy, metric, estimate, lo, hi, p, true_effect, true_lo, true_hi,
---   coverage, treated_share, replicates}}, by = {[strategy][metric] = row}, replicates,
---   users (mean population size), effect, window, per_replicate = {...}}
function M.simulate(cfg, opts)
  local c = check(cfg, opts)
  c.population, c.recent_days, c.context = opts.population, opts.recent_days, opts.context
  if c.context ~= nil and type(c.context) ~= "function" then
    error("abtest.simulate: 'context' must be a function(info) -> ctx", 2)
  end
  local reps = {}
  for r = 1, c.R do reps[r] = run_replicate(cfg, r, c) end
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
      if c.R == 1 then -- one replicate: its own A/B interval (no spread across replicates yet)
        local e = reps[1][name][m]
        se.lo, se.hi, se.p = e.lo, e.hi, e.p
      end
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
