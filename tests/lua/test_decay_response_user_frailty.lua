-- test_decay_response_user_frailty.lua — a gamma frailty shared by a run of pairs (frailty =
-- "user"; data.units in the binding): the marginal likelihood against a numerical integral over
-- the shared frailty, gradients against finite differences, one-pair units equal to the
-- per-pair frailty, the expectation scaled by the unit's posterior mean by hand, recovery of
-- planted per-user frailties, save/load and clear errors.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local D = tide.core.decay
local R = tide.decay.response
local sim = require "response_sim"

local tests = {}
local DAY = 86400

-- user A: pair 1 browse 0, cart 1, buy 2, buy 5; pair 2 browse 3 (nothing bought);
-- user B: pair 3 browse 1, buy 4. Units {pairs 1-2}, {pair 3}; window [0, 10)
local function three(units)
  return { off = T.fromtable({ 0, 4, 5, 7 }, "i64"), time = { 0, 1, 2, 5, 3, 1, 4 },
           type = T.fromtable({ 1, 2, 3, 3, 1, 1, 3 }, "i32"), target = T.fromtable({ 0, 0, 1, 1, 0, 0, 1 }, "i32"),
           n_types = 3, t0 = 0, t1 = 10, frailty = true, units = units and T.fromtable(units, "i64") or nil }
end

function tests.loglik_integrates_one_frailty_per_unit()
  local mu, w1, w2, w3, b = 0.05, 0.3, 0.8, 0.5, 0.7
  local g = function(a) return b * math.exp(-b * a) end
  local S = function(a) return math.exp(-b * a) end
  local log_lam = math.log(mu + w1 * g(2) + w2 * g(1)) + math.log(mu + w1 * g(5) + w2 * g(4) + w3 * g(3))
    + math.log(mu + w1 * g(3))
  local c1 = mu * 10 + w1 * (1 - S(10)) + w2 * (1 - S(9)) + w3 * (1 - S(8)) + w3 * (1 - S(5))
  local c2 = mu * 7 + w1 * (1 - S(7))
  local c3 = mu * 9 + w1 * (1 - S(9)) + w3 * (1 - S(6))
  for _, kappa in ipairs({ 2, 0.6, 12 }) do
    -- pairs 1 and 2 share Z: their counts (2 + 0) and compensators add inside one integral
    local want = log_lam + sim.log_marginal(2, c1 + c2, kappa) + sim.log_marginal(1, c3, kappa)
    local ll = D.response_loglik("exponential", 1, three({ 0, 2, 3 }), { mu, w1, w2, w3, b, kappa })
    check.near(ll, want, 1e-7, ("shared-frailty log-likelihood, kappa %g"):format(kappa))
  end
end

function tests.one_pair_units_are_the_per_pair_frailty()
  local par = { 0.05, 0.3, 0.8, 0.5, 0.7, 1.3 }
  local ll0, g0 = D.response_loglik("exponential", 1, three(nil), par)
  local ll1, g1 = D.response_loglik("exponential", 1, three({ 0, 1, 2, 3 }), par)
  check.eq(ll1, ll0, "same log-likelihood")
  for i = 1, #g0 do check.eq(g1[i], g0[i], "gradient " .. i) end
  local ll2 = D.response_loglik("exponential", 1, three({ 0, 2, 3 }), par)
  check.truthy(math.abs(ll2 - ll0) > 1e-3, "sharing the frailty changes the likelihood")
end

function tests.gradients_with_a_shared_frailty_match_finite_differences()
  local cases = {
    { "exponential", 1, { 0.04, 0.3, 0.9, 0.4, 0.6, 1.3 } },
    { "weibull", 1, { 0.04, 0.3, 0.9, 0.4, 0.6, 0.8, 0.5 } },
  }
  local d = three({ 0, 2, 3 })
  for _, c in ipairs(cases) do
    local fam, k, par = c[1], c[2], c[3]
    local _, grad = D.response_loglik(fam, k, d, par)
    local u = {}
    for i = 1, #par do u[i] = math.log(par[i]) end -- every parameter of these families is log-free
    local function nat(v) local p = {}; for i = 1, #v do p[i] = math.exp(v[i]) end; return p end
    check.eq(#grad, #u, fam .. ": gradient size")
    for i = 1, #u do
      local h, up, um = 1e-6, { unpack(u) }, { unpack(u) }
      up[i], um[i] = u[i] + h, u[i] - h
      local fd = (D.response_loglik(fam, k, d, nat(up)) - D.response_loglik(fam, k, d, nat(um))) / (2 * h)
      check.near(grad[i], fd, 1e-5, ("%s: d ll / d u[%d]"):format(fam, i))
    end
  end
end

function tests.expected_scales_by_the_users_posterior_mean()
  -- user 1: item 1 browse day 0, buy day 1; item 2 browse day 2. Expectation at day 3 over 7.
  local ev = tide.data.from_columns{ user = T.fromtable({ 1, 1, 1 }, "i32"), item = T.fromtable({ 1, 1, 2 }, "i32"),
                                     event = T.fromtable({ 1, 5, 1 }, "i32"), time = T.fromtable({ 0, DAY, 2 * DAY }, "i64") }
  local mu, wb, wy, b, kappa = 0.01, 0.4, 0.3, 0.2, 1.5
  local fo = setmetatable({ family = "exponential", k = 1, mu = mu, weights = { browse = wb, buy = wy }, theta = { b },
                            unit = DAY, origin = 0, max_hist = 0, key = "item", target = "buy", frailty = "user",
                            kappa = kappa, window = { 0, 3 } }, R.Fit)
  local S = function(a) return math.exp(-b * a) end
  local prior1 = mu * 7 + wb * (S(3) - S(10)) + wy * (S(2) - S(9))
  local prior2 = mu * 7 + wb * (S(1) - S(8))
  -- the user's history: 1 buy; compensators of item 1 over [0, 3) and item 2 over [2, 3)
  local lam = mu * 3 + wb * (1 - S(3)) + wy * (1 - S(2)) + mu * 1 + wb * (1 - S(1))
  local z = (kappa + 1) / (kappa + lam)
  local e = fo:expected(ev, 3 * DAY, 7)
  check.near(e.score:get(1), prior1 * z, 1e-6, "item 1: posterior mean of the user times its expectation")
  check.near(e.score:get(2), prior2 * z, 1e-6, "item 2: the same user's posterior mean")
end

function tests.fit_recovers_planted_user_frailties()
  -- 500 users × 3 items, one Gamma(1.5, 1.5) frailty per user
  local ev = sim.simulate(1500, 120, 0.004, { [1] = 0.2, [3] = 0.6, [5] = 0.1 }, 1, 0.3, 0.3, 11, 3, 1.5, true)
  local fu = R.fit(ev, { family = "exponential", frailty = "user" })
  local fp = R.fit(ev, { family = "exponential", frailty = "pair" })
  check.truthy(fu.converged, "converged")
  check.eq(fu.frailty, "user", "the fit says its frailty is per user")
  local function within(got, se, want, what)
    check.truthy(se > 0 and math.abs(got - want) < 3.5 * se, ("%s: %.4f ± %.4f, planted %.4f"):format(what, got, se, want))
  end
  within(fu.kappa, fu.se_kappa, 1.5, "kappa")
  within(fu.weights.browse, fu.se_weights.browse, 0.2, "browse weight")
  within(fu.weights.cart, fu.se_weights.cart, 0.6, "cart weight")
  within(fu.weights.buy, fu.se_weights.buy, 0.1, "buy weight")
  within(fu.theta[1], fu.se_theta[1], 0.3, "decay rate")
  within(fu.mu, fu.se_mu, 0.004, "base rate")
  check.truthy(fu.loglik > fp.loglik + 5, ("the shared frailty fits better (%.1f vs %.1f)"):format(fu.loglik, fp.loglik))
end

function tests.save_load_and_the_interest_model_keep_user()
  local ev = sim.simulate(240, 60, 0.004, { [1] = 0.2, [3] = 0.6, [5] = 0.1 }, 1, 0.3, 0.3, 5, 3, 2, true)
  local f = R.fit(ev, { family = "exponential", frailty = "user" })
  local path = os.tmpname()
  f:save(path)
  local g = R.load(path)
  check.eq(g.frailty, "user", "frailty level")
  check.eq(g.kappa, f.kappa, "kappa exact")
  local a, b = f:expected(ev, 50 * DAY, 7), g:expected(ev, 50 * DAY, 7)
  for i = 1, a.score:numel() do check.eq(b.score:get(i), a.score:get(i), "expected after reload") end
  local m = tide.models.interest{ family = "exponential", frailty = "user", marked = false }
  m:fit(ev)
  check.eq(m.law.frailty, "user", "the interest model passes the level on")
  m:save(path)
  local m2 = tide.models.load(path)
  os.remove(path)
  check.eq(m2.frailty, "user", "interest model reloads the level")
  local users = T.fromtable({ 1, 2, 3 }, "i32")
  check.all_near(m2:score(users), m:score(users):totable(), 0, "identical scores after reload")
end

function tests.segments_and_family_choice_keep_the_user_level()
  local ev = sim.simulate(600, 90, 0.004, { [1] = 0.2, [3] = 0.6, [5] = 0.1 }, 1, 0.3, 0.3, 13, 3, 1.5, true)
  -- segment by item: items 1..3 split every user's pairs across segments, so each segment's
  -- units are rebuilt from its own pairs
  local f = R.fit(ev, { family = "exponential", frailty = "user", segment = "item", se = false })
  for s = 1, 3 do
    local g = f.segments[s]
    check.eq(g.frailty, "user", "segment " .. s .. " frailty level")
    check.truthy(g.kappa > 0 and g.kappa < math.huge, "segment " .. s .. " kappa")
  end
  -- the held-out likelihood carries each user's posterior over from the training window, so it
  -- differs from the per-pair one on the same fits' data
  local ru = R.select(ev, { families = { "exponential", "weibull" }, holdout = 20, frailty = "user" })
  local rp = R.select(ev, { families = { "exponential" }, holdout = 20, frailty = "pair" })
  check.eq(#ru, 2, "two families ranked")
  check.truthy(ru[1].heldout >= ru[2].heldout, "ranked by held-out likelihood")
  check.eq(ru[1].frailty, "user", "the ranked fits keep the level")
  local eu
  for _, r in ipairs(ru) do if r.family == "exponential" then eu = r end end
  check.truthy(eu.heldout > rp[1].heldout, ("planted per-user frailty: held-out %.2f (user) > %.2f (pair)"):format(eu.heldout,
    rp[1].heldout))
end

function tests.bad_units_are_named()
  local par = { 0.05, 0.3, 0.8, 0.5, 0.7, 1.3 }
  check.errors(function() D.response_loglik("exponential", 1, three({ 0, 2 }), par) end, "data.units ends at 2")
  check.errors(function() D.response_loglik("exponential", 1, three({ 1, 3 }), par) end, "data.units must start at 0")
  check.errors(function() D.response_loglik("exponential", 1, three({ 0, 2, 1, 3 }), par) end, "data.units decreases")
  local d = three({ 0, 3 })
  d.units = { 0, 3 }
  check.errors(function() D.response_loglik("exponential", 1, d, par) end, "data.units")
  local ev = sim.simulate(5, 30, 0.01, { [1] = 0.2, [3] = 0.5, [5] = 0.1 }, 1, 0.3, 0.3, 2)
  check.errors(function() R.fit(ev, { frailty = "users" }) end, "frailty must be true, false, 'pair' or 'user'")
end

return tests
