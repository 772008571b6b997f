-- test_decay_response_frailty.lua — the gamma frailty of the response kernel: the marginal
-- likelihood against a numerical integral over the frailty, gradients (with d/d log κ) against
-- finite differences, κ → ∞ giving the frailty-free model, the posterior-mean expectation by
-- hand, recovery of planted gamma frailties, save/load and clear errors.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local D = tide.core.decay
local R = tide.decay.response
local sim = require "response_sim"

local tests = {}
local DAY = 86400

-- pair 1: browse at 0, cart at 1, buy at 2, buy at 5; pair 2: browse at 3, nothing bought
local function tiny(frailty)
  return { off = T.fromtable({ 0, 4, 5 }, "i64"), time = { 0, 1, 2, 5, 3 }, type = T.fromtable({ 1, 2, 3, 3, 1 }, "i32"),
           target = T.fromtable({ 0, 0, 1, 1, 0 }, "i32"), n_types = 3, t0 = 0, t1 = 10, frailty = frailty }
end

local log_marginal = sim.log_marginal

function tests.loglik_integrates_a_gamma_frailty_out()
  local mu, w1, w2, w3, b = 0.05, 0.3, 0.8, 0.5, 0.7
  local g = function(a) return b * math.exp(-b * a) end
  local S = function(a) return math.exp(-b * a) end
  local lam2 = mu + w1 * g(2) + w2 * g(1)
  local lam5 = mu + w1 * g(5) + w2 * g(4) + w3 * g(3)
  local comp1 = mu * 10 + w1 * (1 - S(10)) + w2 * (1 - S(9)) + w3 * (1 - S(8)) + w3 * (1 - S(5))
  local comp2 = mu * 7 + w1 * (1 - S(7))
  for _, kappa in ipairs({ 2, 0.7, 15 }) do
    local want = math.log(lam2) + math.log(lam5) + log_marginal(2, comp1, kappa) + log_marginal(0, comp2, kappa)
    local ll = D.response_loglik("exponential", 1, tiny(true), { mu, w1, w2, w3, b, kappa })
    check.near(ll, want, 1e-7, ("marginal log-likelihood, kappa %g"):format(kappa))
  end
end

function tests.gradients_with_a_frailty_match_finite_differences()
  local d = tiny(true)
  d.time = { 0, 1, 2.5, 5, 6, 9.5, 3 }
  d.off = T.fromtable({ 0, 3, 6, 7 }, "i64")
  d.type = T.fromtable({ 1, 2, 3, 1, 3, 3, 1 }, "i32")
  d.target = T.fromtable({ 0, 0, 1, 0, 1, 1, 0 }, "i32")
  local cases = {
    { "exponential", 1, { 0.04, 0.3, 0.9, 0.4, 0.6, 1.3 } },
    { "power", 1, { 0.04, 0.3, 0.9, 0.4, 0.6, 1.7, 0.5 } },
    { "mixture", 2, { 0.04, 0.3, 0.9, 0.4, 0.3, 0.7, 2.0, 0.2, 3.0 } },
  }
  for _, c in ipairs(cases) do
    local fam, k, par = c[1], c[2], c[3]
    local _, grad = D.response_loglik(fam, k, d, par)
    local mix = fam == "mixture"
    local function nat(u) -- free (logs; mixture weight logit) -> natural, κ = exp(last)
      local p = {}
      for i = 1, 4 do p[i] = math.exp(u[i]) end
      if mix then
        local e1 = math.exp(u[5])
        p[5], p[6], p[7], p[8], p[9] = e1 / (e1 + 1), 1 / (e1 + 1), math.exp(u[6]), math.exp(u[7]), math.exp(u[8])
      else
        for i = 5, #u do p[i] = math.exp(u[i]) end
      end
      return p
    end
    local u = {}
    for i = 1, 4 do u[i] = math.log(par[i]) end
    if mix then u[5], u[6], u[7], u[8] = math.log(par[5] / par[6]), math.log(par[7]), math.log(par[8]), math.log(par[9])
    else for i = 5, #par do u[i] = math.log(par[i]) end end
    check.eq(#grad, #u, fam .. ": gradient size (with log kappa)")
    for i = 1, #u do
      local h, up, um = 1e-6, { unpack(u) }, { unpack(u) }
      up[i], um[i] = u[i] + h, u[i] - h
      local fd = (D.response_loglik(fam, k, d, nat(up)) - D.response_loglik(fam, k, d, nat(um))) / (2 * h)
      check.near(grad[i], fd, 1e-5, ("%s: d ll / d u[%d]"):format(fam, i))
    end
  end
end

function tests.a_huge_kappa_is_the_frailty_free_model()
  local par = { 0.05, 0.3, 0.8, 0.5, 0.7 }
  local ll0, g0 = D.response_loglik("exponential", 1, tiny(false), par)
  local ll1, g1 = D.response_loglik("exponential", 1, tiny(true), { 0.05, 0.3, 0.8, 0.5, 0.7, 1e12 })
  check.near(ll1, ll0, 1e-9, "log-likelihood at kappa = 1e12")
  for i = 1, #g0 do check.near(g1[i], g0[i], 1e-9, "gradient " .. i) end
  check.truthy(math.abs(g1[#g1]) < 1e-9, "d ll / d log kappa vanishes")
  -- fitting homogeneous pairs: kappa runs off to infinity and the rest is the frailty-free fit
  local ev = sim.simulate(400, 120, 0.004, { [1] = 0.2, [3] = 0.6, [5] = 0.1 }, 1, 0.3, 0.3, 3)
  local f0 = R.fit(ev, { family = "exponential", se = false })
  local f1 = R.fit(ev, { family = "exponential", frailty = true, se = false })
  check.truthy(f1.kappa > 1e3, ("kappa %g is large"):format(f1.kappa))
  check.truthy(f1.loglik - f0.loglik < 2 and f1.loglik >= f0.loglik - 1e-6, "no real likelihood gain")
  check.near(f1.mu, f0.mu, 1e-3 * f0.mu, "mu")
  for _, t in ipairs({ "browse", "cart", "buy" }) do check.near(f1.weights[t], f0.weights[t], 1e-3 * f0.weights[t], t) end
  check.near(f1.theta[1], f0.theta[1], 1e-3 * f0.theta[1], "decay rate")
  local e0, e1 = f0:expected(ev, 60 * DAY, 14), f1:expected(ev, 60 * DAY, 14)
  for i = 1, e0.score:numel(), 37 do check.near(e1.score:get(i), e0.score:get(i), 2e-3 * e0.score:get(i) + 1e-9, "expected") end
end

function tests.expected_scales_by_the_posterior_mean_frailty()
  -- one pair: browse at day 0, buys at days 1 and 2; expectation at day 3 over 7 days
  local ev = tide.data.from_columns{ user = T.fromtable({ 1, 1, 1 }, "i32"), item = T.fromtable({ 1, 1, 1 }, "i32"),
                                     event = T.fromtable({ 1, 5, 5 }, "i32"), time = T.fromtable({ 0, DAY, 2 * DAY }, "i64") }
  local mu, wb, wy, b, kappa = 0.01, 0.4, 0.3, 0.2, 1.5
  local fo = setmetatable({ family = "exponential", k = 1, mu = mu, weights = { browse = wb, buy = wy }, theta = { b },
                            unit = DAY, origin = 0, max_hist = 0, key = "item", target = "buy", frailty = true,
                            kappa = kappa, window = { 0, 3 } }, R.Fit)
  local S = function(a) return math.exp(-b * a) end
  local prior = mu * 7 + wb * (S(3) - S(10)) + wy * (S(2) - S(9)) + wy * (S(1) - S(8))
  -- history [0, 3): 2 buys (the opening browse is not a modelled action), compensator Λ
  local lam = mu * 3 + wb * (1 - S(3)) + wy * (1 - S(2)) + wy * (1 - S(1))
  local e = fo:expected(ev, 3 * DAY, 7)
  check.near(e.score:get(1), prior * (kappa + 2) / (kappa + lam), 1e-6, "posterior mean times the prior expectation")
  fo.frailty = false
  check.near(fo:expected(ev, 3 * DAY, 7).score:get(1), prior, 1e-6, "without frailty")
end

function tests.fit_recovers_planted_gamma_frailties()
  local ev, zs = sim.simulate(800, 120, 0.004, { [1] = 0.2, [3] = 0.6, [5] = 0.1 }, 1, 0.3, 0.3, 7, 1, 2)
  local f0 = R.fit(ev, { family = "exponential" })
  local f = R.fit(ev, { family = "exponential", frailty = true })
  check.truthy(f.converged, "converged")
  local function within(got, se, want, what)
    check.truthy(se > 0 and math.abs(got - want) < 3.5 * se, ("%s: %.4f ± %.4f, planted %.4f"):format(what, got, se, want))
  end
  within(f.kappa, f.se_kappa, 2, "kappa")
  within(f.weights.browse, f.se_weights.browse, 0.2, "browse weight")
  within(f.weights.cart, f.se_weights.cart, 0.6, "cart weight")
  within(f.weights.buy, f.se_weights.buy, 0.1, "buy weight")
  within(f.theta[1], f.se_theta[1], 0.3, "decay rate")
  within(f.mu, f.se_mu, 0.004, "base rate")
  check.truthy(f.loglik > f0.loglik + 20, "the frailty explains the heterogeneity")
  -- without it, buys exciting buys stand in for the frailty (a well-known confounding)
  check.truthy(f0.weights.buy > 2 * f.weights.buy, "frailty-free self-excitation is inflated")
  -- posterior means track the planted frailties better than the prior mean 1
  local e = f:expected(ev, 120 * DAY, 14)
  local e0 = f0:expected(ev, 120 * DAY, 14)
  local num, d1, d0 = 0, 0, 0
  for i = 1, e.score:numel() do
    local post = e.score:get(i) / e0.score:get(i) -- ≈ posterior mean (kernel parameters nearly equal)
    local z = zs[e.user:get(i)]
    d1, d0, num = d1 + (post - z) ^ 2, d0 + (1 - z) ^ 2, num + 1
  end
  check.truthy(num > 700 and d1 < 0.8 * d0, ("posterior error %.3f vs prior %.3f"):format(d1 / num, d0 / num))
end

function tests.save_and_load_keep_the_frailty()
  local ev = sim.simulate(120, 60, 0.004, { [1] = 0.2, [3] = 0.6, [5] = 0.1 }, 1, 0.3, 0.3, 5, 1, 2)
  local f = R.fit(ev, { family = "exponential", frailty = true })
  local path = os.tmpname()
  f:save(path)
  local g = R.load(path)
  os.remove(path)
  check.eq(g.frailty, true, "frailty flag")
  check.eq(g.kappa, f.kappa, "kappa exact")
  check.eq(g.se_kappa, f.se_kappa, "se kappa exact")
  check.eq(#g.theta, #f.theta, "theta excludes kappa")
  local a, b = f:expected(ev, 50 * DAY, 7), g:expected(ev, 50 * DAY, 7)
  for i = 1, a.score:numel() do check.eq(b.score:get(i), a.score:get(i), "expected after reload") end
end

function tests.interest_model_takes_the_frailty_option()
  local ev = sim.simulate(150, 60, 0.004, { [1] = 0.2, [3] = 0.6, [5] = 0.1 }, 1, 0.3, 0.3, 9, 1, 2)
  local m = tide.models.interest{ family = "exponential", frailty = true, marked = false }
  m:fit(ev)
  check.eq(m.law.frailty, true, "the law has a frailty")
  check.truthy(m.law.kappa > 0, "kappa fitted")
  local s = m:score(T.fromtable({ 1, 2 }, "i32"))
  check.eq(s:size(1), 2, "scores per user")
  local path = os.tmpname()
  m:save(path)
  local m2 = tide.models.load(path)
  os.remove(path)
  check.eq(m2.frailty, true, "frailty option survives save/load")
  check.all_near(m2:score(T.fromtable({ 1, 2 }, "i32")), s:totable(), 0, "identical scores after reload")
  check.errors(function() tide.models.interest{ frailty = 1 } end, "frailty must be true, false, 'pair' or 'user'")
end

function tests.bad_frailty_inputs_are_named()
  local ev = sim.simulate(5, 30, 0.01, { [1] = 0.2, [3] = 0.5, [5] = 0.1 }, 1, 0.3, 0.3, 2)
  check.errors(function() R.fit(ev, { frailty = "yes" }) end, "frailty must be true, false, 'pair' or 'user'")
  local d = tiny(1)
  check.errors(function() D.response_loglik("exponential", 1, d, { 0.05, 0.3, 0.8, 0.5, 0.7, 2 }) end,
    "data.frailty must be a boolean")
  check.errors(function() D.response_loglik("exponential", 1, tiny(true), { 0.05, 0.3, 0.8, 0.5, 0.7 }) end,
    "par has 5 values, the model has 6")
  check.errors(function() D.response_loglik("exponential", 1, tiny(true), { 0.05, 0.3, 0.8, 0.5, 0.7, 0 }) end,
    "must be finite and > 0")
end

return tests
