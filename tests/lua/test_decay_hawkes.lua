-- test_decay_hawkes.lua — the pooled Hawkes fit over a population (explicit window start,
-- single-event and silent users kept), the pooled time-rescaling test, and the loglik method.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local H = tide.decay.hawkes
local tests = {}

local TRUTH = { mu = 0.08, alpha = 0.5, beta = 1.0 }
local DAYS = 30

-- n users, each an independent Hawkes path on [0, DAYS] days; users without events stay in
-- the table through n_users (as a log that lists its customers would)
local function population(law, n, seed0)
  local cols = { user = {}, time = {}, n_users = n }
  for u = 1, n do
    for _, v in ipairs(H.simulate(law, DAYS, seed0 + u)) do
      cols.user[#cols.user + 1] = u; cols.time[#cols.time + 1] = math.floor(v * 86400)
    end
  end
  return U.events(cols)
end

function tests.pooled_fit_recovers_mu_with_single_event_users()
  local ev = population(TRUTH, 800, 100)
  local h = H.fit_events(ev, { t_start = 0, t_end = DAYS * 86400 })
  check.eq(#h.users, 800, "every user is kept, including silent and single-visit ones")
  for _, k in ipairs({ "mu", "alpha", "beta" }) do
    check.truthy(math.abs(h[k] - TRUTH[k]) < 3 * h.se[k], ("%s = %.4f ± %.4f, truth %g"):format(k, h[k], h.se[k], TRUTH[k]))
  end
  -- dropping users with fewer than two visits (as the old default did) conditions on the
  -- population that came back: μ comes out ~35 % high, far beyond its standard error
  local cond = H.fit_events(ev, { t_end = DAYS * 86400, min_events = 2 })
  check.truthy(cond.mu > TRUTH.mu + 3 * cond.se.mu, "the conditional fit is biased: mu " .. cond.mu)
  check.errors(function() H.fit_events(ev, { t_start = 86400, t_end = DAYS * 86400 }) end, "before t_start")
  check.errors(function() H.fit_events(ev, { t_start = 0, t_end = 0 }) end, "empty window")
  check.errors(function() H.fit_events(ev, { unit = "fortnight" }) end, "unit must be")
end

function tests.pooled_gof_hand_computed_increments()
  -- sequence 1: events {1, 3} on [0, 5]; sequence 2: event {2} on [0, 4]; μ = .5, α = .4, β = 1
  local law = setmetatable({ mu = 0.5, alpha = 0.4, beta = 1 }, getmetatable(H.fit({ 0, 1, 2.5 }, { t0 = 0, t1 = 3 })))
  local g = law:gof_pooled({ 1, 3, 2 }, tide.tensor.fromtable({ 0, 2, 3 }, "i64"), { 0, 0 }, { 5, 4 })
  local e2 = math.exp(-2)
  local tail1 = 0.5 * 2 + 0.4 * (1 + e2) * (1 - e2) -- Λ1(5) − Λ1(3): the open interval of user 1
  check.eq(g.n, 3)
  check.all_near(g.tau, { 0.5, 0.5 * 2 + 0.4 * (1 - e2), tail1 + 0.5 * 2 }, 1e-12)
  -- a user without events passes its whole compensator μ·(t1 − t0) on to the next one
  local g2 = law:gof_pooled({ 1, 2 }, tide.tensor.fromtable({ 0, 1, 1, 2 }, "i64"), 0, { 4, 3, 4 })
  check.near(g2.tau[2], 0.5 * 3 + 0.4 * (1 - math.exp(-3)) + 0.5 * 3 + 0.5 * 2, 1e-12)
  check.errors(function() law:gof_pooled({ 1 }) end, "needs times, off, t0 and t1")
  check.errors(function() law:gof_pooled({ 3, 1 }, tide.tensor.fromtable({ 0, 2 }, "i64"), 0, 5) end, "unsorted or outside")
end

function tests.pooled_gof_accepts_the_true_law_and_rejects_a_poisson_one()
  local ev = population(TRUTH, 400, 900)
  local h = H.fit_events(ev, { t_start = 0, t_end = DAYS * 86400 })
  local g = h:gof() -- pooled over the fitted users
  check.eq(g.n, #h.times)
  check.truthy(g.p_value > 0.01, "true law: KS p " .. g.p_value)
  -- a Poisson law with the same average rate misses the clustering
  local rate = #h.times / (400 * DAYS)
  local pois = setmetatable({ mu = rate, alpha = 0, beta = 1, off = h.off, times = h.times, origin = h.origin,
                              unit = h.unit, t_end = h.t_end }, getmetatable(h))
  local gp = pois:gof()
  check.truthy(gp.p_value < 1e-3, "Poisson law rejected: KS p " .. gp.p_value)
  check.truthy(gp.ks > g.ks, "larger KS distance for the wrong law")
end

function tests.loglik_method_is_not_hidden_by_the_fit_value()
  local t = H.simulate(TRUTH, 2000, 5)
  local h = H.fit(t, { t0 = 0, t1 = 2000 })
  check.eq(type(h.loglik), "function")
  check.near(h:loglik(t, 0, 2000), h.total_loglik, 1e-9 * math.abs(h.total_loglik))
  -- the maximum: nudging a parameter lowers the log-likelihood
  local moved = setmetatable({ mu = h.mu * 1.05, alpha = h.alpha, beta = h.beta }, getmetatable(h))
  check.truthy(moved:loglik(t, 0, 2000) < h.total_loglik, "fitted value is the maximum")
end

return tests
