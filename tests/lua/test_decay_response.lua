-- test_decay_response.lua — the response kernel λ(t) = μ + Σ w[type]·g(t − t_i): likelihood
-- against a hand computation, gradients against finite differences, recovery of planted
-- weights and decay from a simulated marked Hawkes log, the occurrence/exposure curve by hand,
-- expectations that never peek past t, family choice, and clear errors.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local D = tide.core.decay
local R = tide.decay.response

local tests = {}
local DAY = 86400

-- one pair: browse at 0, cart at 1, buy at 2, buy at 5 (types: 1 browse, 2 cart, 3 buy)
local function tiny(t0, t1)
  return { off = T.fromtable({ 0, 4 }, "i64"), time = { 0, 1, 2, 5 }, type = T.fromtable({ 1, 2, 3, 3 }, "i32"),
           target = T.fromtable({ 0, 0, 1, 1 }, "i32"), n_types = 3, t0 = t0 or 0, t1 = t1 or 10 }
end

function tests.loglik_matches_a_hand_computation_for_the_exponential_kernel()
  local mu, w1, w2, w3, b = 0.05, 0.3, 0.8, 0.5, 0.7
  local g = function(a) return b * math.exp(-b * a) end
  local S = function(a) return math.exp(-b * a) end
  local lam2 = mu + w1 * g(2) + w2 * g(1)
  local lam5 = mu + w1 * g(5) + w2 * g(4) + w3 * g(3)
  local comp = mu * 10 + w1 * (1 - S(10)) + w2 * (1 - S(9)) + w3 * (1 - S(8)) + w3 * (1 - S(5))
  local ll = D.response_loglik("exponential", 1, tiny(), { mu, w1, w2, w3, b })
  check.near(ll, math.log(lam2) + math.log(lam5) - comp, 1e-12, "log-likelihood")
  -- a window that starts at 3: the buy at 2 is outside, excitation before 3 is not compensated
  local comp3 = mu * 7 + w1 * (S(3) - S(10)) + w2 * (S(2) - S(9)) + w3 * (S(1) - S(8)) + w3 * (1 - S(5))
  check.near(D.response_loglik("exponential", 1, tiny(3, 10), { mu, w1, w2, w3, b }), math.log(lam5) - comp3, 1e-12,
    "windowed log-likelihood")
end

function tests.max_hist_limits_the_interactions_that_excite()
  local mu, w, b = 0.05, { 0.3, 0.8, 0.5 }, 0.7
  local g = function(a) return b * math.exp(-b * a) end
  local S = function(a) return math.exp(-b * a) end
  local d = tiny()
  d.max_hist = 1 -- each event is excited only by the one before it; interaction i lives until i+1
  local ll = D.response_loglik("exponential", 1, d, { mu, w[1], w[2], w[3], b })
  local want = math.log(mu + w[2] * g(1)) + math.log(mu + w[3] * g(3))
    - (mu * 10 + w[1] * (1 - S(1)) + w[2] * (1 - S(1)) + w[3] * (1 - S(3)) + w[3] * (1 - S(5)))
  check.near(ll, want, 1e-12, "log-likelihood with max_hist = 1")
end

function tests.gradients_match_finite_differences_for_every_family()
  local d = tiny()
  d.time = { 0, 1, 2.5, 5, 6, 9.5 }
  d.off = T.fromtable({ 0, 3, 6 }, "i64")
  d.type = T.fromtable({ 1, 2, 3, 1, 3, 3 }, "i32")
  d.target = T.fromtable({ 0, 0, 1, 0, 1, 1 }, "i32")
  local cases = {
    { "exponential", 1, { 0.04, 0.3, 0.9, 0.4, 0.6 } },
    { "hyperbolic", 1, { 0.04, 0.3, 0.9, 0.4, 0.6 } },
    { "power", 1, { 0.04, 0.3, 0.9, 0.4, 0.6, 1.7 } },
    { "weibull", 1, { 0.04, 0.3, 0.9, 0.4, 0.6, 0.8 } },
    { "mixture", 2, { 0.04, 0.3, 0.9, 0.4, 0.3, 0.7, 2.0, 0.2 } },
  }
  for _, c in ipairs(cases) do
    local fam, k, par = c[1], c[2], c[3]
    local _, grad = D.response_loglik(fam, k, d, par)
    -- free parameters: logs of μ, w and the family's rates/shapes; mixture: weight logits
    local function ll_free(u)
      local p = {}
      for i = 1, 4 do p[i] = math.exp(u[i]) end
      if fam == "mixture" then
        local e1 = math.exp(u[5])
        p[5], p[6] = e1 / (e1 + 1), 1 / (e1 + 1)
        p[7], p[8] = math.exp(u[6]), math.exp(u[7])
      else
        for i = 5, #u do p[i] = math.exp(u[i]) end
      end
      return (D.response_loglik(fam, k, d, p))
    end
    local u = {}
    for i = 1, 4 do u[i] = math.log(par[i]) end
    if fam == "mixture" then u[5], u[6], u[7] = math.log(par[5] / par[6]), math.log(par[7]), math.log(par[8])
    else for i = 5, #par do u[i] = math.log(par[i]) end end
    check.eq(#grad, #u, fam .. ": gradient size")
    for i = 1, #u do
      local h, up, um = 1e-6, { unpack(u) }, { unpack(u) }
      up[i], um[i] = u[i] + h, u[i] - h
      check.near(grad[i], (ll_free(up) - ll_free(um)) / (2 * h), 1e-5, ("%s: d ll / d u[%d]"):format(fam, i))
    end
  end
end

-- a marked Hawkes log with an exponential response kernel of rate beta (tests/lua/response_sim.lua)
local function simulate(n_pairs, horizon, mu, w, beta, seed)
  return require("response_sim").simulate(n_pairs, horizon, mu, w, 1, beta, beta, seed)
end

function tests.fit_recovers_planted_type_weights_and_decay()
  local w = { [1] = 0.1, [3] = 0.6, [5] = 0.3 }
  local ev = simulate(1500, 120, 0.002, w, 0.25, 7)
  local f = R.fit(ev, { key = "item", target = "buy", family = "exponential", window = { 0, 120 * DAY }, max_hist = 0 })
  check.truthy(f.converged, "fit converged")
  local function within(got, se, want, what)
    check.truthy(se > 0 and math.abs(got - want) < 3.5 * se,
      ("%s: %.4f ± %.4f, planted %.4f"):format(what, got, se, want))
  end
  within(f.weights.browse, f.se_weights.browse, 0.1, "browse weight")
  within(f.weights.cart, f.se_weights.cart, 0.6, "cart weight")
  within(f.weights.buy, f.se_weights.buy, 0.3, "buy weight")
  within(f.theta[1], f.se_theta[1], 0.25, "decay rate")
  within(f.mu, f.se_mu, 0.002, "base rate")
  check.near(f.half_life, math.log(2) / f.theta[1], 1e-5, "half-life = ln 2 / rate")
  -- family choice: the exponential truth should not lose to hyperbolic on held-out data
  local ranked = R.select(ev, { families = { "exponential", "hyperbolic" }, key = "item", holdout = 30, max_hist = 0 })
  check.eq(ranked[1].family, "exponential", "held-out likelihood picks the planted family")
end

function tests.the_likelihood_is_the_same_bits_on_any_number_of_threads()
  -- over 20,000 events the likelihood is summed by threads (TIDE_THREADS), in fixed chunks
  -- added in order: the same log-likelihood, gradient and fit on one thread or three
  local ffi = require "ffi"
  pcall(ffi.cdef, "int setenv(const char *name, const char *value, int overwrite); int unsetenv(const char *name);")
  local ev = simulate(2000, 120, 0.002, { [1] = 0.1, [3] = 0.6, [5] = 0.3 }, 0.25, 7)
  check.truthy(ev.n >= 20000, "enough events for threads: " .. ev.n)
  local old = os.getenv("TIDE_THREADS")
  local function fit_with(n)
    ffi.C.setenv("TIDE_THREADS", tostring(n), 1)
    local f = R.fit(ev, { key = "item", target = "buy", family = "mixture", max_hist = 20, frailty = "user", se = false })
    return f, f.loglik
  end
  local ok, a, la = pcall(fit_with, 1)
  local ok2, b, lb = pcall(fit_with, 3)
  if old then ffi.C.setenv("TIDE_THREADS", old, 1) else ffi.C.unsetenv("TIDE_THREADS") end
  check.truthy(ok and ok2, "fits ran: " .. tostring(a) .. " " .. tostring(b))
  check.eq(lb, la, "same log-likelihood")
  check.eq(b.mu, a.mu, "same base rate")
  for i = 1, #a.theta do check.eq(b.theta[i], a.theta[i], "same kernel parameter " .. i) end
  check.eq(b.kappa, a.kappa, "same frailty shape")
end

function tests.curve_counts_and_exposure_by_hand()
  -- pair: browse at 0, cart at 1, buy at 2.5 (window [0, 4)): browse is the latest on [0,1),
  -- cart on [1, 2.5) and the buy on [2.5, 4); the buy at 2.5 comes 1.5 after the cart
  local d = { off = T.fromtable({ 0, 3 }, "i64"), time = { 0, 1, 2.5 }, type = T.fromtable({ 1, 2, 3 }, "i32"),
              target = T.fromtable({ 0, 0, 1 }, "i32"), n_types = 3, t0 = 0, t1 = 4 }
  local cnt, ex = D.response_curve(d, { 0, 1, 2, 10 })
  check.all_near(ex, { { 1, 0, 0 }, { 1, 0.5, 0 }, { 1, 0.5, 0 } }, 1e-6, "exposure per type and age bin")
  check.all_near(cnt, { { 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 0 } }, 1e-6, "the buy falls in cart's [1, 2) bin")
end

function tests.expected_actions_use_only_the_past()
  local ev = simulate(40, 60, 0.01, { [1] = 0.2, [3] = 0.5, [5] = 0.3 }, 0.3, 3)
  local f = R.fit(ev, { key = "item", family = "exponential", se = false })
  local t = 30 * DAY
  local e1 = f:expected(ev, t, 7)
  -- the same log cut at t: identical expectations for every pair present before t
  local early = ev:filter(ev.time:lt(t))
  local e2 = f:expected(early, t, 7)
  local want = {}
  for i = 1, e2.user:numel() do want[e2.user:get(i)] = e2.score:get(i) end
  local n = 0
  for i = 1, e1.user:numel() do
    local w = want[e1.user:get(i)]
    if w then check.near(e1.score:get(i), w, 1e-6, "no peeking past t"); n = n + 1 end
  end
  check.truthy(n > 10, "pairs compared")
  -- closed form for one pair with a single browse at age a: μh + w(e^{−βa} − e^{−β(a+h)})
  local one = tide.data.from_columns{ user = T.fromtable({ 1 }, "i32"), item = T.fromtable({ 1 }, "i32"),
                                      event = T.fromtable({ 1 }, "i32"), time = T.fromtable({ 0 }, "i64") }
  local fo = setmetatable({ family = "exponential", k = 1, mu = 0.01, weights = { browse = 0.4 }, theta = { 0.2 },
                            unit = DAY, origin = 0, max_hist = 0, key = "item", target = "buy" }, R.Fit)
  local e = fo:expected(one, 3 * DAY, 7)
  check.near(e.score:get(1), 0.01 * 7 + 0.4 * (math.exp(-0.6) - math.exp(-2.0)), 1e-6, "closed form")
end

function tests.segments_are_shrunk_toward_the_pooled_fit()
  local ev = simulate(300, 60, 0.005, { [1] = 0.2, [3] = 0.5, [5] = 0.3 }, 0.3, 11)
  local cat = {}
  for i, u in ipairs(ev.user:totable()) do cat[i] = u % 3 + 1 end
  ev.category = T.fromtable(cat, "i32")
  local loose = R.fit(ev, { key = "item", segment = "category", shrink = 1e-6, se = false })
  local tight = R.fit(ev, { key = "item", segment = "category", shrink = 1e4, se = false })
  local spread = function(f)
    local lo, hi = math.huge, -math.huge
    for _, s in pairs(f.segments) do lo, hi = math.min(lo, s.weights.cart), math.max(hi, s.weights.cart) end
    return hi - lo
  end
  check.truthy(spread(tight) < 0.1 * spread(loose), "strong shrinkage pulls segments together")
  for _, s in pairs(tight.segments) do check.near(s.weights.cart, tight.weights.cart, 0.05, "near pooled") end
end

function tests.bad_inputs_are_named()
  local ev = simulate(5, 30, 0.01, { [1] = 0.2, [3] = 0.5, [5] = 0.3 }, 0.3, 2)
  check.errors(function() R.fit(ev, { family = "linear" }) end, "bounded support")
  check.errors(function() R.fit(ev, { family = "nope" }) end, "nope")
  check.errors(function() R.fit(ev, { key = "category" }) end, "no 'category' column")
  check.errors(function() R.fit(ev, { target = "refund" }) end, "unknown target event 'refund'")
  check.errors(function() R.fit(ev, { wrong = 1 }) end, "unknown option 'wrong'")
  check.errors(function() R.fit(ev:filter(ev.event:ne(5)), {}) end, "no 'buy' events")
  check.errors(function() D.response_loglik("exponential", 1, tiny(), { 0.1, 0.2 }) end, "par has 2 values")
  check.errors(function() D.response_loglik("exponential", 1, tiny(), { 0.1, 0.2, 0 / 0, 0.1, 0.1 }) end,
    "must be finite and > 0")
  local d = tiny()
  d.time = { 0, 2, 1, 5 }
  check.errors(function() D.response_loglik("exponential", 1, d, { 0.1, 0.2, 0.3, 0.1, 0.1 }) end, "not sorted by time")
end

return tests
