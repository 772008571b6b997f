-- test_gbdt.lua — tide.activation.gbdt from Lua: hand-worked stumps, predictions equal to
-- scikit-learn's HistGradientBoosting on the same data, an XOR interaction learned (held-out AUC
-- near 1) where logistic regression stays at chance, the missing-value direction, early stopping,
-- importance ranking a pure-noise feature last, threads 1 vs 2 and save/load bit-identical, a
-- squared-loss regressor for an activation trend, and refused inputs.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local gbdt = require "tide.activation.gbdt"
local T = tide.tensor
local tests = {}

-- rows of d uniform(-1, 1) features from a seeded generator, as a Lua table and an f32 tensor
local function uniform_rows(n, d, seed)
  T.manual_seed(seed)
  local X = T.rand({ n, d }) * 2 - 1
  return X:totable(), X
end

-- XOR-like: y = 1 when x1 and x2 have the same sign (5% of labels flipped); x3, x4 noise.
local function xor_data(n, seed)
  local rows, X = uniform_rows(n, 4, seed)
  T.manual_seed(seed + 1)
  local flip = T.rand({ n }):totable()
  local y = {}
  for i = 1, n do
    local same = (rows[i][1] > 0) == (rows[i][2] > 0)
    if flip[i] < 0.05 then same = not same end
    y[i] = same and 1 or 0
  end
  return X, T.fromtable(y), rows, y
end

-- Plain logistic regression on all columns (intercept included), fitted with tide.lbfgs.
local function logreg_auc(rows, y, rows_te, y_te)
  local d = #rows[1]
  local function f(w)
    local loss, g = 0, {}
    for j = 1, d + 1 do g[j] = 0 end
    for i = 1, #rows do
      local z = w[d + 1]
      for j = 1, d do z = z + w[j] * rows[i][j] end
      local p = 1 / (1 + math.exp(-z))
      loss = loss + math.log(1 + math.exp(z)) - y[i] * z
      for j = 1, d do g[j] = g[j] + (p - y[i]) * rows[i][j] end
      g[d + 1] = g[d + 1] + p - y[i]
    end
    return loss, g
  end
  local w0 = {}
  for j = 1, d + 1 do w0[j] = 0 end
  local w = tide.lbfgs.minimize(f, w0, { max_iter = 100 })
  local s = {}
  for i = 1, #rows_te do
    local z = w[d + 1]
    for j = 1, d do z = z + w[j] * rows_te[i][j] end
    s[i] = z
  end
  return tide.metrics.auc(T.fromtable(s), T.fromtable(y_te))
end

-- Hand-worked stumps (one split, learning rate 1). Squared, x = 1..4, y = {1, 2, 5, 6}, l2 = 1:
-- baseline 3.5, g = {2.5, 1.5, -1.5, -2.5}, h = 1; the cut between 2 and 3 (threshold 2.5) gains
-- 0.5 (4²/3 + 4²/3) = 16/3 against 2.34375 for the others; leaves -G/(H+1) = ∓4/3.
-- Logistic, y = {0, 0, 1, 1}, l2 = 0: baseline 0, g = ±0.5, h = 0.25; leaves -G/H = ∓2.
function tests.hand_computed_stumps()
  local X = T.fromtable({ { 1 }, { 2 }, { 3 }, { 4 } })
  local q = T.fromtable({ { 2.5 }, { 2.6 }, { 0 / 0 } })
  local o = { n_trees = 1, max_leaves = 2, learning_rate = 1, min_child_weight = 0, min_samples_leaf = 1 }
  o.loss, o.l2 = "squared", 1
  local m = gbdt.new(o):fit(X, T.fromtable({ 1, 2, 5, 6 }))
  check.all_near(m:predict(q), { 3.5 - 4 / 3, 3.5 + 4 / 3, 3.5 + 4 / 3 }, 1e-6)
  check.eq(m:importance()[1].gain, 1)
  o.loss, o.l2 = "logistic", 0
  m = gbdt.new(o):fit(X, T.fromtable({ 0, 0, 1, 1 }))
  check.all_near(m:predict_raw(q), { -2, 2, 2 }, 1e-6)
  check.near(m:predict(q):get(1), 1 / (1 + math.exp(2)), 1e-6)
end

-- Same data and settings as scikit-learn 1.2.1's HistGradientBoosting{Regressor,Classifier}
-- (max_iter 5, learning_rate 0.5, max_leaf_nodes 4, min_samples_leaf 5, early_stopping False;
-- l2_regularization 0 / 1), expected values computed at test-writing time with
--   i = np.arange(200); x1 = (i*37 % 101)/101; x2 = (i*53 % 97)/97; X = float32 [x1, x2]
--   y = sin(6 x1) + x2²; yc = y > 0.6; q = float32 [[.1,.2], [.5,.5], [.9,.1], [.33,.77]]
--   reg.predict(q); clf.decision_function(q)
function tests.matches_sklearn_hist_gradient_boosting()
  local rows, y, yc = {}, {}, {}
  for i = 0, 199 do
    local x1, x2 = (i * 37 % 101) / 101, (i * 53 % 97) / 97
    rows[i + 1] = { x1, x2 }
    y[i + 1] = math.sin(6 * x1) + x2 ^ 2
    yc[i + 1] = y[i + 1] > 0.6 and 1 or 0
  end
  local X = T.fromtable(rows)
  local q = T.fromtable({ { 0.1, 0.2 }, { 0.5, 0.5 }, { 0.9, 0.1 }, { 0.33, 0.77 } })
  local o = { n_trees = 5, learning_rate = 0.5, max_leaves = 4, max_depth = 0, min_samples_leaf = 5 }
  o.loss, o.l2 = "squared", 0
  local r = gbdt.new(o):fit(X, T.fromtable(y))
  check.all_near(r:predict(q), { 0.75969987, 0.54547927, -0.57685808, 1.28618326 }, 1e-6)
  o.loss, o.l2 = "logistic", 1
  local c = gbdt.new(o):fit(X, T.fromtable(yc))
  check.all_near(c:predict_raw(q), { 1.38991376, -0.95716779, -3.27834955, 2.9485909 }, 1e-6)
  check.all_near(c:predict(q), { 0.80057847, 0.27744561, 0.03632144, 0.95019685 }, 1e-6)
end

-- With missing values (scikit-learn 1.2.1, same way): 300 rows, x2 = NaN when i % 7 == 0 and
-- then yc = (i % 3 != 0); HistGradientBoostingClassifier(max_iter 8, learning_rate 0.3,
-- max_leaf_nodes 6, min_samples_leaf 4, l2_regularization 0.5, early_stopping False)
-- .decision_function([[.1,.2], [.5,nan], [.9,.1], [.33,nan]]).
function tests.matches_sklearn_with_missing_values()
  local rows, yc = {}, {}
  for i = 0, 299 do
    local x1, x2 = (i * 37 % 101) / 101, (i * 53 % 97) / 97
    local y = (math.sin(6 * x1) + x2 ^ 2) > 0.6 and 1 or 0
    if i % 7 == 0 then y, x2 = (i % 3 ~= 0) and 1 or 0, 0 / 0 end
    rows[i + 1], yc[i + 1] = { x1, x2 }, y
  end
  local q = T.fromtable({ { 0.1, 0.2 }, { 0.5, 0 / 0 }, { 0.9, 0.1 }, { 0.33, 0 / 0 } })
  local c = gbdt.new { n_trees = 8, learning_rate = 0.3, max_leaves = 6, max_depth = 0, min_samples_leaf = 4, l2 = 0.5 }
  c:fit(T.fromtable(rows), T.fromtable(yc))
  check.all_near(c:predict_raw(q), { -1.11329717, -0.38876696, -3.11641674, 1.38027007 }, 1e-6)
end

-- An integer weight acts as that many copies of the row (gradient and hessian sums, baseline;
-- row-count limits set to 1 and bins one per distinct value, so nothing else differs).
function tests.weights_equal_duplicated_rows()
  local rows, y, w, drows, dy = {}, {}, {}, {}, {}
  for i = 0, 59 do
    local x = (i * 7 % 60) / 60
    rows[i + 1], y[i + 1], w[i + 1] = { x }, (x > 0.4 and 1 or 0) + 0.1 * (i % 3), 1 + i % 3
    for _ = 1, w[i + 1] do drows[#drows + 1], dy[#dy + 1] = { x }, y[i + 1] end
  end
  local q = T.fromtable({ { 0.05 }, { 0.41 }, { 0.95 } })
  for _, loss in ipairs({ "squared", "logistic" }) do
    local yy, ddy = y, dy
    if loss == "logistic" then
      yy, ddy = {}, {}
      for i, v in ipairs(y) do yy[i] = v >= 1 and 1 or 0 end
      for i, v in ipairs(dy) do ddy[i] = v >= 1 and 1 or 0 end
    end
    local o = { loss = loss, n_trees = 10, max_leaves = 4, min_samples_leaf = 1, min_child_weight = 0 }
    local a = gbdt.new(o):fit(T.fromtable(rows), T.fromtable(yy), { weight = T.fromtable(w) })
    local b = gbdt.new(o):fit(T.fromtable(drows), T.fromtable(ddy))
    check.all_near(a:predict_raw(q), b:predict_raw(q):totable(), 1e-5, loss)
  end
end

function tests.xor_interaction_beats_logistic_regression()
  local X, y, rows, ly = xor_data(3000, 1)
  local Xte, yte, rows_te, lyte = xor_data(2000, 7)
  local m = gbdt.new { n_trees = 60, max_leaves = 8, threads = 1 }
  m:fit(X, y)
  local auc = tide.metrics.auc(m:predict(Xte), yte)
  check.truthy(auc > 0.93, "GBDT held-out AUC " .. auc) -- 5% label noise caps it near 0.95
  local lr = logreg_auc(rows, ly, rows_te, lyte)
  check.truthy(math.abs(lr - 0.5) < 0.06, "logistic regression AUC stays at chance: " .. lr)
  local p = m:predict(Xte)
  check.eq(p:dtype(), "f32")
  check.eq(p:numel(), 2000)
  check.truthy(p:min():item() > 0 and p:max():item() < 1, "probabilities in (0, 1)")
  -- predict is the logistic function of predict_raw
  local r = m:predict_raw(Xte)
  check.near(p:get(5), 1 / (1 + math.exp(-r:get(5))), 1e-6)
end

function tests.importance_ranks_noise_last()
  -- y depends strongly on x1, weakly on x2, not at all on x3
  local rows, X = uniform_rows(4000, 3, 21)
  T.manual_seed(22)
  local u = T.rand({ 4000 }):totable()
  local y = {}
  for i = 1, 4000 do
    local z = 3 * rows[i][1] + 1 * rows[i][2]
    y[i] = u[i] < 1 / (1 + math.exp(-z)) and 1 or 0
  end
  local m = gbdt.new { n_trees = 40, max_leaves = 8 }
  m:fit(X, T.fromtable(y), { names = { "recency", "frequency", "noise" } })
  local imp = m:importance()
  check.eq(#imp, 3)
  check.eq(imp[1].name, "recency")
  check.eq(imp[2].name, "frequency")
  check.eq(imp[3].name, "noise")
  check.near(imp[1].gain + imp[2].gain + imp[3].gain, 1, 1e-9, "normalised")
  check.truthy(imp[3].gain < 0.1, "noise gain small: " .. imp[3].gain)
end

function tests.missing_value_direction()
  -- x2 is missing for a third of the rows, and those rows are mostly positives
  local rows = uniform_rows(3000, 2, 31)
  T.manual_seed(32)
  local u = T.rand({ 3000 }):totable()
  local y = {}
  for i = 1, 3000 do
    local miss = i % 3 == 0
    if miss then rows[i][2] = 0 / 0 end
    y[i] = u[i] < (miss and 0.85 or 0.15) and 1 or 0
  end
  local m = gbdt.new { n_trees = 30, max_leaves = 4 }
  m:fit(T.fromtable(rows), T.fromtable(y))
  local p = m:predict(T.fromtable({ { 0.2, 0 / 0 }, { 0.2, 0.5 }, { -0.7, 0 / 0 } }))
  check.truthy(p:get(1) > 0.75 and p:get(3) > 0.75, "missing -> positive side")
  check.truthy(p:get(2) < 0.25, "present -> negative side")
end

function tests.early_stopping_keeps_best_iteration()
  local X, y = xor_data(2000, 41)
  local Xv, yv = xor_data(1000, 43)
  local m = gbdt.new { n_trees = 400, learning_rate = 0.5, max_leaves = 31, min_samples_leaf = 2,
    early_stopping = { rounds = 5 } }
  m:fit(X, y, { valid = { Xv, yv } })
  check.truthy(m.n_iter < 400, "stopped early: " .. m.n_iter)
  check.eq(m.n_iter, m.n_trees + 5)
  local best = math.huge
  for _, v in ipairs(m.valid_loss) do best = math.min(best, v) end
  check.eq(m.valid_loss[m.n_trees + 1], best, "kept the best round")
  -- without a valid set (and validation_fraction 0) all rounds are grown
  local m2 = gbdt.new { n_trees = 12 }
  m2:fit(X, y)
  check.eq(m2.n_trees, 12)
  check.eq(m2.valid_loss, nil)
  -- validation_fraction: a seeded hold-out drives early stopping
  local m3 = gbdt.new { n_trees = 400, learning_rate = 0.5, min_samples_leaf = 2, validation_fraction = 0.2,
    early_stopping = { rounds = 5 }, seed = 3 }
  m3:fit(X, y)
  check.truthy(m3.n_iter < 400 and m3.n_iter == m3.n_trees + 5, "hold-out early stopping")
end

-- Validation labels opposite to the training ones: the first tree already hurts, so early
-- stopping keeps zero trees and the model predicts the training log-odds; it saves and loads.
function tests.early_stopping_can_keep_zero_trees()
  local rows, X = uniform_rows(500, 1, 71)
  local y, yv = {}, {}
  for i = 1, 500 do y[i] = rows[i][1] > 0 and 1 or 0; yv[i] = 1 - y[i] end
  local m = gbdt.new { n_trees = 50, early_stopping = { rounds = 3 } }
  m:fit(X, T.fromtable(y), { valid = { X = X, y = T.fromtable(yv) } })
  check.eq(m.n_trees, 0)
  check.eq(m.n_iter, 3)
  local pos = 0
  for i = 1, 500 do pos = pos + y[i] end
  check.near(m:predict_raw(X):get(1), math.log(pos / (500 - pos)), 1e-6)
  local path = os.tmpname()
  m:save(path)
  local c = gbdt.load(path)
  os.remove(path)
  check.eq(c.n_trees, 0)
  check.eq((c:predict(X) - m:predict(X)):abs():max():item(), 0)
  check.eq(c:importance()[1].gain, 0)
end

function tests.threads_identical_and_save_load_exact()
  local X, y = xor_data(40000, 51) -- several histogram row chunks, parallel tasks
  local a = gbdt.new { n_trees = 10, threads = 1 }:fit(X, y)
  local b = gbdt.new { n_trees = 10, threads = 2 }:fit(X, y)
  local pa, pb = a:predict(X), b:predict(X)
  check.eq((pa - pb):abs():max():item(), 0, "threads 1 vs 2")
  local path = os.tmpname()
  a:save(path)
  local c = gbdt.load(path)
  local pc = c:predict(X)
  check.eq((pa - pc):abs():max():item(), 0, "reload")
  check.eq((a:predict_raw(X) - c:predict_raw(X)):abs():max():item(), 0, "reload raw")
  check.eq(c.n_trees, 10)
  check.eq(c.opts.n_trees, 10)
  local ia, ic = a:importance(), c:importance()
  for i = 1, 4 do
    check.eq(ic[i].name, ia[i].name)
    check.eq(ic[i].gain, ia[i].gain)
  end
  -- a damaged file is refused, and so is a checkpoint of another kind
  local f = io.open(path, "rb")
  local s = f:read("*a")
  f:close()
  f = io.open(path, "wb")
  f:write(s:sub(1, 100) .. string.char((s:byte(101) + 1) % 256) .. s:sub(102))
  f:close()
  check.errors(function() gbdt.load(path) end, path)
  tide.checkpoint.save(path, { w = T.zeros({ 2 }) }, { kind = "logistic" })
  check.errors(function() gbdt.load(path) end, "not a GBDT model file")
  os.remove(path)
end

-- A regressor: the chance a user comes back within a week decays with days since the last
-- visit (e^(-t/20)), twice as fast in one category; squared loss recovers the curve.
function tests.squared_regressor_activation_trend()
  local n = 4000
  T.manual_seed(61)
  local u = T.rand({ n, 3 }):totable()
  local rows, y = {}, {}
  for i = 1, n do
    local t, cat = u[i][1] * 60, u[i][2] < 0.5 and 1 or 2
    rows[i] = { t, cat }
    y[i] = math.exp(-t * cat / 20) + 0.05 * (u[i][3] - 0.5)
  end
  local m = gbdt.new { loss = "squared", n_trees = 150, max_leaves = 16 }
  m:fit(T.fromtable(rows), T.fromtable(y), { names = { "days_since", "category" } })
  local q = { { 5, 1 }, { 5, 2 }, { 30, 1 }, { 50, 2 } }
  local p = m:predict(T.fromtable(q))
  for i, r in ipairs(q) do
    check.near(p:get(i), math.exp(-r[1] * r[2] / 20), 0.03, "trend at t=" .. r[1] .. " cat " .. r[2])
  end
  check.eq(m:importance()[1].name, "days_since")
end

function tests.refuses_bad_input()
  local X = T.fromtable({ { 1 }, { 2 }, { 3 }, { 4 } })
  local m = gbdt.new()
  check.errors(function() gbdt.new { depth = 3 } end, "unknown option 'depth'")
  check.errors(function() gbdt.new { loss = "poisson" } end, "opts.loss")
  check.errors(function() gbdt.new { max_depth = "6" } end, "opts.max_depth must be a number")
  check.errors(function() gbdt.new { max_leaves = 2.5 } end, "opts.max_leaves must be an integer")
  check.errors(function() gbdt.new { early_stopping = { round = 3 } } end, "early_stopping.round")
  check.errors(function() gbdt.new { max_bins = 300 }:fit(X, T.fromtable({ 0, 1, 0, 1 })) end, "max_bins")
  check.errors(function() m:fit(X, T.fromtable({ 0, 0 / 0, 1, 1 })) end, "gbdt.fit: y[2] is NaN")
  check.errors(function() m:fit(X, T.fromtable({ 0, 2, 1, 1 })) end, "labels must be 0 or 1")
  check.errors(function() m:fit(X, T.fromtable({ 1, 1, 1, 1 })) end, "single class")
  check.errors(function() m:fit(X, T.fromtable({ 0, 1, 1 })) end, "y has 3 entries, X has 4 rows")
  check.errors(function() m:fit(T.zeros({ 0, 3 }), T.zeros({ 0 })) end, "X is empty")
  check.errors(function() m:fit({ 1, 2 }, T.zeros({ 2 })) end, "X must be a tensor")
  check.errors(function() m:fit(T.zeros({ 4 }), T.zeros({ 4 })) end, "X must be a 2-D tensor")
  check.errors(function() m:fit(X, T.fromtable({ 0, 1, 0, 1 }), { weights = 1 }) end, "unknown option 'weights'")
  check.errors(function() m:fit(X, T.fromtable({ 0, 1, 0, 1 }), { names = { "a", "b" } }) end, "names must be")
  check.errors(function() m:predict(X) end, "not fitted")
  m:fit(X, T.fromtable({ 0, 1, 0, 1 }))
  check.errors(function() m:predict(T.zeros({ 2, 3 })) end, "X has 3 columns, the model was fit on 1")
  check.errors(function() gbdt.load(os.tmpname() .. "-missing") end, "missing")
end

return tests
