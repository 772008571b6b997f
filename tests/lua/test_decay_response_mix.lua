-- test_decay_response_mix.lua — the mixture response kernel: on a simulated marked Hawkes log
-- whose kernel has a fast (half an hour) and a slow (weeks) component, the fit recovers both rates,
-- the mixing weight and the per-type weights within their intervals (a start with both rates
-- near one value used to collapse them into one), and beats the exponential kernel by AIC.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local R = tide.decay.response
local tests = {}
local DAY = 86400

local simulate = require("response_sim").simulate

function tests.mixture_kernel_recovers_fast_and_slow_components()
  local w = { [1] = 0.1, [3] = 0.6, [5] = 0.3 }
  local ev = simulate(1200, 120, 0.002, w, 0.5, 40.0, 0.05, 5)
  local f = R.fit(ev, { key = "item", target = "buy", family = "mixture", k = 2, window = { 0, 120 * DAY }, max_hist = 0 })
  check.truthy(f.converged, f.message)
  -- θ = (p1, p2, rate1, rate2); components may come out in either order
  local th, se = f.theta, f.se_theta
  local fast, slow = th[3] > th[4] and 1 or 2, th[3] > th[4] and 2 or 1
  local function within(got, s, want, what)
    check.truthy(s > 0 and math.abs(got - want) < 3.5 * s, ("%s: %.4f ± %.4f, planted %.4f"):format(what, got, s, want))
  end
  within(th[2 + fast], se[2 + fast], 40.0, "fast rate")
  within(th[2 + slow], se[2 + slow], 0.05, "slow rate")
  within(th[fast], se[fast], 0.5, "fast weight")
  within(f.weights.browse, f.se_weights.browse, 0.1, "browse weight")
  within(f.weights.cart, f.se_weights.cart, 0.6, "cart weight")
  within(f.weights.buy, f.se_weights.buy, 0.3, "buy weight")
  local e = R.fit(ev, { key = "item", target = "buy", family = "exponential", window = { 0, 120 * DAY }, max_hist = 0, se = false })
  check.truthy(f.aic < e.aic - 20, ("AIC mixture %.1f < exponential %.1f"):format(f.aic, e.aic))
end

function tests.a_slow_component_keeps_its_compensator()
  -- rate 1e-200 with weights c/1e-200: each interaction adds a constant rate c forever, so the
  -- log-likelihood is the constant-rate closed form (the plain S(a) − S(b) used to cancel to 0
  -- and hide the compensator, a fake gain the mixture fit ran to). One pair: browse at 0,
  -- cart at 1, buy at 2, buy at 5, window [0, 10].
  local d = { off = T.fromtable({ 0, 4 }, "i64"), time = { 0, 1, 2, 5 }, type = T.fromtable({ 1, 2, 3, 3 }, "i32"),
              target = T.fromtable({ 0, 0, 1, 1 }, "i32"), n_types = 3, t0 = 0, t1 = 10 }
  local mu, c1, c2, c3, r = 0.01, 0.1, 0.3, 0.2, 1e-200
  local want = math.log(mu + c1 + c2) + math.log(mu + c1 + c2 + c3) - mu * 10 - (c1 * 10 + c2 * 9 + c3 * 8 + c3 * 5)
  local got = tide.core.decay.response_loglik("exponential", 1, d, { mu, c1 / r, c2 / r, c3 / r, r })
  check.near(got, want, 1e-9)
  got = tide.core.decay.response_loglik("mixture", 2, d, { mu, c1 / r, c2 / r, c3 / r, 1e-300, 1, 5, r })
  check.near(got, want, 1e-9, "mixture with the slow component")
end

function tests.delay_shifts_the_kernel_by_hand_and_in_the_gradient()
  -- browse 0, cart 1, buy 2, buy 5 on [0, 10]; exponential g(a) = b e^(−b a) from t_i + 0.5 on
  local d = { off = T.fromtable({ 0, 4 }, "i64"), time = { 0, 1, 2, 5 }, type = T.fromtable({ 1, 2, 3, 3 }, "i32"),
              target = T.fromtable({ 0, 0, 1, 1 }, "i32"), n_types = 3, t0 = 0, t1 = 10, delay = 0.5 }
  local mu, w1, w2, w3, b = 0.05, 0.4, 0.9, 0.3, 0.7
  local g = function(a) return b * math.exp(-b * a) end
  local l2 = mu + w1 * g(1.5) + w2 * g(0.5)
  local l5 = mu + w1 * g(4.5) + w2 * g(3.5) + w3 * g(2.5)
  local comp = mu * 10
  for _, x in ipairs({ { 0, w1 }, { 1, w2 }, { 2, w3 }, { 5, w3 } }) do comp = comp + x[2] * (1 - math.exp(-b * (10 - x[1] - 0.5))) end
  local D = tide.core.decay
  check.near(D.response_loglik("exponential", 1, d, { mu, w1, w2, w3, b }), math.log(l2) + math.log(l5) - comp, 1e-12)
  -- an interaction younger than the delay does not excite yet: buy at 2.3 after cart at 2
  d.time, d.delay = { 0, 2, 2.3, 5 }, 0.5
  local l23 = mu + w1 * g(1.8)
  local l5b = mu + w1 * g(4.5) + w2 * g(2.5) + w3 * g(2.2)
  comp = mu * 10
  for _, x in ipairs({ { 0, w1 }, { 2, w2 }, { 2.3, w3 }, { 5, w3 } }) do comp = comp + x[2] * (1 - math.exp(-b * (10 - x[1] - 0.5))) end
  check.near(D.response_loglik("exponential", 1, d, { mu, w1, w2, w3, b }), math.log(l23) + math.log(l5b) - comp, 1e-12)
  -- gradient of the mixture with a delay against central differences (free parameters)
  local par = { 0.05, 0.4, 0.9, 0.3, 0.3, 0.7, 2.0, 0.2 }
  local _, grad = D.response_loglik("mixture", 2, d, par)
  local u = { math.log(par[1]), math.log(par[2]), math.log(par[3]), math.log(par[4]), math.log(0.3 / 0.7), math.log(2.0), math.log(0.2) }
  local function at(v)
    local e1 = math.exp(v[5])
    return (D.response_loglik("mixture", 2, d, { math.exp(v[1]), math.exp(v[2]), math.exp(v[3]), math.exp(v[4]),
      e1 / (1 + e1), 1 / (1 + e1), math.exp(v[6]), math.exp(v[7]) }))
  end
  for i = 1, #u do
    local up, dn = { unpack(u) }, { unpack(u) }
    up[i], dn[i] = u[i] + 1e-6, u[i] - 1e-6
    check.near(grad[i], (at(up) - at(dn)) / 2e-6, 1e-6, "d/du" .. i)
  end
  check.errors(function() d.delay = -1; D.response_loglik("exponential", 1, d, { mu, w1, w2, w3, b }) end, "delay must be")
  check.errors(function() R.fit(simulate(5, 30, 0.01, { [1] = 0.1, [3] = 0.5, [5] = 0.3 }, 1, 1, 1, 3), { delay = "x" }) end,
    "delay must be a number")
end

return tests
