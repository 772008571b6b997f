-- test_decay_shared.lua — "shared shape, per-user rate" fits (engine/decay_shared.c) and the
-- never-returned flag of tide.decay.fit: family choice on heterogeneous populations, closed
-- forms, standard errors against the truth, and bad options.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local tests = {}

local W = 365 -- days observed

-- user rates from Gamma(3, 30) (mean 0.1 / day): a gamma mixture of exponentials is a Lomax
local function gamma_rates(n, seed)
  local r, out = U.rng(seed), {}
  for u = 1, n do local l = 0 for _ = 1, 3 do l = l - math.log(r()) / 30 end out[u] = l end
  return out
end

local function aic_of(ev, family, opts)
  local o = { family = family, t_end = W * 86400, shrink = false }
  for k, v in pairs(opts or {}) do o[k] = v end
  return tide.decay.fit(ev, o)
end

function tests.heterogeneous_exponential_users_are_called_exponential()
  local rates = gamma_rates(250, 11)
  local cols, d, expo = U.simulate(250, W, function(r, u) return -math.log(r()) / rates[u] end, 12)
  local ev = U.events(cols)
  -- pooled into one law the population looks like a Lomax: the global fit mislabels it
  check.truthy(aic_of(ev, "power").aic < aic_of(ev, "exponential").aic - 10, "global fit prefers power")
  local sh = { per = "user", shape = "shared" }
  local e, p = aic_of(ev, "exponential", sh), aic_of(ev, "power", sh)
  check.truthy(e.aic < p.aic, ("shared shape: AIC exp %.1f < power %.1f"):format(e.aic, p.aic))
  -- a Lomax exponent running off to infinity is the exponential limit
  check.truthy(p.theta:get(1, 2) > 50, "power shape diverges: " .. p.theta:get(1, 2))
  -- the exponential rates are each user's d / T (closed form)
  local g = tide.decay.gaps(ev, { per = "user", t_end = W * 86400 })
  local du, tu = {}, {}
  for i = 1, g.gap:numel() do
    local u = g.series:get(i)
    du[u] = (du[u] or 0) + g.event:get(i); tu[u] = (tu[u] or 0) + g.gap:get(i)
  end
  for u = 1, 250, 37 do check.near(e.theta:get(u, 1), du[u] / tu[u], 1e-5 * du[u] / tu[u], "rate of user " .. u) end
  check.eq(e.n_no_return, 0)
  check.truthy(d > 0 and expo > 0)
end

function tests.heterogeneous_lomax_users_are_called_power()
  local rates = gamma_rates(250, 21)
  local a = 1.5 -- shared Lomax exponent, S(t) = (1 + λt)^(−a)
  local cols = U.simulate(250, W, function(r, u) return ((1 - r()) ^ (-1 / a) - 1) / (3 * rates[u]) end, 22)
  local ev = U.events(cols)
  local sh = { per = "user", shape = "shared" }
  local e, p = aic_of(ev, "exponential", sh), aic_of(ev, "power", sh)
  check.truthy(p.aic < e.aic - 10, ("AIC power %.1f < exponential %.1f"):format(p.aic, e.aic))
  local ah, se_a = p.theta:get(1, 2), p.se:get(1, 2)
  check.truthy(math.abs(ah - a) < 3 * se_a, ("shared a = %.4f ± %.4f, truth %g"):format(ah, se_a, a))
  check.eq(p.theta:get(7, 2), ah, "one shape for every user")
  -- shrinkage toward the geometric mean pulls the spread of the log rates in
  local s = tide.decay.fit(ev, { family = "power", per = "user", shape = "shared", t_end = W * 86400, prior_prec = 4 })
  local function spread(th)
    local m, v, n = 0, 0, th:shape()[1]
    for u = 1, n do m = m + math.log(th:get(u, 1)) / n end
    for u = 1, n do v = v + (math.log(th:get(u, 1)) - m) ^ 2 / n end
    return v
  end
  check.truthy(spread(s.theta) < spread(s.mle_theta), "shrunk rates are less spread")
  check.eq(s.prior.prec, 4)
end

function tests.never_returned_users_are_flagged()
  -- user 1 returns twice, user 2 never comes back after the first visit
  local ev = U.events({ user = { 1, 1, 1, 2 }, time = { 0, 86400, 3 * 86400, 0 } })
  local f = tide.decay.fit(ev, { per = "user", shrink = false, t_end = 10 * 86400 })
  check.eq(f.no_return:get(1), 0); check.eq(f.no_return:get(2), 1)
  check.eq(f.n_no_return, 1)
  check.near(f.theta:get(2, 1), 0.5 / 10, 1e-7, "placeholder 0.5 / exposure")
  check.eq(f.status:get(2), 3)
  local path = os.tmpname()
  f:save(path)
  local g = tide.decay.load(path)
  os.remove(path)
  check.eq(g.no_return:get(1), 0); check.eq(g.no_return:get(2), 1)
  check.eq(g.n_no_return, 1)
end

function tests.shared_shape_bad_options()
  local ev = U.events({ user = { 1, 1, 2, 2 }, time = { 0, 86400, 0, 2 * 86400 } })
  check.errors(function() tide.decay.fit(ev, { per = "user", shape = "shared", family = "mixture" }) end,
    "shared shape needs the exponential, power or weibull")
  check.errors(function() tide.decay.fit(ev, { per = "user", shape = "common" }) end, "shape must be 'shared'")
  check.errors(function() tide.decay.fit(ev, { per = "user", shape = "shared", family = "power", prior_prec = 0 / 0 }) end,
    "prior_prec must be finite")
  local none = U.events({ user = { 1, 2 }, time = { 0, 0 } })
  check.errors(function() tide.decay.fit(none, { per = "user", shape = "shared", t_end = 86400 }) end, "no observed return")
end

return tests
