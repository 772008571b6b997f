-- test_abtest_offpolicy.lua — off-policy estimators on a simulated logging policy with a known
-- target value. Context x ~ U(0, 1), 3 actions, Bernoulli rewards with rates
-- p(x) = (0.2 + 0.5x, 0.5, 0.7 - 0.5x); logging μ(x) = (0.6 - 0.4x, 0.2, 0.2 + 0.4x); target:
-- action 3 below 0.4, action 2 on [0.4, 0.6), action 1 above. True value by integration:
-- ∫_0^.4 (.7 - .5x) + .2 · .5 + ∫_.6^1 (.2 + .5x) = .24 + .10 + .24 = 0.58.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local ab = tide.abtest
local T = tide.tensor
local tests = {}

local TRUTH = 0.58

local function rate(x, a) return a == 1 and 0.2 + 0.5 * x or a == 2 and 0.5 or 0.7 - 0.5 * x end

local function logs(seed, n, uniform)
  T.manual_seed(seed)
  local u = T.rand(n, 3):totable()
  local o = { rewards = {}, actions = {}, propensities = {}, target = {}, model = {} }
  for i = 1, n do
    local x = u[i][1]
    local mu = uniform and { 1 / 3, 1 / 3, 1 / 3 } or { 0.6 - 0.4 * x, 0.2, 0.2 + 0.4 * x }
    local a = u[i][2] < mu[1] and 1 or u[i][2] < mu[1] + mu[2] and 2 or 3
    o.actions[i], o.propensities[i] = a, mu[a]
    o.rewards[i] = u[i][3] < rate(x, a) and 1 or 0
    local t = x < 0.4 and 3 or x < 0.6 and 2 or 1
    o.target[i] = { t == 1 and 1 or 0, t == 2 and 1 or 0, t == 3 and 1 or 0 }
    o.model[i] = { 0.5, 0.5, 0.5 } -- a deliberately wrong reward model
  end
  return o
end

local function mean_sd(x)
  local m, v = 0, 0
  for _, e in ipairs(x) do m = m + e / #x end
  for _, e in ipairs(x) do v = v + (e - m) ^ 2 / (#x - 1) end
  return m, math.sqrt(v)
end

function tests.ips_snips_dr_unbiased()
  local R, n = 200, 500
  local est = { ips = {}, snips = {}, dr = {}, dm = {} }
  local covered = 0
  for k = 1, R do
    local r = ab.offpolicy(logs(k, n))
    for name, t in pairs(est) do t[k] = r[name].value end
    if math.abs(r.ips.value - TRUTH) <= 1.96 * r.ips.se then covered = covered + 1 end
  end
  for _, name in ipairs({ "ips", "snips", "dr" }) do
    local m, sd = mean_sd(est[name])
    check.truthy(math.abs(m - TRUTH) < 3 * sd / math.sqrt(R), ("%s mean %.4f vs truth %.2f (sd %.4f)"):format(name, m, TRUTH, sd))
  end
  local dm = mean_sd(est.dm)
  check.near(dm, 0.5, 1e-12, "the direct method returns the wrong model's value")
  check.truthy(math.abs(covered / R - 0.95) < 3 * math.sqrt(0.95 * 0.05 / R), "IPS standard errors: coverage " .. covered / R)
end

function tests.replay_unbiased_under_uniform_logging()
  local R, n, v = 150, 600, {}
  for k = 1, R do
    local r = ab.offpolicy(logs(500 + k, n, true))
    v[k] = r.replay.value
    check.truthy(math.abs(r.replay.matched - n / 3) < 5 * math.sqrt(n * 2 / 9), "about a third of the rows match")
  end
  local m, sd = mean_sd(v)
  check.truthy(math.abs(m - TRUTH) < 3 * sd / math.sqrt(R), ("replay mean %.4f"):format(m))
end

function tests.offpolicy_errors()
  local o = logs(1, 5)
  o.propensities[2] = 0
  check.errors(function() ab.offpolicy(o) end, "propensities[2] = 0 is not in (0, 1]")
  o = logs(1, 5); o.actions[3] = 4
  check.errors(function() ab.offpolicy(o) end, "actions[3] = 4 is not in 1..3")
  o = logs(1, 5); o.target[4] = { 0.5, 0.2, 0.2 }
  check.errors(function() ab.offpolicy(o) end, "target[4] sums to 0.9")
  o = logs(1, 5); o.model = { { 1, 2, 3 } }
  check.errors(function() ab.offpolicy(o) end, "'model' must have one row per logged decision (5)")
  o = logs(1, 5); o.rewards = nil
  check.errors(function() ab.offpolicy(o) end, "'rewards' is required")
  check.errors(function() ab.offpolicy { rewards = { 1 }, actions = { 1 }, propensities = { 1 }, target = { { 1 } }, policy = 1 } end, "unknown option 'policy'")
end

return tests
