-- test_clv.lua — tide.clv models on the CDNOW sample against the published estimates, their
-- likelihoods against independent evaluations (numerical integration in scipy), predictions
-- against scipy's hyp2f1, finite-difference gradients, save/load and bad input.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "clv_util"
local clv = tide.clv
local C = tide.core.clv
local tests = {}

-- Published maximum-likelihood estimates on the 2,357-customer CDNOW sample (weeks):
--   BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
--     Science 24(2), 275-284, sec. 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
--   Pareto/NBD: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
--     base analysis", JMR 42(4), 415-430 (and the same paper's BG/NBD comparison): r = 0.553,
--     alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0.
--   MBG/NBD: Batislam, Denizel & Filiztekin (2007) model; CDNOW estimates of BTYDplus, as quoted
--     by the lifetimes test suite (test_params_out_is_close_to_BTYDplus): r = 0.525,
--     alpha = 6.183, a = 0.891, b = 1.614.
--   Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value"
--     (brucehardie.com/notes/025), on the 946 repeat customers: p = 6.25, q = 3.74, gamma = 15.44.
local PUBLISHED = {
  bgnbd = { r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, ll = -9582.4 },
  paretonbd = { r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, ll = -9595.0 },
  mbgnbd = { r = 0.525, alpha = 6.183, a = 0.891, b = 1.614 },
  gammagamma = { p = 6.25, q = 3.74, gamma = 15.44 },
}

local fits = {}
local function fitted(kind)
  if not fits[kind] then fits[kind] = clv.model(kind):fit(U.cdnow()) end
  return fits[kind]
end

function tests.cdnow_reproduces_published_estimates()
  for kind, pub in pairs(PUBLISHED) do
    local p = fitted(kind):params()
    check.truthy(p.converged, kind .. " converged")
    for name, v in pairs(pub) do
      if name == "ll" then check.near(p.loglik, v, 0.05 / 9582, kind .. " LL (published to 0.1)")
      else
        U.sig3(p[name], v, kind .. " " .. name)
        check.truthy(p.se[name] > 0 and p.se[name] < p[name], kind .. " se of " .. name)
      end
    end
  end
  -- Gamma-Gamma uses only the 946 customers with a repeat purchase
  local n = 0
  for _, x in ipairs(U.cdnow().frequency) do n = n + (x > 0 and 1 or 0) end
  check.eq(n, 946, "repeat customers")
end

function tests.loglik_matches_independent_evaluation()
  local s = U.cdnow()
  -- /usr/bin/python3, numpy + scipy 1.10: BG/NBD eq. 6 with scipy.special.betaln/gammaln at the
  -- published parameters; Pareto/NBD as Gamma(r+x) a^r b^s / Gamma(r) [(a+T)^-(r+x) (b+T)^-s
  -- + s * integral_tx^T (a+t)^-(r+x) (b+t)^-(s+1) dt] with scipy.integrate.quad (no 2F1).
  local ll = C.loglik("bgnbd", { 0.243, 4.414, 0.793, 2.426 }, s.frequency, s.recency, s.T)
  check.near(ll, -9582.426831182365, 1e-10, "BG/NBD LL")
  ll = C.loglik("paretonbd", { 0.553, 10.578, 0.606, 11.669 }, s.frequency, s.recency, s.T)
  check.near(ll, -9594.974010040962, 1e-9, "Pareto/NBD LL")
  -- weights: the likelihood of duplicated customers equals a weight of 2
  local two = { frequency = { 2, 2 }, recency = { 30.43, 30.43 }, T = { 38.86, 38.86 } }
  local l2 = C.loglik("paretonbd", { 0.553, 10.578, 0.606, 11.669 }, two.frequency, two.recency, two.T)
  local lw = C.loglik("paretonbd", { 0.553, 10.578, 0.606, 11.669 }, { 2 }, { 30.43 }, { 38.86 }, { 2 })
  check.near(lw, l2, 1e-12, "weighted LL")
end

-- central differences of the log-likelihood against the analytic gradient
local function gradcheck(kind, theta, s)
  local x, tx, T = s.frequency, kind == "gammagamma" and s.monetary or s.recency, kind ~= "gammagamma" and s.T or nil
  local _, g = C.loglik(kind, theta, x, tx, T)
  for i = 1, #theta do
    local h = 1e-6 * theta[i]
    local tp, tm = { unpack(theta) }, { unpack(theta) }
    tp[i], tm[i] = theta[i] + h, theta[i] - h
    local num = (C.loglik(kind, tp, x, tx, T) - C.loglik(kind, tm, x, tx, T)) / (2 * h)
    check.near(g[i], num, 1e-6, ("%s d/d%s at %s"):format(kind, i, table.concat(theta, ",")))
  end
end

function tests.gradients_match_finite_differences()
  local s = U.subset(U.cdnow(), 300)
  gradcheck("bgnbd", { 0.3, 5, 0.8, 2.5 }, s)
  gradcheck("bgnbd", { 2, 0.7, 3, 0.4 }, s)
  gradcheck("mbgnbd", { 0.5, 6, 0.9, 1.6 }, s)
  gradcheck("paretonbd", { 0.55, 10.6, 0.6, 11.7 }, s) -- beta > alpha branch
  gradcheck("paretonbd", { 0.9, 20, 1.3, 4 }, s)       -- alpha > beta branch
  gradcheck("paretonbd", { 0.7, 8, 0.5, 8 }, s)        -- alpha = beta (z = 0)
  gradcheck("gammagamma", { 6, 4, 15 }, s)
end

function tests.special_functions_match_scipy()
  -- scipy.special.hyp2f1; derivatives in a, b, c by central differences (h = 1e-6), in z by
  -- the closed form ab/c 2F1(a+1, b+1; c+1; z)
  local cases = {
    { 1.5, 2.25, 3.5, 0.3, 1.3967995887799507, { 0.3181685227504616, 0.21828233842668965, -0.14418263438731316, 1.815014951723143 } },
    { 0.8, 13.2, 14.9, 0.9, 3.8816317132749463, { 6.739844855552235, 0.909243792479586, -0.8223439713628267, 17.07087199573694 } },
    { 2.0, 3.0, 4.0, -0.5, 0.5376748108081096, { -0.16365526872563763, -0.104586187765765, 0.0765304623007168, 0.5593821981819912 } },
  }
  for _, c in ipairs(cases) do
    local f, d = C.hyp2f1(c[1], c[2], c[3], c[4])
    check.near(f, c[5], 1e-13, "2F1")
    check.all_near(d, c[6], 1e-7, "2F1 derivatives")
  end
  check.near(C.hyp2f1(1, 1, 2, 0.5), -math.log(0.5) / 0.5, 1e-14, "2F1(1,1;2;z) = -log(1-z)/z")
  check.errors(function() C.hyp2f1(1, 1, 2, 1) end, "|z| must be < 1")
  check.errors(function() C.hyp2f1(40, 40, 1.5, 0.99999) end, "z too close to 1")
  check.near(C.hyp2f1(1, 1, 2, 0.9995), -math.log(0.0005) / 0.9995, 1e-12, "z = 0.9995 still sums (78,000 terms)")
  -- scipy.special.digamma
  check.near(C.digamma(0.3), -3.502524222200133, 1e-13)
  check.near(C.digamma(7.5), 1.9467574842460866, 1e-13)
  check.near(C.digamma(123.4), 4.8113737751162775, 1e-13)
end

return tests
