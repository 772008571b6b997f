-- test_decay.lua — tide.decay from Lua: closed forms, MLE recovery on simulated logs (global,
-- per user with empirical-Bayes shrinkage), AIC selection, profiles on a hand-made log,
-- Hawkes fit + goodness of fit, tide.lbfgs, and error paths.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local T = tide.tensor
local tests = {}

function tests.eval_closed_form_and_half_life()
  local v = tide.decay.eval("exponential", { 0.5 }, { 0, 2 })
  check.all_near(v, { 1, math.exp(-1) }, 1e-6)
  local w, g = tide.decay.eval("weibull", { 0.2, 0.5 }, { 5 })
  check.near(w:get(1), math.exp(-1), 1e-6)
  check.near(g:get(1, 1), -0.5 * 1 / 0.2 * math.exp(-1), 1e-5) -- dS/dλ = −k (λt)^k / λ · S
  check.near(tide.decay.half_life("exponential", { 0.1 }):get(1), math.log(2) / 0.1, 1e-5)
  check.near(tide.decay.half_life("hyperbolic", { 0.25 }):get(1), 4, 1e-5)
  check.errors(function() tide.decay.eval("nope", { 1 }, { 1 }) end, "unknown family")
  check.errors(function() tide.decay.eval("exponential", { -1 }, { 1 }) end, "must be finite and > 0")
end

function tests.global_exponential_recovers_rate()
  local cols, d, expo = U.simulate(800, 60, function(r) return -math.log(r()) / 0.2 end, 7)
  local ev = U.events(cols)
  local f = tide.decay.fit(ev, { family = "exponential", per = "global", t_end = 60 * 86400 })
  local p = f:params()
  -- closed form of the censored MLE, computed from the simulation's own bookkeeping
  check.near(p.lambda, d / expo, 2e-3, "lambda = returns / exposure")
  check.truthy(math.abs(p.lambda - 0.2) < 3 * p.se_lambda, "truth within 3 se")
  check.near(p.half_life, math.log(2) / p.lambda, 1e-4)
  check.eq(f.n_returns, d)
end

function tests.per_user_shrinkage()
  -- user rates from a Gamma(4, 40) prior (mean 0.1/day), short window: few gaps per user
  local r = U.rng(3)
  local rates = {}
  local cols, d, expo = U.simulate(1500, 30, function(rr, u)
    if not rates[u] then local l = 0 for _ = 1, 4 do l = l - math.log(r()) / 40 end rates[u] = l end
    return -math.log(rr()) / rates[u]
  end, 11)
  local ev = U.events(cols)
  local f = tide.decay.fit(ev, { family = "exponential", per = "user", t_end = 30 * 86400 })
  check.truthy(f.prior and f.prior.a[1] > 1.5 and f.prior.a[1] < 10, "prior shape near 4: " .. tostring(f.prior.a[1]))
  check.near(f.prior.a[1] / f.prior.b[1], 0.1, 0.2, "prior mean rate")
  -- shrinkage lowers the error against the true rates compared with the raw MLE
  local e_mle, e_eb = 0, 0
  for u = 1, 1500 do
    e_mle = e_mle + (f.mle_theta:get(u, 1) - rates[u]) ^ 2
    e_eb = e_eb + (f.theta:get(u, 1) - rates[u]) ^ 2
  end
  check.truthy(e_eb < 0.8 * e_mle, ("EB error %.4g vs MLE %.4g"):format(e_eb, e_mle))
end

function tests.segments()
  -- two segments with rates 0.5 and 0.05 per day; users 1..200 in segment 1, 201..400 in 2
  local cols = U.simulate(400, 40, function(r, u) return -math.log(r()) / (u <= 200 and 0.5 or 0.05) end, 21)
  local ev = U.events(cols)
  local seg = {}
  for u = 1, 400 do seg[u] = u <= 200 and 1 or 2 end
  local segt = T.fromtable(seg, "i32")
  local f = tide.decay.fit(ev, { per = "segment", segment = segt, t_end = 40 * 86400, shrink = false })
  check.eq(f.n_series, 2)
  check.truthy(math.abs(f.theta:get(1, 1) - 0.5) < 3 * f.se:get(1, 1), "segment 1 rate")
  check.truthy(math.abs(f.theta:get(2, 1) - 0.05) < 3 * f.se:get(2, 1), "segment 2 rate")
  -- per-user fits shrink towards their own segment's prior, not a global one
  local fu = tide.decay.fit(ev, { per = "user", segment = segt, t_end = 40 * 86400 })
  check.eq(#fu.prior.a, 2)
  check.near(fu.prior.a[1] / fu.prior.b[1], 0.5, 0.15, "segment 1 prior mean")
  check.near(fu.prior.a[2] / fu.prior.b[2], 0.05, 0.25, "segment 2 prior mean")
  check.errors(function() tide.decay.fit(ev, { per = "segment" }) end, "needs opts.segment")
end

function tests.select_picks_true_family()
  local cols = U.simulate(1000, 90, function(r) return (-math.log(r())) ^ (1 / 0.5) / 0.15 end, 5)
  local ev = U.events(cols)
  local ranked = tide.decay.select(ev, { families = { "exponential", "hyperbolic", "weibull", "linear" },
                                         t_end = 90 * 86400 })
  check.eq(ranked[1].family, "weibull")
  local p = ranked[1].fit:params()
  check.truthy(math.abs(p.k - 0.5) < 3 * p.se_k, "shape within 3 se: " .. p.k)
end

function tests.mixture_and_weibull_per_category()
  -- two categories with different laws in one log; per-category fits separate them
  local r = U.rng(9)
  local cols = { user = {}, time = {}, category = {} }
  for u = 1, 600 do
    for c = 1, 2 do
      local now = 0
      local rate = c == 1 and 1.0 or 0.05
      cols.user[#cols.user + 1] = u; cols.time[#cols.time + 1] = 0; cols.category[#cols.category + 1] = c
      while true do
        now = now - math.log(r()) / rate
        if now > 50 then break end
        cols.user[#cols.user + 1] = u; cols.time[#cols.time + 1] = math.floor(now * 86400); cols.category[#cols.category + 1] = c
      end
    end
  end
  -- rows must be time-sorted per user for the C grouping? no: group() sorts by (user, time)
  local ev = U.events(cols)
  local f = tide.decay.fit(ev, { family = "exponential", per = "category", t_end = 50 * 86400, shrink = false })
  check.truthy(math.abs(f.theta:get(1, 1) - 1.0) < 3 * f.se:get(1, 1), "fast category")
  check.truthy(math.abs(f.theta:get(2, 1) - 0.05) < 3 * f.se:get(2, 1), "slow category")
  -- category return gaps pooled over categories follow a 2-mixture: it beats one exponential
  local g = tide.decay.select(ev, { families = { "exponential", "mixture" }, per = "global", gaps_by = "category",
                                    t_end = 50 * 86400 })
  check.eq(g[1].family, "mixture")
end

function tests.profiles_by_hand()
  -- user 1: cat 1 at day 0 (browse), cat 2 at day 1 (buy), cat 1 at day 2 (browse); at = day 2
  local ev = U.events { user = { 1, 1, 1, 2 }, time = { 0, 86400, 2 * 86400, 0 }, category = { 1, 2, 1, 2 },
                        event = { 1, 5, 1, 1 }, item = { 1, 2, 1, 3 } }
  local p = tide.decay.profile(ev, { by = "category", half_life = 1, weights = { browse = 1, buy = 4 }, at = 2 * 86400 })
  local u1 = p:of(1)
  -- cat 1: 2^-2 + 1 = 1.25; cat 2: 4 · 2^-1 = 2
  check.eq(u1[1][1], 2); check.near(u1[1][2], 2, 1e-6)
  check.eq(u1[2][1], 1); check.near(u1[2][2], 1.25, 1e-6)
  local d = tide.decay.profile(ev, { by = "category", half_life = 1, at = 2 * 86400, dense = true })
  check.all_near(d, { { 1.25, 0.5 }, { 0, 0.25 } }, 1e-6)
  -- forecast one day ahead halves everything; θ-threshold on normalised profile
  local f = tide.decay.profile(ev, { by = "category", half_life = 1, at = 2 * 86400, h = 86400, dense = true })
  check.all_near(f, { { 0.625, 0.25 }, { 0, 0.125 } }, 1e-6)
  local th = tide.decay.profile(ev, { by = "category", half_life = 1, at = 2 * 86400, norm = "sum", threshold = 0.5 })
  check.eq(#th:of(1), 1)
  check.near(th:of(1)[1][2], 1.25 / 1.75, 1e-6)
  check.errors(function() tide.decay.profile(U.events { user = { 1 }, time = { 0 } }, { by = "category" }) end,
    "no category column")
end

function tests.profiles_with_per_user_fit()
  -- user 1 decays fast (returns daily), user 2 slowly (every 20 days): a per-user fit drives
  -- each user's own half-life in the profile; forecasting h ahead multiplies by e^(-λ_u h)
  local cols = { user = {}, time = {}, item = {}, category = {} }
  local function add(u, d, c) local n = #cols.user + 1; cols.user[n], cols.time[n], cols.item[n], cols.category[n] = u, d * 86400, c, c end
  for d = 0, 40 do add(1, d, 1 + d % 2) end
  for d = 0, 40, 20 do add(2, d, 1) end
  local ev = U.events(cols)
  local f = tide.decay.fit(ev, { family = "exponential", per = "user", shrink = false, t_end = 41 * 86400 })
  check.truthy(f.half_life:get(1) < f.half_life:get(2), "fast user has the shorter half-life")
  local now = tide.decay.profile(ev, { by = "category", fit = f, at = 41 * 86400, dense = true })
  local later = tide.decay.profile(ev, { by = "category", fit = f, at = 41 * 86400, h = 3 * 86400, dense = true })
  for u = 1, 2 do
    local lam = f.theta:get(u, 1)
    check.near(later:get(u, 1), now:get(u, 1) * math.exp(-lam * 3), 1e-4, "forecast user " .. u)
  end
end

function tests.forecast_exponential_is_memoryless()
  local cols = U.simulate(300, 40, function(r) return -math.log(r()) / 0.3 end, 2)
  local f = tide.decay.fit(U.events(cols), { t_end = 40 * 86400 })
  local lam = f:params().lambda
  check.near(tide.decay.forecast(f, 10, 3, 2), 10 * math.exp(-lam * 2), 1e-5)
end

function tests.hawkes_fit_and_gof()
  local truth = { mu = 0.4, alpha = 0.6, beta = 1.0 }
  local t = tide.decay.hawkes.simulate(truth, 4000, 17)
  local h = tide.decay.hawkes.fit(t, { t0 = 0, t1 = 4000 })
  check.truthy(math.abs(h.mu - 0.4) < 3 * h.se.mu, "mu")
  check.truthy(math.abs(h.alpha - 0.6) < 3 * h.se.alpha, "alpha")
  check.truthy(math.abs(h.beta - 1.0) < 3 * h.se.beta, "beta")
  check.near(h.branching, h.alpha / h.beta, 1e-12)
  local g = h:gof(t, 0)
  check.truthy(g.p_value > 0.01, "KS p-value " .. g.p_value)
  local p = h:prob(t, 4000, 1)
  check.truthy(p > 0 and p < 1, "probability in (0, 1)")
  check.near(h:prob({}, 0, 2), 1 - math.exp(-h.mu * 2), 1e-9)
  check.errors(function() tide.decay.hawkes.fit({ 3, 1, 2 }, { t0 = 0, t1 = 5 }) end, "not sorted")
  -- per-user horizon probabilities from a law fitted on an event table agree with h:prob
  local cols = { user = {}, time = {} }
  for u = 1, 3 do
    for _, v in ipairs(tide.decay.hawkes.simulate(truth, 60, u)) do
      cols.user[#cols.user + 1] = u; cols.time[#cols.time + 1] = math.floor(v * 86400)
    end
  end
  local ev = U.events(cols)
  local hf = tide.decay.hawkes.fit_events(ev, { t_end = 60 * 86400 })
  local probs, users = hf:prob_users(2)
  check.eq(#users, 3)
  local a, b = hf.off:get(1), hf.off:get(2)
  local own = {}
  for i = a + 1, b do own[#own + 1] = hf.times[i] end
  check.near(probs:get(1), hf:prob(own, (60 * 86400 - hf.origin) / 86400, 2), 1e-6)
end

function tests.lbfgs_minimize()
  -- quadratic with known minimum, x as a tensor
  local x, info = tide.lbfgs.minimize(function(x)
    local a, b = x:get(1) - 3, x:get(2) + 1
    return a * a + 10 * b * b, { 2 * a, 20 * b }
  end, T.zeros({ 2 }), { gtol = 1e-10 })
  check.truthy(info.converged, info.status)
  check.all_near(x, { 3, -1 }, 1e-6)
  check.errors(function() tide.lbfgs.minimize(function() return 1 end, { 1 }) end, "gradient")
  check.errors(function() tide.lbfgs.minimize(function() error("boom") end, { 1 }) end, "boom")
end

function tests.decay_network_recovers_alpha_beta()
  -- curve regression: α(z) = 1 + z1², β(z) = e^(0.7 z2), small noise
  T.manual_seed(1)
  local N = 1500
  local z = T.uniform({ N, 2 }, -1, 1)
  local zt, tt, yt = z:totable(), {}, {}
  local r = U.rng(3)
  for i = 1, N do
    tt[i] = r() * 4
    yt[i] = (1 + zt[i][1] ^ 2) * math.exp(-math.exp(0.7 * zt[i][2]) * tt[i]) + 0.02 * (r() - 0.5)
  end
  local net = tide.decay.network{ features = 2, hidden = { 16 }, seed = 2 }
  local h = net:fit(z, T.fromtable(tt), T.fromtable(yt), { epochs = 250, lr = 2e-2 })
  check.truthy(h[#h] < 0.01 * h[1], "loss falls")
  local a, b = net:predict(T.fromtable({ { 0, 0 }, { 0.8, -0.5 } }))
  check.near(a:get(1), 1, 0.05); check.near(b:get(1), 1, 0.05)
  check.near(a:get(2), 1.64, 0.05); check.near(b:get(2), math.exp(-0.35), 0.05)
  check.all_near(net:curve(T.fromtable({ { 0, 0 } }), T.fromtable({ 1 })), { math.exp(-1) }, 0.05)
end

function tests.decay_network_survival_loss()
  -- return gaps with rate β(z) = 0.2 e^(z), censored at 20 days; the network recovers β
  T.manual_seed(4)
  local N = 3000
  local z = T.uniform({ N, 1 }, -1, 1)
  local zt, tt, et = z:totable(), {}, {}
  local r = U.rng(8)
  for i = 1, N do
    local g = -math.log(r()) / (0.2 * math.exp(zt[i][1]))
    if g > 20 then tt[i], et[i] = 20, 0 else tt[i], et[i] = g, 1 end
  end
  local net = tide.decay.network{ features = 1, hidden = { 8 }, seed = 5 }
  net:fit(z, T.fromtable(tt), T.fromtable(et), { epochs = 300, lr = 2e-2, loss = "survival" })
  local _, b = net:predict(T.fromtable({ { -0.8 }, { 0 }, { 0.8 } }))
  for i, zz in ipairs({ -0.8, 0, 0.8 }) do check.near(b:get(i), 0.2 * math.exp(zz), 0.15, "beta at z=" .. zz) end
  check.errors(function() net:fit(z, T.fromtable(tt), T.fromtable(et), { loss = "huber" }) end, "loss must be")
end

function tests.curve_fit_least_squares()
  -- exact curves: the fit must return the generating I0 and parameters
  local t, y = {}, {}
  for i = 0, 20 do t[#t + 1] = i * 0.5; y[#y + 1] = 3 * math.exp(-0.4 * i * 0.5) end
  local c = tide.decay.curve_fit(t, y, { family = "exponential" })
  check.near(c.I0, 3, 1e-5); check.near(c.theta[1], 0.4, 1e-5)
  check.near(c.half_life, math.log(2) / 0.4, 1e-4)
  local ym = {}
  for i = 1, #t do ym[i] = 2 * (0.3 * math.exp(-2 * t[i]) + 0.7 * math.exp(-0.1 * t[i])) end
  local m = tide.decay.curve_fit(t, ym, { family = "mixture", k = 2 })
  check.near(m.I0, 2, 1e-3); check.near(m.theta[1], 0.3, 1e-3); check.near(m.theta[3], 2, 1e-2); check.near(m.theta[4], 0.1, 1e-3)
  local yw = {}
  for i = 1, #t do yw[i] = 1.5 * math.exp(-((0.3 * t[i]) ^ 0.6)) end
  local w = tide.decay.curve_fit(t, yw, { family = "weibull" })
  check.near(w.theta[1], 0.3, 1e-3); check.near(w.theta[2], 0.6, 1e-3)
  check.errors(function() tide.decay.curve_fit({ 1, 2 }, { 1 }) end, "equal length")
end

function tests.binding_errors()
  local D = tide.core.decay
  local off = T.fromtable({ 0, 2 }, "i64")
  check.errors(function() D.fit("exponential", 2, off, { 1, 2 }, T.fromtable({ 1 }, "i32")) end, "event has 1 entries")
  check.errors(function() D.fit("exponential", 2, off, { 1, 0 / 0 }, T.fromtable({ 1, 1 }, "i32")) end, "finite")
  check.errors(function() D.fit("exponential", 2, T.fromtable({ 0, 3 }, "i64"), { 1, 2 }, T.fromtable({ 1, 1 }, "i32")) end, "ends at 3")
  check.errors(function() D.fit("exponential", 2, off, { 1, 2 }, T.fromtable({ 1, 7 }, "i32")) end, "0 (censored) or 1")
  check.errors(function() D.fit("mixture", 40, off, { 1, 2 }, T.fromtable({ 1, 1 }, "i32")) end, "1..16")
  check.errors(function() D.gaps(off, T.fromtable({ 5, 1 }, "i64"), nil, 10) end, "not time-sorted")
  check.errors(function() D.gaps(off, "x", nil, 10) end, "must be a tensor")
  check.errors(function() D.interest({ theta = { 1 } }, off, T.fromtable({ 1, 9 }, "i32"), T.fromtable({ 1, 2 }, "i64"), nil, 3, 5) end,
    "outside 1..3")
  check.errors(function() D.interest({}, off, T.fromtable({ 1, 2 }, "i32"), T.fromtable({ 1, 2 }, "i64"), nil, 3, 5) end,
    "theta is required")
  check.errors(function() D.cooc(off, T.fromtable({ 1, 2 }, "i32"), 2, 0, 9) end, "kind must be")
  check.errors(function() D.hawkes_prob({ mu = -1, alpha = 0, beta = 1 }, { 1 }, 2, 1) end, "mu > 0")
  check.errors(function() tide.core.metrics.rank(T.zeros({ 2, 3 }), nil, nil, T.fromtable({ 0, 1 }, "i64"), T.fromtable({ 1 }, "i32")) end,
    "offsets have 2 entries for 2 score rows")
  check.errors(function() tide.core.metrics.rank(T.zeros({ 3 }), nil, nil, off, T.fromtable({ 1 }, "i32")) end, "[users, items]")
end

function tests.fit_errors()
  local ev = U.events { user = { 1, 1 }, time = { 0, 10 } }
  check.errors(function() tide.decay.fit(ev, { per = "nope" }) end, "per must be")
  check.errors(function() tide.decay.fit(ev, { per = "category" }) end, "category column")
  check.errors(function() tide.decay.fit(ev, { unit = "fortnight" }) end, "unit must be")
  check.errors(function() tide.decay.fit(ev, { family = "gauss" }) end, "unknown family")
end

return tests
