-- bench_gbdt.lua — Tide's histogram GBDT on a deterministic synthetic binary task (n_train rows
-- x 20 features, 10 of them pure noise, a non-linear logit with interactions and a step),
-- written to DIR/data.ckpt (a tide checkpoint; bench_gbdt.py reads the same file) and trained
-- with threads = 1 and 2. Settings match the sklearn peer: 100 trees, learning rate 0.1,
-- 31 leaves, no depth limit, 255 bins, min_samples_leaf 20, l2 0, no early stopping.
-- Usage: luajit tests/bench/bench_gbdt.lua DIR [n_train] -> RESULT lines.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local gbdt = require "tide.activation.gbdt"
local T = tide.tensor

local dir, n_train = arg[1], tonumber(arg[2] or 200000)
local n_test, d = 50000, 20
local wall, cpu = tide.core.io.wall, tide.core.io.cpu

-- logit = 1.5 tanh(2 x1) + x2 x3 + |x4| - 0.8 + 1.2 [x5 > 0.5] x6 + 0.5 x7² - x8 x9 + 0.3 x10
local function make(n, seed)
  T.manual_seed(seed)
  local X = T.randn({ n, d })
  local c = function(j) return X:select(2, j) end
  local z = (c(1) * 2):tanh() * 1.5 + c(2) * c(3) + c(4):abs() - 0.8
      + c(5):gt(0.5):cast("f32") * c(6) * 1.2 + c(7):square() * 0.5 - c(8) * c(9) + c(10) * 0.3
  local y = T.rand({ n }):lt(z:sigmoid()):cast("f32")
  return X, y
end

local X, y = make(n_train, 1)
local Xt, yt = make(n_test, 2)
tide.checkpoint.save(dir .. "/data.ckpt", { X_train = X, y_train = y, X_test = Xt, y_test = yt }, {})
print(("data: %d train / %d test rows x %d features, positive rate %.3f"):format(n_train, n_test, d,
  y:mean():item()))

for _, threads in ipairs({ 1, 2 }) do
  local m = gbdt.new { n_trees = 100, learning_rate = 0.1, max_leaves = 31, max_depth = 0, max_bins = 255,
    min_samples_leaf = 20, l2 = 0, threads = threads }
  local t0, c0 = wall(), cpu()
  m:fit(X, y)
  local t1, c1 = wall(), cpu()
  local p = m:predict(Xt)
  local t2 = wall()
  print(("RESULT tide threads=%d train_s=%.3f cpu_s=%.3f auc=%.5f pred_s=%.3f"):format(threads, t1 - t0,
    c1 - c0, tide.metrics.auc(p, yt), t2 - t1))
end
