-- test_logistic.lua — tide.activation.logistic: coefficients against sklearn (stored values and,
-- when /usr/bin/python3 has sklearn, a live run), standard errors against the numpy closed form,
-- the gradient and Hessian against finite differences, separable data, exact save/load,
-- contributions, class weights, non-convergence reporting and every refusal.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local logistic = require "tide.activation.logistic"
local D = require "logistic_data"
local T = tide.tensor
local tests = {}

-- Printed by `/usr/bin/python3 tests/lua/logistic_sklearn.py data.csv` (sklearn 1.2.1,
-- newton-cholesky tol 1e-12; saga tol 1e-14 for l1/elastic net) on logistic_data.lua; the
-- script's header says which Tide options each case corresponds to. Intercept first.
local SK = {
  ["raw_C0.1"] = { 2.67368325386, 0.61570119173, -0.304101890216, 0.307957791214 },
  ["raw_C1"] = { 3.57405359621, 1.13418462628, -0.41293783717, 0.948758128603 },
  ["raw_C10"] = { 3.8046196519, 1.28346270998, -0.445236278319, 1.24416788423 },
  ["std_C1"] = { -0.34092591802, 1.02804548046, -0.699533669385, 0.53818525823 },
  ["balanced_C1"] = { 3.88703650737, 1.15859237289, -0.419940394832, 0.95279087116 },
  ["weighted_C1"] = { 2.46198952211, 1.10128829373, -0.29520066317, 0.997966331844 },
  ["enet_C0.2"] = { -0.295177852489, 0.710295508114, -0.439448775999, 0.334793988279 },
  ["l1_C0.1"] = { -0.258296270967, 0.334241538575, -0.0564173357907, 0 },
  ["l1raw_C0.2"] = { 2.4693647148, 0.708506076121, -0.2716430351, 0 },
  ["unpen"] = { 3.83864061863, 1.30508266734, -0.450128835277, 1.29126755458 },
  ["se_unpen"] = { 1.64095560196, 0.373958196002, 0.169626902226, 0.592654750976 },
  ["se_C1"] = { 1.54936147015, 0.327570303916, 0.159249369917, 0.492575419913 },
}

-- case name -> Tide options, fit options, which coefficients to compare ("std": z scale)
local CASES = {
  ["raw_C0.1"] = { { l2 = 10, standardize = false } },
  ["raw_C1"] = { { l2 = 1, standardize = false } },
  ["raw_C10"] = { { l2 = 0.1, standardize = false } },
  ["std_C1"] = { { l2 = 1 }, nil, "std" },
  ["balanced_C1"] = { { l2 = 1, standardize = false, class_weight = "balanced" } },
  ["weighted_C1"] = { { l2 = 1, standardize = false }, { weight = D.W } },
  ["enet_C0.2"] = { { l2 = 2.5, l1 = 2.5 }, nil, "std" },
  ["l1_C0.1"] = { { l2 = 0, l1 = 10 }, nil, "std" },
  ["l1raw_C0.2"] = { { l2 = 0, l1 = 5, standardize = false } },
  ["unpen"] = { { l2 = 0, standardize = false } },
}

local function betas(m, scale)
  local out = {}
  for i, r in ipairs(m:coef { scale = scale == "std" and "standardized" or "original" }) do out[i] = r.beta end
  return out
end

local function max_diff(a, b)
  local m = 0
  for i = 1, #b do m = math.max(m, math.abs(a[i] - b[i])) end
  return m
end

-- fits every case with every applicable solver; returns the worst |tide - ref| and the fit count
local function compare(ref)
  local worst, fits = 0, 0
  for name, c in pairs(CASES) do
    for _, solver in ipairs { "irls", "lbfgs" } do
      if not (solver == "lbfgs" and (c[1].l1 or 0) > 0) then
        local o = { solver = solver }
        for k, v in pairs(c[1]) do o[k] = v end
        local fo = { weight = c[2] and c[2].weight }
        local m = logistic.new(o):fit(D.X, D.Y, fo)
        check.truthy(m.converged, name .. "/" .. solver .. " converged: " .. m.message)
        local d = max_diff(betas(m, c[3]), ref[name])
        check.truthy(d < 1e-4, ("%s/%s: max |beta - sklearn| = %.3g"):format(name, solver, d))
        worst, fits = math.max(worst, d), fits + 1
      end
    end
  end
  return worst, fits
end

function tests.coefficients_match_stored_sklearn()
  local worst, fits = compare(SK)
  io.stderr:write(("  [logistic] max |beta - sklearn| over %d fits = %.2g\n"):format(fits, worst))
end

function tests.coefficients_match_live_sklearn()
  local probe = io.popen("/usr/bin/python3 -c 'import sklearn' 2>/dev/null && echo yes")
  local has = probe and probe:read("*l") == "yes"
  if probe then probe:close() end
  if not has then io.stderr:write("  [logistic] live sklearn check skipped (no /usr/bin/python3 with sklearn)\n") return end
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  for i = 1, #D.X do f:write(("%s,%s,%s\n"):format(D.Y[i], D.W[i], table.concat(D.X[i], ","))) end
  f:close()
  local p = io.popen("/usr/bin/python3 tests/lua/logistic_sklearn.py " .. path)
  local live = {}
  for line in p:lines() do
    local vals, key = {}, nil
    for tok in line:gmatch("%S+") do if key then vals[#vals + 1] = tonumber(tok) else key = tok end end
    live[key] = vals
  end
  p:close()
  os.remove(path)
  for k in pairs(SK) do check.truthy(live[k], "live sklearn printed " .. k) end
  compare(live)
end

function tests.standard_errors_match_closed_form()
  local m = logistic.new { l2 = 0, standardize = false }:fit(D.X, D.Y)
  for i, r in ipairs(m:coef()) do check.near(r.se, SK.se_unpen[i], 1e-5, "unpenalised se " .. i) end
  -- the unpenalised MLE is equivariant under x -> (x - mean)/sd, so the standardised fit must
  -- report the same original-scale coefficients and standard errors
  local s = logistic.new { l2 = 0, standardize = true }:fit(D.X, D.Y)
  for i, r in ipairs(s:coef()) do
    check.near(r.beta, SK.unpen[i], 1e-5, "beta via standardised fit " .. i)
    check.near(r.se, SK.se_unpen[i], 1e-5, "se via standardised fit " .. i)
    local z = r.beta / r.se
    check.near(r.z, z, 1e-12)
    -- two-sided normal p-value, erfc(|z|/sqrt 2) written out with the Abramowitz-Stegun 7.1.26 form
    local x = math.abs(z) / math.sqrt(2)
    local t = 1 / (1 + 0.3275911 * x)
    local erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
      * math.exp(-x * x)
    check.near(r.p, erfc, 2e-7, "p-value " .. i)
  end
  local p = logistic.new { l2 = 1, standardize = false }:fit(D.X, D.Y)
  for i, r in ipairs(p:coef()) do check.near(r.se, SK.se_C1[i], 1e-5, "penalised se " .. i) end
end

function tests.gradient_and_hessian_match_finite_differences()
  local X, y, w = T.fromtable(D.X), T.fromtable(D.Y), T.fromtable(D.W)
  local mean, sd, beta, l2 = { 0.1, 10, 0.3 }, { 1.1, 2, 0.5 }, { 0.2, -0.7, 0.4, 1.3 }, 0.7
  local obj = tide.core.glm.objective
  local f, g, H = obj(X, y, w, mean, sd, beta, l2)
  local h = 1e-5
  for j = 1, 4 do
    local bp, bm = { unpack(beta) }, { unpack(beta) }
    bp[j], bm[j] = beta[j] + h, beta[j] - h
    local fp, gp = obj(X, y, w, mean, sd, bp, l2)
    local fm, gm = obj(X, y, w, mean, sd, bm, l2)
    check.near(g[j], (fp - fm) / (2 * h), 1e-6, "dF/dbeta_" .. j)
    for k = 1, 4 do check.near(H[(j - 1) * 4 + k], (gp[k] - gm[k]) / (2 * h), 1e-6, ("H[%d][%d]"):format(j, k)) end
  end
  -- the value itself: sum w (softplus(eta) - y eta) + l2/2 |beta_1:|^2, written out here
  local want = 0.5 * l2 * (0.49 + 0.16 + 1.69)
  for i = 1, #D.X do
    local eta = beta[1]
    for j = 1, 3 do eta = eta + beta[j + 1] * (T.fromtable(D.X[i]):get(j) - mean[j]) / sd[j] end
    want = want + T.fromtable({ D.W[i] }):get(1) * (math.log(1 + math.exp(eta)) - D.Y[i] * eta)
  end
  check.near(f, want, 1e-10, "objective value")
end

function tests.separable_data_stay_finite()
  local X, y = {}, {}
  for i = 1, 40 do X[i] = { i / 10, (i % 7) / 7 }; y[i] = i > 20 and 1 or 0 end
  local m = logistic.new { l2 = 1e-3 }:fit(X, y)
  check.truthy(m.converged, "small l2 converges: " .. m.message)
  for _, r in ipairs(m:coef()) do check.truthy(r.beta == r.beta and math.abs(r.beta) < 1e6, "finite beta") end
  local p = m:predict(X):totable()
  check.truthy(p[1] < 0.01 and p[40] > 0.99, "separates")
  local u = logistic.new { l2 = 0, quiet = true, max_iter = 30 }:fit(X, y)
  check.eq(u.converged, false, "unpenalised separable fit")
  check.truthy(u.message:find("separa", 1, true), "message names separation: " .. u.message)
end

function tests.save_load_is_exact()
  local m = logistic.new { l2 = 0.5, class_weight = { [0] = 1, [1] = 2 } }:fit(D.X, D.Y, { names = { "a", "b", "c" } })
  local path = os.tmpname()
  m:save(path)
  local r = logistic.load(path)
  check.eq(r.d, 3)
  for i = 1, 4 do check.eq(r.beta[i], m.beta[i], "beta bits") end
  for i = 1, 16 do check.eq(r.cov[i], m.cov[i], "cov bits") end
  local p1, p2 = m:predict(D.X):totable(), r:predict(D.X):totable()
  for i = 1, #p1 do check.eq(p2[i], p1[i], "prediction " .. i) end
  check.eq(r:summary(), m:summary(), "summary")
  check.eq(r.opts.class_weight[1], 2)
  local b = logistic.from_bytes(m:to_bytes())
  check.eq(b.beta[3], m.beta[3])
  -- a file of another kind, and a damaged file, are refused
  tide.checkpoint.save(path, { x = T.zeros({ 2 }) }, { kind = "something.else" })
  check.errors(function() logistic.load(path) end, "not a logistic model")
  local s = m:to_bytes()
  local f = assert(io.open(path, "wb"))
  f:write(s:sub(1, #s - 9))
  f:close()
  check.errors(function() logistic.load(path) end, path)
  os.remove(path)
end

function tests.contributions_add_up_to_the_logit()
  local m = logistic.new { l2 = 1 }:fit(D.X, D.Y)
  local c, b0 = m:contributions(D.X)
  local p = m:predict(D.X)
  check.eq(c:shape()[2], 3)
  for i = 1, 80, 7 do
    local eta = b0 + c:get(i, 1) + c:get(i, 2) + c:get(i, 3)
    check.near(1 / (1 + math.exp(-eta)), p:get(i), 1e-6, "row " .. i)
    -- beta_j * z_ij with z from the stored mean and sd
    local z1 = (T.fromtable(D.X[i]):get(1) - m.mean[1]) / m.sd[1]
    check.near(c:get(i, 1), m.beta[2] * z1, 1e-6)
  end
end

function tests.class_weight_equals_row_weights()
  local w = {}
  for i = 1, 80 do w[i] = D.Y[i] == 1 and 3 or 0.5 end
  local a = logistic.new { l2 = 1, class_weight = { [0] = 0.5, [1] = 3 } }:fit(D.X, D.Y)
  local b = logistic.new { l2 = 1 }:fit(T.fromtable(D.X), T.fromtable(D.Y), { weight = w })
  check.all_near(a.beta, b.beta, 1e-9)
  -- rows given as a Lua array and as a tensor fit the same model
  local c = logistic.new { l2 = 1 }:fit(T.fromtable(D.X), D.Y)
  check.all_near(logistic.new { l2 = 1 }:fit(D.X, D.Y).beta, c.beta, 1e-12)
end

function tests.validation_metrics_and_summary()
  local m = logistic.new { l2 = 1 }:fit(D.X, D.Y, { names = { "recency", "freq", "promo" }, valid = { D.X, D.Y } })
  check.truthy(m.valid.auc > 0.7 and m.valid.auc <= 1, "auc")
  check.near(m.valid.log_loss, tide.metrics.log_loss(m:predict(D.X), D.Y), 1e-12)
  local s = m:summary()
  check.truthy(s:find("recency", 1, true) and s:find("(intercept)", 1, true) and s:find("converged", 1, true), s)
end

function tests.non_convergence_is_reported()
  local m = logistic.new { l2 = 1, max_iter = 1, quiet = true }:fit(D.X, D.Y)
  check.eq(m.converged, false)
  check.truthy(m.message:find("not converged", 1, true), m.message)
  local l = logistic.new { l2 = 1, max_iter = 1, solver = "lbfgs", quiet = true }:fit(D.X, D.Y)
  check.eq(l.converged, false)
end

function tests.wide_data_use_lbfgs_and_agree_with_newton()
  T.manual_seed(5)
  local n, d = 300, 240
  local X = T.randn(n, d)
  local y = (T.rand(n) - (X:narrow(2, 1, 1):reshape({ n }) * 2):sigmoid()):lt(0):mul(1.0)
  local a = logistic.new { l2 = 5 }:fit(X, y)
  check.eq(a.solver, "lbfgs", "auto picks L-BFGS beyond 200 coefficients")
  local b = logistic.new { l2 = 5, solver = "irls" }:fit(X, y)
  check.truthy(a.converged and b.converged, "both converge")
  local m = 0
  for i = 1, d + 1 do m = math.max(m, math.abs(a.beta[i] - b.beta[i])) end
  check.truthy(m < 1e-5, "L-BFGS = Newton to " .. m)
  check.eq(#a:coef(), d + 1)
end

function tests.refusals()
  local bad = {}
  for i = 1, 80 do bad[i] = { unpack(D.X[i]) } end
  bad[5][2] = 0 / 0
  check.errors(function() logistic.new():fit(bad, D.Y, { names = { "a", "recency", "c" } }) end,
    "X row 5 column 2 ('recency') is NaN")
  bad[5][2] = math.huge
  check.errors(function() logistic.new():fit(bad, D.Y) end, "X row 5 column 2 ('x2') is inf")
  local ones = {}
  for i = 1, 80 do ones[i] = 1 end
  check.errors(function() logistic.new():fit(D.X, ones) end, "only one class")
  check.errors(function() logistic.new():fit({}, {}) end, "X is empty")
  check.errors(function() logistic.new():fit(T.zeros({ 0, 3 }), T.zeros({ 0 })) end, "X has no rows")
  check.errors(function() logistic.new():fit(D.X, { 1, 0 }) end, "X has 80 rows but y has 2")
  local two = { unpack(D.Y) }
  two[7] = 2
  check.errors(function() logistic.new():fit(D.X, two) end, "label 7 is 2")
  check.errors(function() logistic.new():fit({ { 1 }, { 2 } }, { true, false }) end, "y must be an array of numbers")
  check.errors(function() logistic.new():fit({ { 1 }, { 2, 3 } }, { 1, 0 }) end, "equal-length rows")
  check.errors(function() logistic.new { lambda = 1 } end, "unknown option 'lambda'")
  check.errors(function() logistic.new { l2 = "big" } end, "opts.l2 must be a number")
  check.errors(function() logistic.new { l2 = -1 }:fit(D.X, D.Y) end, "must be finite and >= 0")
  check.errors(function() logistic.new { l1 = 1, solver = "lbfgs" }:fit(D.X, D.Y) end, "cannot handle l1")
  check.errors(function() logistic.new { solver = "sgd" }:fit(D.X, D.Y) end, "opts.solver must be")
  check.errors(function() logistic.new { class_weight = "even" } end, "class_weight")
  check.errors(function() logistic.new():predict(D.X) end, "not fitted")
  local m = logistic.new():fit(D.X, D.Y)
  check.errors(function() m:predict({ { 1, 2 } }) end, "X has 2 columns")
  check.errors(function() m:predict("x") end, "must be a tensor")
  check.errors(function() m:fit(D.X, D.Y, { names = { "a" } }) end, "1 names for 3 columns")
  check.errors(function() m:fit(D.X, D.Y, { weight = { 1, 2 } }) end, "weight has 2 entries")
  check.errors(function() m:coef { scale = "log" } end, "opts.scale")
end

return tests
