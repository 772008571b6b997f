-- test_quant.lua — tide.quant from Lua: int8 codes of a hand-worked row, the per-entry error
-- bound, scores against the dequantised product (one user and many), quantised nn.Linear,
-- pruning fractions and the CSR product, and bad arguments named.
local check = require "check"
local tide = require "tide"
local T, Q = tide.tensor, tide.quant

local tests = {}

function tests.codes_by_hand()
  -- row {4, -1, 0.5}: scale 4/127; codes rint(127/4 · w) = 127, -32 (31.75), 16 (15.875)
  local q = Q.int8(T.fromtable({ { 4, -1, 0.5 } }))
  check.all_near(q:codes(), { { 127, -32, 16 } }, 0, "codes")
  check.near(q:scales():get(1), 4 / 127, 1e-7, "scale")
  check.eq(q:bytes(), 3 + 4, "bytes")
  check.all_near(q:shape(), { 1, 3 }, 0, "shape")
  -- x = {1, 1, 1}: (127 − 32 + 16) · 4/127
  check.near(q:scores(T.fromtable({ 1, 1, 1 })):get(1, 1), 111 * 4 / 127, 1e-6, "score")
  q:free(); q:free()
  check.errors(function() q:scores(T.ones({ 3 })) end, "freed")
end

function tests.error_bound_and_scores()
  T.manual_seed(5)
  local W, X = T.randn(500, 24) * 3, T.randn(12, 24)
  local q = Q.int8(W)
  local err = (q:dequant() - W):abs()
  local bound = q:scales():view({ 500, 1 }):expand({ 500, 24 }) * 0.5 + 1e-6
  check.eq((err - bound):max():item() <= 0, true, "|w - s q| <= s/2")
  local ref = X:matmul(q:dequant():t())
  check.all_near(q:scores(X), ref:totable(), 1e-4, "many users (sgemm blocks)")
  check.all_near(q:scores(X:select(1, 3)), { ref:select(1, 3):totable() }, 1e-4, "one user (int8 dot)")
  local bias = T.randn(500)
  check.all_near(q:scores(X, bias), (ref + bias):totable(), 1e-4, "bias")
  -- the relative score error stays small for Gaussian rows: ~ 1/127 of the row scale
  local rel = (q:scores(X) - X:matmul(W:t())):abs():max():item() / X:matmul(W:t()):abs():max():item()
  check.truthy(rel < 0.02, "relative score error " .. rel)
end

function tests.linear_and_table_methods()
  T.manual_seed(2)
  local lin = tide.nn.Linear(10, 3)
  local x = T.randn(6, 10)
  local want = tide.no_grad(function() return lin(x) end)
  check.all_near(Q.linear(lin, { method = "f32" }):forward(x), want:totable(), 1e-6, "f32 linear")
  check.all_near(Q.linear(lin):forward(x), want:totable(), 0.02, "int8 linear")
  local p = Q.linear(lin, { method = "prune", frac = 0 })
  check.all_near(p:forward(x), want:totable(), 1e-5, "prune 0 == dense")
  check.eq(Q.linear(lin):bytes(), 30 + 3 * 4 + 3 * 4, "int8 linear bytes: codes + scales + bias")
  check.errors(function() Q.table(T.ones({ 2, 2 }), { method = "fp8" }) end, "method must be")
  check.errors(function() Q.linear({}) end, "must be an nn.Linear")
end

function tests.prune_and_sparse()
  local W = T.fromtable({ { 0.5, -0.1, 0.3, -0.3 }, { 0, 2, -0.05, 0.2 } })
  -- |w| sorted 0 .05 .1 .2 .3 .3 .5 2: frac .5 -> threshold .2, kept .5 .3 -.3 2
  local P, thr, kept = Q.prune(W, 0.5)
  check.near(thr, 0.2, 1e-7, "threshold"); check.eq(kept, 4, "kept")
  check.all_near(P, { { 0.5, 0, 0.3, -0.3 }, { 0, 2, 0, 0 } }, 1e-7, "pruned copy (f32 values)")
  check.near(W:get(1, 2), -0.1, 1e-7, "the input is untouched")
  local S = Q.sparse(P)
  check.eq(S:nnz(), 4, "nnz")
  local x = T.fromtable({ { 1, 2, 3, 4 }, { -1, 0, 1, 0 } })
  check.all_near(S:scores(x), x:matmul(P:t()):totable(), 1e-6, "CSR == dense product")
  check.errors(function() Q.prune(W, 1.5) end, "frac must be a number in [0, 1]")
  check.errors(function() Q.prune(W, 0 / 0) end, "frac must be")
  check.errors(function() Q.int8(T.ones({ 3 })) end, "must be 2-D")
  check.errors(function() Q.int8("W") end, "must be a tensor")
  check.errors(function() Q.int8(T.fromtable({ { 1, 0 / 0 } })) end, "not finite")
  check.errors(function() S:scores(T.ones({ 2, 3 })) end, "X must be [B, 4]")
  check.errors(function() S:scores(T.ones({ 4 }), T.ones({ 5 })) end, "bias must be")
end

return tests
