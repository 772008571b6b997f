-- test_forecast.lua — tide.forecast ARIMA: CSS estimates against closed forms (AR = OLS on
-- lags) and against an independent CSS minimisation in scipy, analytic gradients against
-- finite differences, forecasts and intervals against the AR(1) / random-walk closed forms,
-- psi weights, KPSS and AIC order selection, bad input.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local F = tide.forecast
local tests = {}

-- Park-Miller minimal standard generator: exact in doubles, so /usr/bin/python3 reproduces
-- the same series bit for bit (see the generators in the comments below)
local function noise(n, seed)
  local s, out = seed, {}
  for i = 1, n do s = (16807 * s) % 2147483647; out[i] = s / 2147483647 - 0.5 end
  return out
end
local function ar1() -- x_t = 2 + 0.7 (x_{t-1} - 2) + e_t, x_0 = 2
  local e, x, prev = noise(200, 42), {}, 2
  for t = 1, 200 do prev = 2 + 0.7 * (prev - 2) + e[t]; x[t] = prev end
  return x
end
local function ar2() -- x_t = 0.5 x_{t-1} - 0.3 x_{t-2} + e_t
  local e, x, a, b = noise(400, 7), {}, 0, 0
  for t = 1, 400 do local v = 0.5 * a - 0.3 * b + e[t]; b = a; a = v; x[t] = v end
  return x
end
local function ma1() -- x_t = e_t - 0.6 e_{t-1}
  local e, x, ep = noise(300, 123), {}, 0
  for t = 1, 300 do x[t] = e[t] - 0.6 * ep; ep = e[t] end
  return x
end
local function arma11() -- x_t = 1 + 0.5 (x_{t-1} - 1) + e_t + 0.4 e_{t-1}
  local e, x, xp, ep = noise(300, 99), {}, 0, 0
  for t = 1, 300 do
    local v = t > 1 and 1 + 0.5 * (xp - 1) + e[t] + 0.4 * ep or 1 + e[t]
    xp, ep, x[t] = v, e[t], v
  end
  return x
end

function tests.ar_css_equals_ols()
  local x = ar1()
  local m = F.arima(x, { p = 1 })
  -- OLS of x_t on (1, x_{t-1}) in closed form, here; mu = c / (1 - phi)
  local n, sx, sy, sxx, sxy = 0, 0, 0, 0, 0
  for t = 2, #x do
    n, sx, sy = n + 1, sx + x[t - 1], sy + x[t]
    sxx, sxy = sxx + x[t - 1] ^ 2, sxy + x[t - 1] * x[t]
  end
  local phi = (sxy - sx * sy / n) / (sxx - sx * sx / n)
  local c = (sy - phi * sx) / n
  check.near(m.phi[1], phi, 1e-7, "phi = OLS slope")
  check.near(m.mu, c / (1 - phi), 1e-7, "mu = c / (1 - phi)")
  -- numpy.linalg.lstsq on the same series: phi 0.6940068431123821, mu 1.935186586737321,
  -- residual variance 0.07650838731770637
  check.near(m.phi[1], 0.6940068431123821, 1e-7)
  check.near(m.sigma2, 0.07650838731770637, 1e-8)
  check.truthy(m.converged and m.stationary and m.invertible)
  check.near(m.loglik, -0.5 * 199 * (math.log(2 * math.pi * m.sigma2) + 1), 1e-12)
  check.near(m.aic, -2 * m.loglik + 2 * 3, 1e-12)
  -- AR(2): numpy.linalg.lstsq of x_t on (1, x_{t-1}, x_{t-2})
  local m2 = F.arima(ar2(), { p = 2 })
  check.all_near(m2.phi, { 0.5653477776026157, -0.2656556363396055 }, 1e-7)
  check.near(m2.mu, 0.021414737036775426, 1e-7)
  check.near(m2.sigma2, 0.08602272191421408, 1e-8)
  check.truthy(m2.se[1] > 0.02 and m2.se[1] < 0.08, "se(phi1) ~ sqrt((1-phi2^2)/n)")
end

function tests.ma_and_arma_match_scipy_css()
  -- scipy.optimize.minimize (BFGS, then Nelder-Mead to 1e-12) of the CSS recursion written
  -- in numpy (pre-sample errors 0, conditioning on the first p values)
  local m = F.arima(ma1(), { q = 1 })
  check.near(m.theta[1], -0.5967204026583852, 1e-6)
  check.near(m.mu, 0.005903619179168753, 1e-6)
  check.near(m.sigma2, 0.08874451848699387, 1e-8)
  local a = F.arima(arma11(), { p = 1, q = 1 })
  check.near(a.phi[1], 0.5916462217370179, 1e-5)
  check.near(a.theta[1], 0.227261663466457, 1e-5)
  check.near(a.mu, 0.9857704305215368, 1e-6)
  check.near(a.sigma2, 0.08458737549219725, 1e-8)
end

function tests.css_gradient_matches_finite_differences()
  local C = tide.core.arima
  local x = arma11()
  for _, case in ipairs({ { { p = 1, q = 1, mean = true }, { 0.3, 0.2, 0.8 } },
                          { { p = 2, q = 2, mean = true }, { 0.4, -0.2, 0.3, 0.1, 1.1 } },
                          { { p = 0, q = 2, mean = false }, { -0.5, 0.25 } } }) do
    local o, par = case[1], case[2]
    local _, g = C.css(x, o, par)
    for i = 1, #par do
      local pp, pm = { unpack(par) }, { unpack(par) }
      pp[i], pm[i] = par[i] + 1e-6, par[i] - 1e-6
      local num = (C.css(x, o, pp) - C.css(x, o, pm)) / 2e-6
      check.near(g[i], num, 1e-6, "dS/dparam " .. i)
    end
  end
end

function tests.forecasts_match_closed_forms()
  local x = ar1()
  local m = F.arima(x, { p = 1 })
  local f = m:forecast(5)
  local phi, mu, s2, acc = m.phi[1], m.mu, m.sigma2, 0
  for h = 1, 5 do
    acc = acc + phi ^ (2 * (h - 1))
    check.near(f.mean[h], mu + phi ^ h * (x[#x] - mu), 1e-12, "AR(1) mean")
    check.near(f.se[h], math.sqrt(s2 * acc), 1e-12, "AR(1) se")
    check.near(f.upper[h] - f.mean[h], 1.959963984540054 * f.se[h], 1e-12)
  end
  local f80 = m:forecast(1, { level = 0.8 })
  check.near((f80.upper[1] - f80.mean[1]) / f80.se[1], 1.2815515655446004, 1e-6, "z_0.9 (scipy.stats.norm.ppf)")
  -- random walk ARIMA(0,1,0): flat forecast at the last value, se = sigma sqrt(h)
  local rw, s = {}, 0
  for i, e in ipairs(noise(300, 5)) do s = s + e; rw[i] = s end
  local r = F.arima(rw, { d = 1 })
  local ss = 0
  for t = 2, 300 do ss = ss + (rw[t] - rw[t - 1]) ^ 2 end
  check.near(r.sigma2, ss / 299, 1e-12)
  local fr = r:forecast(4)
  for h = 1, 4 do
    check.near(fr.mean[h], rw[300], 1e-12)
    check.near(fr.se[h], math.sqrt(r.sigma2 * h), 1e-12)
  end
  -- ARIMA(1,1,0) psi weights: psi_j = (1 - phi^(j+1)) / (1 - phi)
  local psi = tide.core.arima.psi({ 0.6 }, 1, {}, 6)
  for j = 0, 5 do check.near(psi[j + 1], (1 - 0.6 ^ (j + 1)) / 0.4, 1e-14) end
  -- ARMA(1,1) psi: psi_1 = phi + theta, psi_j = phi psi_{j-1}
  psi = tide.core.arima.psi({ 0.5 }, 0, { 0.4 }, 4)
  check.all_near(psi, { 1, 0.9, 0.45, 0.225 }, 1e-14)
  -- a linear trend with d = 2 is forecast exactly
  local lin = {}
  for t = 1, 30 do lin[t] = 3 + 2 * t + (t % 2 == 0 and 1e-3 or -1e-3) end
  -- ARIMA(0,2,0): the second differences are forecast as 0, so x_{n+k} = x_n + k (x_n - x_{n-1})
  local fl = F.arima(lin, { d = 2 }):forecast(3)
  for k = 1, 3 do check.near(fl.mean[k], lin[30] + k * (lin[30] - lin[29]), 1e-12, "double integration") end
end

function tests.kpss_and_auto_arima()
  -- numpy: the KPSS 1992 statistic with l = floor(4 (n/100)^(1/4)) = 5 on the AR(2) series
  -- and on the cumulated noise(300, 5) random walk
  check.near(F.kpss(ar2()), 0.03453066607909375, 1e-10)
  local rw, s = {}, 0
  for i, e in ipairs(noise(300, 5)) do s = s + e; rw[i] = s end
  check.near(F.kpss(rw), 3.5112847598997874, 1e-10)
  local m = F.auto_arima(ar2(), { max_p = 3, max_q = 2 })
  check.eq(m.order.d, 0, "stationary: no differencing")
  check.eq(#m.candidates, 12)
  for _, c in ipairs(m.candidates) do check.truthy(m.aic <= c.aic + 1e-9, "minimum AIC") end
  check.eq(m.order.p, 2, "AR(2) chosen")
  check.eq(m.order.q, 0)
  local ml = F.auto_arima(ar2(), { max_p = 2, max_q = 1, method = "ml" })
  check.eq(ml.order.method, "ml")
  check.eq(ml.order.p, 2, "AR(2) chosen by exact-likelihood AIC")
  local r = F.auto_arima(rw, { max_p = 1, max_q = 1 })
  check.eq(r.order.d, 1, "random walk differenced once")
end

function tests.exact_likelihood_matches_toeplitz_gaussian()
  -- /usr/bin/python3: the concentrated Gaussian log-likelihood -n/2 log(2 pi s2) - n/2 -
  -- 1/2 log|Omega|, s2 = y' Omega^-1 y / n, with Omega the Toeplitz autocorrelation matrix built
  -- from 3000 psi weights (numpy.linalg.slogdet / solve) — no Kalman filter involved
  local C = tide.core.arima
  local function head(x, n) return { unpack(x, 1, n) } end
  local ll, s2 = C.exact_loglik(head(arma11(), 120), { p = 1, q = 1, mean = true }, { 0.5, 0.4, 1.0 })
  check.near(ll, -23.29126639939174, 1e-10); check.near(s2, 0.08572778605952061, 1e-10)
  ll, s2 = C.exact_loglik(head(ar2(), 150), { p = 2, mean = true }, { 0.5, -0.3, 0.0 })
  check.near(ll, -28.619609502476695, 1e-10); check.near(s2, 0.08555404607790078, 1e-10)
  ll, s2 = C.exact_loglik(head(ma1(), 100), { q = 2, mean = true }, { -0.6, 0.2, 0.01 })
  check.near(ll, -14.762109126348932, 1e-10); check.near(s2, 0.07836889760988466, 1e-10)
  check.errors(function() C.exact_loglik(ar2(), { p = 1 }, { 1.2, 0 }) end, "not stationary")
  -- ML fit: scipy Nelder-Mead (xatol 1e-10) on the same numpy likelihood, ARMA(1,1), n = 120:
  -- phi 0.53983680519495, theta 0.16714205228178802, mu 1.0478285691928773, LL -19.745891143983286
  local m = F.arima(head(arma11(), 120), { p = 1, q = 1, method = "ml" })
  check.truthy(m.converged and m.stationary and m.invertible)
  check.near(m.phi[1], 0.53983680519495, 1e-5)
  check.near(m.theta[1], 0.16714205228178802, 1e-5)
  check.near(m.mu, 1.0478285691928773, 1e-5)
  check.near(m.loglik, -19.745891143983286, 1e-9)
  check.near(m.sigma2, 0.08099842129806796, 1e-6)
  check.truthy(m.se[1] > 0 and m.se[2] > 0 and m.se[3] > 0)
  -- the exact likelihood is at least the CSS estimate's exact likelihood
  local css = F.arima(head(arma11(), 120), { p = 1, q = 1 })
  check.truthy(m.loglik >= C.exact_loglik(head(arma11(), 120), { p = 1, q = 1, mean = true }, css.params) - 1e-9)
  check.errors(function() F.arima(ar1(), { p = 1, method = "mle" }) end, "'css' or 'ml'")
end

function tests.save_load_exact()
  local m = F.arima(arma11(), { p = 1, q = 1 })
  local path = os.tmpname()
  m:save(path)
  local l = F.load_arima(path)
  os.remove(path)
  for i = 1, 3 do check.eq(l.params[i], m.params[i]); check.eq(l.se[i], m.se[i]) end
  check.eq(l.sigma2, m.sigma2)
  check.eq(#l.x, #m.x)
  local a, b = m:forecast(4), l:forecast(4)
  for h = 1, 4 do check.eq(a.mean[h], b.mean[h]); check.eq(a.upper[h], b.upper[h]) end
  check.errors(function() F.load_arima("/nonexistent.arima") end, "nonexistent")
end

function tests.bad_input()
  check.errors(function() F.arima({ 1, 2, 3 }, { p = 1 }) end, "too few")
  check.errors(function() F.arima({ 1, 0 / 0, 3 }, {}) end, "series[2] must be a finite number")
  check.errors(function() F.arima("abc", {}) end, "must be a Lua array or a tensor")
  check.errors(function() F.arima(ar1(), { p = -1 }) end, "non-negative integer")
  check.errors(function() F.arima(ar1(), { p = 1.5 }) end, "non-negative integer")
  check.errors(function() F.arima(ar1(), { order = 1 }) end, "unknown option 'order'")
  check.errors(function() F.arima(ar1(), { p = 1 }):forecast(0) end, "h must be an integer >= 1")
  check.errors(function() F.arima(ar1(), { p = 1 }):forecast(2, { level = 1.5 }) end, "level must be in (0, 1)")
  -- constant series: sigma^2 = 0 is reported, not returned as a model silently
  local const = {}
  for i = 1, 50 do const[i] = 4 end
  check.errors(function() F.arima(const, { p = 1 }) end, "did not converge")
end

return tests
