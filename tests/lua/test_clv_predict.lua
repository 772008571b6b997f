-- test_clv_predict.lua — tide.clv predictions at the published CDNOW parameters against
-- values computed independently in scipy, discounted CLV identities, the holdout check,
-- exact save/load, and non-convergence reporting.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "clv_util"
local clv = tide.clv
local tests = {}

-- a model at given parameters (as if fitted), for prediction tests
local function at(kind, theta)
  local m = clv.model(kind)
  m.theta, m.se, m.ll, m.converged, m.reason = theta, { 0, 0, 0, 0 }, 0, true, ""
  return m
end

-- customers (x, tx, T) in weeks; the first is FHL 2005's worked example
local F, R, TT = { 2, 0, 7, 1 }, { 30.43, 0, 35.71, 1.71 }, { 38.86, 38.86, 38.57, 32 }

-- Expected values: /usr/bin/python3, numpy + scipy 1.10, at the published parameters.
-- BG/NBD: FHL 2005 eqs. 9-11 with scipy.special.hyp2f1 (FHL report 1.226 for customer 1).
-- Pareto/NBD: P(alive) from the likelihood with the dropout integral by scipy.integrate.quad,
-- conditional expectation (r+x)(b+T)/((a+T)(s-1)) [1 - ((b+T)/(b+T+t))^(s-1)] P(alive).
-- MBG/NBD: Batislam et al. 2007 / Wagner & Hoppe 2008 with scipy.special.hyp2f1.
function tests.predictions_match_scipy()
  local bg = at("bgnbd", { 0.243, 4.414, 0.793, 2.426 })
  check.all_near(bg:p_alive(F, R, TT), { 0.726578570080673, 1.0, 0.8658263845291633, 0.2501584753845544 }, 1e-12)
  check.all_near(bg:conditional_expected(39, F, R, TT),
    { 1.226028174767135, 0.19509805201125396, 4.526956376103984, 0.2780113169043161 }, 1e-11)
  check.all_near(bg:expected({ 1, 39, 78 }), { 0.05326789117165627, 1.1967231933207985, 1.8605190579427455 }, 1e-11)
  check.near(bg:conditional_expected(39, 2, 30.43, 38.86), 1.226, 5e-4, "FHL 2005 worked example")
  local pn = at("paretonbd", { 0.553, 10.578, 0.606, 11.669 })
  check.all_near(pn:p_alive(F, R, TT), { 0.8691675591530111, 0.29528660461689404, 0.9562129208131966, 0.22128881195146285 }, 1e-9)
  check.all_near(pn:conditional_expected(39, F, R, TT),
    { 1.4551231932576025, 0.10708146821530883, 4.759927749539641, 0.25575602303765377 }, 1e-9)
  check.all_near(pn:expected({ 1, 39, 78 }), { 0.050979843245990884, 1.2130028442810157, 1.9093981293136852 }, 1e-12)
  local mb = at("mbgnbd", { 0.525, 6.183, 0.891, 1.614 })
  check.all_near(mb:p_alive(F, R, TT), { 0.7062022651184873, 0.3897350809187629, 0.8546876661366346, 0.2095336012220602 }, 1e-12)
  check.all_near(mb:conditional_expected(39, F, R, TT),
    { 1.2629606232673432, 0.15401274667514553, 4.369991100249203, 0.2661893317781642 }, 1e-11)
  check.all_near(mb:expected({ 1, 39, 78 }), { 0.053084795263698685, 1.1829536655971713, 1.8047575775531313 }, 1e-11)
  -- Gamma-Gamma (Fader & Hardie 2013, eq. 5): p (g + x m) / (p x + q - 1), by hand
  local gg = at("gammagamma", { 6.25, 3.74, 15.44 })
  check.all_near(gg:conditional_value({ 2, 1, 0, 10 }, { 22.35, 11.77, 0, 40 }),
    { 24.663713910761153, 18.916852057842046, 35.21897810218978, 39.79920294297977 }, 1e-13)
  -- scalars in, scalar out; a zero horizon expects nothing
  check.eq(type(bg:p_alive(2, 30.43, 38.86)), "number")
  check.near(pn:conditional_expected(0, 3, 20, 30), 0, 1e-15)
end

function tests.clv_value_identities()
  local s = U.subset(U.cdnow(), 50)
  local bg = at("bgnbd", { 0.243, 4.414, 0.793, 2.426 })
  -- undiscounted, constant spend: the per-period increments telescope to E[Y(K P)] * spend
  local v = clv.value(bg, 10, s, { weeks = 20 })
  local e = bg:conditional_expected(20, s.frequency, s.recency, s.T)
  for i = 1, 50 do check.near(v[i], 10 * e[i], 1e-12, "telescoping") end
  -- one month at 1 % discount: E[Y(P)] * E[spend] / 1.01, P = 365.25/12/7 weeks
  local gg = at("gammagamma", { 6.25, 3.74, 15.44 })
  local v1 = clv.value(bg, gg, s, { months = 1, discount = 0.01 })
  local e1 = bg:conditional_expected(365.25 / 12 / 7, s.frequency, s.recency, s.T)
  local m = gg:conditional_value(s.frequency, s.monetary)
  for i = 1, 50 do check.near(v1[i], e1[i] * m[i] / 1.01, 1e-12, "one discounted month") end
  -- discounting lowers value; day units give the same answer as week units
  local v12 = clv.value(bg, gg, s, { months = 12, discount = 0.01 })
  local v0 = clv.value(bg, gg, s, { months = 12 })
  for i = 1, 50 do check.truthy(v12[i] < v0[i], "discount lowers CLV") end
  check.errors(function() clv.value(bg, gg, s, { months = 12, weeks = 3 }) end, "exactly one of")
  check.errors(function() clv.value(bg, gg, s, { months = 0 }) end, "integer >= 1")
  check.errors(function() clv.value(gg, gg, s, { months = 1 }) end, "argument #1")
  check.errors(function() clv.value(bg, "x", s, { months = 1 }) end, "argument #2")
end

function tests.holdout_check_on_cdnow()
  local s = clv.summary(U.sample_events(), { calibration_end = "1997-09-30", observation_end = "1998-06-30" })
  check.eq(s.duration_holdout[1], 39, "weeks 40-78")
  -- at the published parameters, so the numbers can be checked independently
  local m = at("bgnbd", { 0.243, 4.414, 0.793, 2.426 })
  local h = clv.holdout_check(m, s)
  check.eq(#h.rows, 8, "frequencies 0..7+")
  local n, act, pred = 0, 0, 0
  for i = 1, #s.frequency do act = act + s.frequency_holdout[i] end
  for _, row in ipairs(h.rows) do n, pred = n + row.n, pred + row.n * row.predicted end
  check.eq(n, 2357)
  check.near(h.actual_total, act, 1e-12)
  check.near(h.predicted_total, pred, 1e-9)
  -- /usr/bin/python3 (datetime + scipy.special.hyp2f1): the summary rebuilt from
  -- CDNOW_sample.txt (distinct purchase days, cut 1997-09-30, holdout to 1998-06-30) and the
  -- FHL eq. 10 conditional expectation of the 39 holdout weeks, grouped by calibration
  -- frequency 0..7+: group sizes, mean actual and mean predicted purchases
  local want = { { 1411, 0.23671155209071582, 0.22545087915677034 }, { 439, 0.6970387243735763, 0.5231761316444271 },
                 { 214, 1.3925233644859814, 1.0441697201702336 }, { 100, 1.56, 1.5202926798122158 },
                 { 62, 2.532258064516129, 2.16387473315474 }, { 38, 2.9473684210526314, 2.653831669090127 },
                 { 29, 3.8620689655172415, 3.5039906544377204 }, { 64, 6.359375, 6.15707176677934 } }
  for k, w in ipairs(want) do
    check.eq(h.rows[k].n, w[1], "group size")
    check.near(h.rows[k].actual, w[2], 1e-12, "actual")
    check.near(h.rows[k].predicted, w[3], 1e-9, "predicted")
  end
  check.eq(h.actual_total, 1882)
  check.near(h.predicted_total, 1653.9412593133443, 1e-9, "predicted holdout purchases")
  -- a plot of it goes into a report
  local R = clv.holdout_plot(tide.report.new("holdout"), h)
  check.truthy(R:html():find("predicted", 1, true), "plot in the report")
  check.errors(function() clv.holdout_check(m, U.cdnow()) end, "no holdout columns")
end

function tests.save_load_exact()
  local m = clv.paretonbd():fit(U.cdnow())
  local path = os.tmpname()
  m:save(path)
  local l = clv.load(path)
  os.remove(path)
  check.eq(l.kind, "paretonbd")
  for i = 1, 4 do check.eq(l.theta[i], m.theta[i], "theta exact"); check.eq(l.se[i], m.se[i], "se exact") end
  check.eq(l:loglik(), m:loglik())
  check.eq(l:p_alive(2, 30.43, 38.86), m:p_alive(2, 30.43, 38.86))
  check.errors(function() clv.load("/nonexistent/model") end, "nonexistent")
  check.errors(function() clv.bgnbd():save("/tmp/x") end, "not fitted")
end

function tests.non_convergence_is_reported()
  local err = check.errors(function() clv.bgnbd():fit(U.cdnow(), { max_iter = 2 }) end, "did not converge")
  check.truthy(err:find("max_iter", 1, true), "reason given: " .. err)
  local m = clv.bgnbd():fit(U.cdnow(), { max_iter = 2, strict = false })
  check.eq(m.converged, false)
  check.truthy(m.reason:find("max_iter", 1, true), m.reason)
  -- one customer, never repeating: the likelihood has no interior maximum (r/alpha -> 0)
  local lone = { frequency = { 0, 0 }, recency = { 0, 0 }, T = { 10, 20 } }
  local m2 = clv.paretonbd():fit(lone, { strict = false })
  check.eq(m2.converged, false, "no repeat purchases: no maximum")
  check.truthy(m2.reason ~= "", "reason")
end

function tests.zero_spend_customers()
  -- a repeat customer whose repeat purchases were free: cannot enter the Gamma-Gamma likelihood
  -- (log m), but can be predicted from, and can be left out of the fit on request
  local s = U.subset(U.cdnow(), 300)
  s.frequency[1], s.monetary[1] = 3, 0
  local err = check.errors(function() clv.gammagamma():fit(s) end, "monetary value 0")
  check.truthy(err:find("skip_zero_spend", 1, true), "the error names the way out")
  local g = clv.gammagamma():fit(s, { skip_zero_spend = true })
  check.eq(g.skipped, 1)
  local p = g:params()
  local v = g:conditional_value(3, 0)
  check.near(v, p.p * p.gamma / (3 * p.p + p.q - 1), 1e-14, "E[spend | x = 3, m = 0] = p g / (p x + q - 1)")
  check.errors(function() g:conditional_value({ 3 }, { -1 }) end, "must be finite and >= 0")
end

-- A customer whose first purchase is on the calibration end day has T = 0: no purchase in no
-- time has probability 1 in every model, so the customer adds nothing to the likelihood, and is
-- scored as a new customer (conditional = unconditional expectation). Such summaries used to
-- be refused ("T 0 must be > 0"), failing `tide clv fit` on any log with a purchase that day.
function tests.first_purchase_on_calibration_end()
  local C = tide.core.clv
  local theta = { bgnbd = { 0.243, 4.414, 0.793, 2.426 }, mbgnbd = { 0.525, 6.183, 0.891, 1.614 },
                  paretonbd = { 0.553, 10.578, 0.606, 11.669 } }
  for kind, th in pairs(theta) do
    local ll, g = C.loglik(kind, th, { 0 }, { 0 }, { 0 })
    check.near(ll, 0, 1e-12, kind .. ": log-likelihood of T = 0")
    for j = 1, 4 do check.near(g[j], 0, 1e-9, kind .. ": no gradient from T = 0") end
    local m = at(kind, th)
    check.near(m:conditional_expected(10, 0, 0, 0), m:expected(10), 1e-9, kind .. ": scored as a new customer")
    if kind ~= "mbgnbd" then check.near(m:p_alive(0, 0, 0), 1, 1e-12, kind .. ": alive at T = 0") end
  end
  local s = U.cdnow()
  local with = { frequency = { 0 }, recency = { 0 }, T = { 0 } }
  for i = 1, #s.frequency do
    with.frequency[i + 1], with.recency[i + 1], with.T[i + 1] = s.frequency[i], s.recency[i], s.T[i]
  end
  local a, b = clv.bgnbd():fit(s):params(), clv.bgnbd():fit(with):params()
  for _, k in ipairs({ "r", "alpha", "a", "b" }) do check.near(b[k], a[k], 1e-6 * a[k], "same fit: " .. k) end
end

function tests.bad_input()
  local ok = { frequency = { 1, 0 }, recency = { 2, 0 }, T = { 5, 5 } }
  local m = clv.bgnbd()
  check.errors(function() m:fit({ frequency = {}, recency = {}, T = {} }) end, "no customers")
  check.errors(function() m:fit({ frequency = { 1 }, recency = { -1 }, T = { 5 } }) end, "recency -1")
  check.errors(function() m:fit({ frequency = { 1 }, recency = { 6 }, T = { 5 } }) end, "is after T")
  check.errors(function() m:fit({ frequency = { 1.5 }, recency = { 2 }, T = { 5 } }) end, "non-negative integer")
  check.errors(function() m:fit({ frequency = { 0 / 0 }, recency = { 2 }, T = { 5 } }) end, "non-negative integer")
  check.errors(function() m:fit({ frequency = { 1, 2 }, recency = { 2 }, T = { 5, 5 } }) end, "differ in length")
  check.errors(function() m:fit({ frequency = { "a" }, recency = { 2 }, T = { 5 } }) end, "must be a number")
  check.errors(function() m:fit(42) end, "summary table")
  check.errors(function() m:fit(ok, { init = { 1, 1, 1 } }) end, "has 4 parameters")
  check.errors(function() m:fit(ok, { init = { 1, -1, 1, 1 } }) end, "must be finite and > 0")
  check.errors(function() m:p_alive(1, 2, 3) end, "not fitted")
  check.errors(function() clv.gammagamma():fit({ frequency = { 0, 0 }, monetary = { 0, 0 } }) end, "frequency 0")
  check.errors(function() clv.gammagamma():fit({ frequency = { 1 }, monetary = { -3 } }) end, "monetary value -3")
  check.errors(function() clv.model("nope") end, "unknown model")
  local bg = at("bgnbd", { 0.243, 4.414, 0.793, 2.426 })
  check.errors(function() bg:conditional_expected(-1, 1, 1, 2) end, "horizon -1")
  check.errors(function() bg:conditional_value(1, 2) end, "only the gammagamma")
  check.errors(function() bg:p_alive("x", 1, 2) end, "must be a number or an array")
end

return tests
