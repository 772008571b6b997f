-- test_ops.lua — the op bindings: metamethods with numbers on either side, broadcasting,
-- reductions with 1-based/negative/table dims, matmul, 1-based index conventions, sort/topk,
-- and clear errors (never a crash) for wrong types, nil, bad dims, shapes and dtypes.
-- Expected values are computed here with plain Lua loops.
local check = require "check"
local T = require("tide").tensor

local tests = {}

local A = {{1, -2, 3}, {4, 5, -6}}
local function map2(t, f)
  local r = {}
  for i = 1, #t do r[i] = {} for j = 1, #t[i] do r[i][j] = f(t[i][j], i, j) end end
  return r
end

function tests.metamethods_and_scalars()
  local a = T.fromtable(A)
  check.all_near(a + 1, map2(A, function(x) return x + 1 end))
  check.all_near(1 + a, map2(A, function(x) return x + 1 end))
  check.all_near(10 - a, map2(A, function(x) return 10 - x end))
  check.all_near(a - 10, map2(A, function(x) return x - 10 end))
  check.all_near(a * a, map2(A, function(x) return x * x end))
  check.all_near(2 / a, map2(A, function(x) return 2 / x end))
  check.all_near(a / 2, map2(A, function(x) return x / 2 end))
  check.all_near(-a, map2(A, function(x) return -x end))
  check.all_near(a ^ 2, map2(A, function(x) return x ^ 2 end))
  check.all_near(2 ^ a, map2(A, function(x) return 2 ^ x end), 1e-6)
  check.all_near(a:add(a):mul(0.5), A)
  check.all_near(a:maximum(0), map2(A, function(x) return math.max(x, 0) end))
  check.all_near(a:minimum(T.fromtable({0, 0, 0})), map2(A, function(x) return math.min(x, 0) end))
end

function tests.broadcasting()
  local a = T.fromtable(A)
  local row = T.fromtable({10, 20, 30})
  local col = T.fromtable({{100}, {200}})
  check.all_near(a + row, map2(A, function(x, i, j) return x + 10 * j end))
  check.all_near(a + col, map2(A, function(x, i) return x + 100 * i end))
  check.all_near(col * row, {{1000, 2000, 3000}, {2000, 4000, 6000}})
  -- transposed view on one side
  local at = T.fromtable({{1, 4}, {-2, 5}, {3, -6}}):t()
  check.all_near(a - at, {{0, 0, 0}, {0, 0, 0}})
  check.errors(function() return a + T.ones(3, 3) end, "add: shapes [2,3] and [3,3] cannot broadcast")
end

function tests.unary()
  local xs = {{0.5, 1.5, 2}, {0.1, 3, 0.7}}
  local x = T.fromtable(xs)
  local ref = {
    exp = function(v) return math.exp(v) end, log = function(v) return math.log(v) end, sqrt = math.sqrt, tanh = math.tanh, abs = math.abs,
    neg = function(v) return -v end, square = function(v) return v * v end,
    rsqrt = function(v) return 1 / math.sqrt(v) end,
    sigmoid = function(v) return 1 / (1 + math.exp(-v)) end,
    relu = function(v) return math.max(v, 0) end,
    log1p = function(v) return math.log(1 + v) end,
    sign = function(v) return v > 0 and 1 or (v < 0 and -1 or 0) end,
    gelu = function(v) return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ^ 3))) end,
  }
  for name, f in pairs(ref) do
    check.all_near(x[name](x), map2(xs, f), 1e-6, name)
  end
  check.all_near(T.fromtable({-2, 0.5, 3}):clamp(0, 1), {0, 0.5, 1})
  check.all_near(T.fromtable({-2, 0.5, 3}):clamp(nil, 1), {-2, 0.5, 1})
  check.all_near(T.fromtable({-2, 0.5, 3}):clamp(0), {0, 0.5, 3})
  check.errors(function() return x:clamp() end, "clamp: give a lower bound")
  check.errors(function() return x:clamp("a") end, "clamp: lo (argument #2) must be a number")
end

function tests.dtypes_and_comparisons()
  local i = T.fromtable({1, 2, 3}, "i32")
  check.eq((i + 1):dtype(), "i32", "i32 + 1")
  check.eq((i + 0.5):dtype(), "f32", "i32 + 0.5")
  check.eq((i / 2):dtype(), "f32", "i32 / 2")
  check.eq((i * T.ones(3)):dtype(), "f32", "i32 * f32")
  local a = T.fromtable({1, 5, 3})
  local b = T.fromtable({2, 5, 1})
  check.eq(a:lt(b):dtype(), "i32", "cmp dtype")
  check.all_near(a:lt(b), {1, 0, 0}, 0)
  check.all_near(a:le(b), {1, 1, 0}, 0)
  check.all_near(a:gt(b), {0, 0, 1}, 0)
  check.all_near(a:ge(b), {0, 1, 1}, 0)
  check.all_near(a:eq(b), {0, 1, 0}, 0)
  check.all_near(a:ne(b), {1, 0, 1}, 0)
  check.all_near(a:gt(2), {0, 1, 1}, 0)
end

function tests.where()
  local c = T.fromtable({1, 0, 1}, "i32")
  local a = T.fromtable({1, 2, 3})
  check.all_near(c:where(a, -1), {1, -1, 3})
  check.all_near(c:where(0, a), {0, 2, 0})
  if T.where then check.all_near(T.where(a:gt(1.5), a, a * 10), {10, 2, 3}) end
  check.errors(function() return c:where(nil, a) end, "where: argument #2: expected tensor or number, got nil")
end

function tests.reductions()
  local a = T.fromtable(A)
  check.near(a:sum():item(), 5)
  check.all_near(a:sum(1), {5, 3, -3})
  check.all_near(a:sum(2), {2, 3})
  check.all_near(a:sum(-1), {2, 3})
  check.all_near(a:sum(2, true), {{2}, {3}})
  check.all_near(a:sum({1, 2}, true), {{5}})
  check.near(a:mean():item(), 5 / 6)
  check.all_near(a:prod(1), {4, -10, -18})
  check.all_near(a:logsumexp(2), {math.log(math.exp(1) + math.exp(-2) + math.exp(3)),
    math.log(math.exp(4) + math.exp(5) + math.exp(-6))}, 1e-6)
  -- var/std: unbiased by default, biased with unbiased=false
  local m = 2 / 3
  local ss = (1 - m) ^ 2 + (-2 - m) ^ 2 + (3 - m) ^ 2
  check.near(a:var(2):totable()[1], ss / 2, 1e-6)
  check.near(a:var(2, false, false):totable()[1], ss / 3, 1e-6)
  check.near(a:std(2):totable()[1], math.sqrt(ss / 2), 1e-6)
  check.errors(function() return a:sum(3) end, "sum: dim 3 out of range for a 2-dim tensor")
  check.errors(function() return a:sum({1, -2}) end, "sum: dim 1 given twice (dims[2] = -2)")
  check.errors(function() return a:sum("x") end, "sum: dim (argument #2) must be an integer or a table")
  check.errors(function() return a:sum(1, "yes") end, "keepdim (argument #3) must be a boolean")
end

function tests.max_min_argmax_one_based()
  local a = T.fromtable(A)
  check.near(a:max():item(), 5)
  check.near(a:min():item(), -6)
  local v, i = a:max(2)
  check.all_near(v, {3, 5}, 0)
  check.all_near(i, {3, 2}, 0)
  check.eq(i:dtype(), "i64", "index dtype")
  v, i = a:min(1, true)
  check.all_near(v, {{1, -2, -6}}, 0)
  check.all_near(i, {{1, 1, 2}}, 0)
  check.near(a:argmax():item(), 5) -- flat 1-based
  check.all_near(a:argmin(2), {2, 3}, 0)
  check.errors(function() return a:max(a) end, "use maximum")
end

function tests.matmul()
  local a = T.fromtable(A)
  local b = T.fromtable({{1, 0}, {2, 1}, {0, 3}})
  local want = {}
  for i = 1, 2 do
    want[i] = {}
    for j = 1, 2 do
      local s = 0
      for k = 1, 3 do s = s + A[i][k] * b:get(k, j) end
      want[i][j] = s
    end
  end
  check.all_near(a:matmul(b), want)
  check.all_near(b:t():matmul(a:t()), {{want[1][1], want[2][1]}, {want[1][2], want[2][2]}})
  local out = T.zeros(2, 2)
  local r = a:matmul(b, out)
  check.truthy(rawequal(r, out), "out returned")
  check.all_near(out, want)
  check.near(T.fromtable({1, 2, 3}):matmul(T.fromtable({4, 5, 6})):item(), 32)
  check.errors(function() return a:matmul(a) end, "matmul: shapes [2,3] and [2,3] do not align")
  check.errors(function() return a:matmul(T.ones(3, 2, "i32")) end, "matmul: expected f32 tensors")
  check.errors(function() return a:matmul(nil) end, "matmul: argument #2: expected tensor, got nil")
  if T.matmul then check.all_near(T.matmul(a, b), want) end
end

function tests.indexing_one_based()
  local a = T.fromtable({{1, 2}, {3, 4}, {5, 6}})
  check.all_near(a:index_select(1, {3, 1}), {{5, 6}, {1, 2}}, 0)
  check.all_near(a:index_select(2, T.fromtable({2}, "i32")), {{2}, {4}, {6}}, 0)
  check.all_near(a:index_add(1, {1, 1}, T.ones(2, 2)), {{3, 4}, {3, 4}, {5, 6}}, 0)
  local g = a:gather(2, T.fromtable({{2}, {1}, {2}}, "i64"))
  check.all_near(g, {{2}, {3}, {6}}, 0)
  local s = T.zeros(2, 2):scatter_add(1, T.fromtable({{2, 1}}, "i32"), T.fromtable({{7, 8}}))
  check.all_near(s, {{0, 8}, {7, 0}}, 0)
  local z = T.zeros(3)
  z:index_add_(1, {2, 2}, T.ones(2))
  check.all_near(z, {0, 2, 0}, 0)
  check.all_near(a:masked_fill(T.fromtable({1, 0}, "i32"), -1), {{-1, 2}, {-1, 4}, {-1, 6}}, 0)
  check.errors(function() return a:index_select(1, {4}) end,
    "index_select: index 4 out of range for dim 1 of size 3 (indices are 1-based)")
  check.errors(function() return a:index_select(1, {0}) end, "index 0 out of range")
  check.errors(function() return a:index_select(1, {1.5}) end, "index[1] must be an integer")
  check.errors(function() return a:gather(1, T.ones(3, 2)) end, "gather: index must be an i32 or i64 tensor, got f32")
  check.errors(function() return a:gather(1, {1}) end, "gather: index (argument #3) must be an i32/i64 tensor")
  check.errors(function() return a:index_add(1, {1}, T.ones(2, 2)) end, "index_add: src [2,2] does not match")
  check.errors(function() return a:masked_fill(T.ones(2, 2), 0) end, "masked_fill: mask [2,2] does not broadcast")
  check.errors(function() return a:index_select(3, {1}) end, "index_select: dim 3 out of range")
  local leaf = T.zeros(3)
  leaf:requires_grad(true)
  check.errors(function() return leaf:index_add_(1, {1}, T.ones(1)) end,
    "index_add_: in-place update of a tensor that requires grad")
end

function tests.topk_sort_cumsum()
  local x = T.fromtable({{3, 1, 4, 1, 5}, {9, 2, 6, 5, 3}})
  local v, i = x:topk(2)
  check.all_near(v, {{5, 4}, {9, 6}}, 0)
  check.all_near(i, {{5, 3}, {1, 3}}, 0)
  v, i = x:topk(2, {largest = false})
  check.all_near(v, {{1, 1}, {2, 3}}, 0)
  check.all_near(i, {{2, 4}, {2, 5}}, 0) -- ties: lower index first
  -- the indices feed back into gather
  check.all_near(x:gather(2, i), v:totable(), 0)
  v, i = x:sort()
  check.all_near(v, {{1, 1, 3, 4, 5}, {2, 3, 5, 6, 9}}, 0)
  check.all_near(i, {{2, 4, 1, 3, 5}, {2, 5, 4, 3, 1}}, 0)
  v, i = x:sort(1, true)
  check.all_near(v, {{9, 2, 6, 5, 5}, {3, 1, 4, 1, 3}}, 0)
  check.all_near(x:argsort(2, true), {{5, 3, 1, 2, 4}, {1, 3, 4, 5, 2}}, 0)
  check.all_near(x:cumsum(2), {{3, 4, 8, 9, 14}, {9, 11, 17, 22, 25}}, 0)
  check.all_near(T.fromtable({1, 2, 3}):cumsum(), {1, 3, 6}, 0)
  check.errors(function() return x:topk(6) end, "topk: k=6 out of range")
  check.errors(function() return x:topk("a") end, "topk: k (argument #2) must be an integer")
  check.errors(function() return x:topk(1, true) end, "topk: options (argument #3) must be a table")
  check.errors(function() return x:topk(1, {largest = "yes"}) end, "topk: option largest must be a boolean, got string")
  check.errors(function() return x:cumsum() end, "cumsum: give a dim")
  check.errors(function() return x:sort(3) end, "sort: dim 3 out of range")
end

function tests.cat_stack()
  if not T.cat then return end -- module functions need lt_tensor_funcs_ops registered
  local a, b = T.fromtable({{1, 2}}), T.fromtable({{3, 4}, {5, 6}})
  check.all_near(T.cat({a, b}), {{1, 2}, {3, 4}, {5, 6}}, 0)
  check.all_near(T.cat({b, b}, 2), {{3, 4, 3, 4}, {5, 6, 5, 6}}, 0)
  check.all_near(T.stack({a, a}, 1), {{{1, 2}}, {{1, 2}}}, 0)
  check.errors(function() return T.cat({a, b}, 2) end, "cat: tensor 2 has shape [2,2], incompatible with [1,2] (only the joined dim may differ)")
  check.errors(function() return T.cat({a, 3}) end, "cat: element 2 is not a tensor")
  check.errors(function() return T.cat({}) end, "cat: needs at least one tensor")
end

-- Every differentiable method must go through the tape: d/dx sum(f(x)) from backward equals
-- a central finite difference of the same Lua call (f32, so eps and tol are loose).
function tests.methods_record_autograd()
  local x0 = {{0.3, -0.7, 1.2}, {0.9, 0.4, -1.1}}
  local w = T.fromtable({{0.5, -1, 2}, {1.5, 0.25, -0.5}})
  local idx = T.fromtable({{2, 1, 1}}, "i64")
  local fs = {
    add = function(x) return x:add(w) end, sub = function(x) return 2 - x end,
    mul = function(x) return x * w end, div = function(x) return w / (x + 3) end,
    pow = function(x) return (x + 2) ^ 1.5 end, neg = function(x) return -x end,
    exp = function(x) return x:exp() end, tanh = function(x) return x:tanh() end,
    sigmoid = function(x) return x:sigmoid() end, gelu = function(x) return x:gelu() end,
    square = function(x) return x:square() end, log = function(x) return (x + 2):log() end,
    clamp = function(x) return x:clamp(-0.5, 0.5) end,
    maximum = function(x) return x:maximum(w) end,
    where = function(x) return T.where(w:gt(0), x, x * 3) end,
    sum = function(x) return x:sum(2) * w:sum(2) end, mean = function(x) return x:mean(1) end,
    max = function(x) return (x:max(2)) end, logsumexp = function(x) return x:logsumexp(2) end,
    var = function(x) return x:var(2) end, std = function(x) return x:std(1) end,
    prod = function(x) return x:prod(2) end,
    matmul = function(x) return x:matmul(w:t()) end,
    gather = function(x) return x:gather(1, idx) end,
    index_select = function(x) return x:index_select(2, {3, 1, 3}) end,
    masked_fill = function(x) return x:masked_fill(w:lt(0), 0) * w end,
    cumsum = function(x) return x:cumsum(2) * w end,
    topk = function(x) return (x:topk(2)) end,
    sort = function(x) return (x:sort(2)) * w end,
    cat = function(x) return T.cat({x, x * 2}, 1) end,
  }
  for name, f in pairs(fs) do
    local x = T.fromtable(x0)
    x:requires_grad(true)
    f(x):sum():backward()
    local g = x:grad()
    check.truthy(g, name .. ": no gradient reached x")
    local eps = 1e-2
    for i = 1, 2 do
      for j = 1, 3 do
        local xp, xm = T.fromtable(x0), T.fromtable(x0)
        xp:set(i, j, x0[i][j] + eps)
        xm:set(i, j, x0[i][j] - eps)
        local fd = (f(xp):sum():item() - f(xm):sum():item()) / (2 * eps)
        check.near(g:get(i, j), fd, 2e-2, name .. "[" .. i .. "," .. j .. "]")
      end
    end
  end
  -- compiled traces pin the tensors they captured as constants; the runner exits without
  -- closing the state, so LeakSanitizer would report them
  if jit then jit.flush() end
end

function tests.argument_errors()
  local a = T.fromtable(A)
  check.errors(function() return a:add() end, "add: argument #2: expected tensor or number, got no value")
  check.errors(function() return a:add("x") end, "add: argument #2: expected tensor or number, got string")
  check.errors(function() return a + {} end, "add: argument #2: expected tensor or number, got table")
  check.errors(function() return T.methods.exp(5) end, "exp: argument #1: expected tensor, got number")
  check.errors(function() return T.methods.sum(nil) end, "sum: argument #1: expected tensor, got nil")
  local f = T.ones(2)
  f:free()
  check.errors(function() return f + 1 end, "freed tensor")
end

return tests
