-- test_autograd.lua — finite-difference checks of every differentiable tensor op (incl.
-- broadcasting and non-contiguous inputs) and the semantics of the tape: accumulation,
-- shared inputs, no_grad, detach, freed graphs, error paths.
local tide = require "tide"
local check = require "check"
local gradcheck = require "gradcheck"
local T = tide.tensor
local ag = tide.autograd

local tests = {}

-- a leaf in [lo, hi) with the given shape
local function leaf(shape, lo, hi)
  return T.uniform(shape, lo or -1, hi or 1):requires_grad()
end
-- a non-contiguous leaf: the transpose of a fresh [b, a] tensor
local function leaf_t(a, b, lo, hi)
  local base = T.uniform({ b, a }, lo or -1, hi or 1)
  return base:t():requires_grad()
end
local function gc(what, fn, inputs, opts)
  opts = opts or {}
  opts.what = what
  return gradcheck.check(fn, inputs, opts)
end


-- ---- unary ----
function tests.unary_ops()
  T.manual_seed(1)
  local smooth = { "neg", "exp", "tanh", "sigmoid", "gelu", "square" }
  for _, op in ipairs(smooth) do
    gc(op, function(x) return x[op](x) end, { leaf({ 3, 4 }, -2, 2) })
    gc(op .. " non-contig", function(x) return x[op](x) end, { leaf_t(3, 4, -2, 2) })
  end
  local pos = { "log", "sqrt", "rsqrt", "log1p" }
  for _, op in ipairs(pos) do
    gc(op, function(x) return x[op](x) end, { leaf({ 2, 5 }, 0.5, 3) })
  end
  -- kinks: keep inputs away from 0
  local x = T.fromtable({ { -1.5, 0.7, 2.0 }, { 0.3, -0.4, -2.2 } }):requires_grad()
  gc("relu", function(a) return a:relu() end, { x })
  gc("abs", function(a) return a:abs() end, { x })
  -- sign: zero gradient
  local y = leaf({ 4 })
  y:sign():sum():backward()
  check.all_near(y:grad(), { 0, 0, 0, 0 }, 0, "sign grad")
end

-- ---- binary with broadcasting ----
function tests.binary_broadcast()
  T.manual_seed(2)
  local ops = {
    add = function(a, b) return a + b end, sub = function(a, b) return a - b end,
    mul = function(a, b) return a * b end, div = function(a, b) return a / b end,
  }
  for name, f in pairs(ops) do
    gc(name .. " [3,1]x[1,4]", f, { leaf({ 3, 1 }, 0.5, 2), leaf({ 1, 4 }, 0.5, 2) })
    gc(name .. " [2,3,4]x[4]", f, { leaf({ 2, 3, 4 }, 0.5, 2), leaf({ 4 }, 0.5, 2) })
    gc(name .. " noncontig", f, { leaf_t(3, 4, 0.5, 2), leaf({ 3, 4 }, 0.5, 2) })
    gc(name .. " 0-dim", f, { leaf({ 2, 3 }, 0.5, 2), T.full({}, 1.7):requires_grad() })
  end
  -- pow w.r.t. base and exponent
  gc("pow", function(a, b) return a:pow(b) end, { leaf({ 3, 1 }, 0.5, 2), leaf({ 1, 4 }, -1.5, 1.5) })
  -- maximum / minimum on distinct values
  local a = T.fromtable({ { 1, -2, 3 }, { 0.5, 4, -1 } }):requires_grad()
  local b = T.fromtable({ 0, 1, 2 }):requires_grad()
  gc("maximum", function(p, q) return p:maximum(q) end, { a, b })
  gc("minimum", function(p, q) return p:minimum(q) end, { a, b })
end

function tests.pow_edge_cases()
  local x = T.fromtable({ 0, 2 }):requires_grad()
  ;(x ^ 0):sum():backward()
  check.all_near(x:grad(), { 0, 0 }, 0, "d/dx x^0 = 0, also at 0")
  x:zero_grad()
  local e = T.fromtable({ 0, 0 })
  x:pow(e):sum():backward()
  check.all_near(x:grad(), { 0, 0 }, 0, "tensor exponent 0")
  x:zero_grad()
  ;(x ^ 2):sum():backward()
  check.all_near(x:grad(), { 0, 4 }, 0, "x^2 at 0")
  local b = T.fromtable({ 0, 1 }):requires_grad()
  T.fromtable({ 0, 3 }):pow(b):sum():backward()
  check.all_near(b:grad(), { 0, 3 * math.log(3) }, 1e-6, "d/db 0^b = 0")
end

function tests.maximum_ties_split_evenly()
  local a = T.fromtable({ 1, 2 }):requires_grad()
  local b = T.fromtable({ 1, 3 }):requires_grad()
  a:maximum(b):sum():backward()
  check.all_near(a:grad(), { 0.5, 0 }, 1e-7, "maximum a")
  check.all_near(b:grad(), { 0.5, 1 }, 1e-7, "maximum b")
end

function tests.scalar_ops()
  T.manual_seed(3)
  local x = leaf({ 2, 3 }, 0.5, 2)
  gc("t+s", function(a) return a + 2.5 end, { x })
  gc("s-t", function(a) return 2 - a end, { x })
  gc("t*s", function(a) return a * -3 end, { x })
  gc("t/s", function(a) return a / 4 end, { x })
  gc("s/t", function(a) return 2 / a end, { x })
  gc("t^s", function(a) return a ^ 2.5 end, { x })
  gc("s^t", function(a) return 1.7 ^ a end, { x })
  gc("-t", function(a) return -a end, { x })
  gc("maximum(t, s)", function(a) return a:maximum(1.1) end, { x })
  gc("minimum(t, s)", function(a) return a:minimum(1.1) end, { x })
  gc("scalar ops noncontig", function(a) return (a * 2 + 1) / 3 end, { leaf_t(3, 2, 0.5, 2) })
end

function tests.clamp_where_masked_fill()
  T.manual_seed(4)
  local x = T.fromtable({ { -2, -0.5, 0.2 }, { 0.9, 1.5, -1.2 } }):requires_grad()
  gc("clamp", function(a) return a:clamp(-1, 1) end, { x })
  gc("clamp lo", function(a) return a:clamp(0) end, { x })
  local cond = T.fromtable({ { 1, 0, 1 }, { 0, 1, 0 } }):int()
  local b = leaf({ 3 })
  gc("where", function(p, q) return cond:where(p, q) end, { x, b })
  local mask = T.fromtable({ 1, 0, 1 }):int()
  gc("masked_fill", function(p) return p:masked_fill(mask, 0) end, { x })
end

-- ---- reductions ----
function tests.reductions()
  T.manual_seed(5)
  local x = leaf({ 3, 4 }, -2, 2)
  local x3 = leaf({ 2, 3, 4 }, -2, 2)
  for _, op in ipairs({ "sum", "mean", "logsumexp" }) do
    gc(op .. " all", function(a) return a[op](a) end, { x })
    gc(op .. " dim", function(a) return a[op](a, 2) end, { x })
    gc(op .. " keep", function(a) return a[op](a, 1, true) end, { x })
    gc(op .. " dims", function(a) return a[op](a, { 1, 3 }) end, { x3 })
    gc(op .. " noncontig", function(a) return a[op](a, 1) end, { leaf_t(3, 4) })
  end
  for _, op in ipairs({ "var", "std" }) do
    gc(op .. " all", function(a) return a[op](a) end, { x })
    gc(op .. " dim biased", function(a) return a[op](a, 2, false, false) end, { x })
    gc(op .. " dims keep", function(a) return a[op](a, { 1, 2 }, true) end, { x3 })
  end
  for _, op in ipairs({ "max", "min" }) do
    gc(op .. " all", function(a) return a[op](a) end, { x })
    gc(op .. " dim", function(a) return (a[op](a, 2)) end, { x })
    gc(op .. " dim keep", function(a) return (a[op](a, 1, true)) end, { x3 })
  end
  gc("prod all", function(a) return a:prod() end, { leaf({ 2, 3 }, 0.5, 1.5) })
  gc("prod dim", function(a) return a:prod(2) end, { leaf({ 3, 4 }, 0.5, 1.5) })
  gc("prod dims", function(a) return a:prod({ 1, 3 }) end, { leaf({ 2, 3, 2 }, 0.5, 1.5) })
end

function tests.prod_with_zero_is_exact()
  local x = T.fromtable({ { 2, 0, 3 }, { 0, 0, 5 } }):requires_grad()
  x:prod(2):sum():backward()
  -- d/dx_j prod = product of the others
  check.all_near(x:grad(), { { 0, 6, 0 }, { 0, 0, 0 } }, 1e-7, "prod grad")
end

function tests.max_ties_split_evenly()
  local x = T.fromtable({ 1, 3, 3 }):requires_grad()
  x:max():backward()
  check.all_near(x:grad(), { 0, 0.5, 0.5 }, 1e-7, "max ties")
end

-- ---- matmul ----
function tests.matmul_shapes()
  T.manual_seed(6)
  local mm = function(a, b) return a:matmul(b) end
  gc("2d", mm, { leaf({ 3, 4 }), leaf({ 4, 2 }) })
  gc("2d transposed inputs", mm, { leaf_t(3, 4), leaf_t(4, 2) })
  gc("batched", mm, { leaf({ 2, 3, 4 }), leaf({ 2, 4, 2 }) })
  gc("batch x matrix", mm, { leaf({ 2, 3, 4 }), leaf({ 4, 2 }) })
  gc("matrix x batch", mm, { leaf({ 3, 4 }), leaf({ 2, 4, 2 }) })
  gc("broadcast batch", mm, { leaf({ 2, 1, 3, 4 }), leaf({ 3, 4, 2 }) })
  gc("vec x mat", mm, { leaf({ 4 }), leaf({ 4, 2 }) })
  gc("mat x vec", mm, { leaf({ 3, 4 }), leaf({ 4 }) })
  gc("vec x vec", mm, { leaf({ 4 }), leaf({ 4 }) })
  gc("batch x vec", mm, { leaf({ 2, 3, 4 }), leaf({ 4 }) })
end

-- ---- indexing, scans, sorting ----
function tests.indexing()
  T.manual_seed(8)
  local x = leaf({ 3, 4 })
  local idx = T.fromtable({ { 1, 3 }, { 4, 4 }, { 2, 1 } }):long()
  gc("gather", function(a) return a:gather(2, idx) end, { x })
  local src = leaf({ 3, 2 })
  gc("scatter_add", function(a, s) return a:scatter_add(2, idx, s) end, { x, src })
  local rows = T.fromtable({ 3, 1, 3 }):long()
  gc("index_select", function(a) return a:index_select(1, rows) end, { x })
  gc("index_select dim2", function(a) return a:index_select(2, rows) end, { x })
  local s2 = leaf({ 3, 4 })
  gc("index_add", function(a, s) return a:index_add(1, rows, s) end, { x, s2 })
  gc("gather noncontig", function(a) return a:gather(2, idx:narrow(2, 1, 1)) end, { leaf_t(3, 4) })
  gc("index_select noncontig", function(a) return a:index_select(2, rows) end, { leaf_t(3, 4) })
  gc("index_add noncontig src", function(a, s) return a:index_add(1, rows, s) end, { x, leaf_t(3, 4) })
  gc("scatter_add noncontig", function(a, s) return a:scatter_add(2, idx, s) end, { leaf_t(3, 4), leaf_t(3, 2) })
  local mask2 = T.fromtable({ { 1, 0, 0, 1 }, { 0, 0, 1, 0 }, { 1, 1, 0, 0 } }):int()
  gc("masked_fill noncontig", function(a) return a:masked_fill(mask2, -1) end, { leaf_t(3, 4) })
end

function tests.cumsum_topk_sort()
  T.manual_seed(9)
  gc("cumsum dim1", function(a) return a:cumsum(1) end, { leaf({ 3, 4 }) })
  gc("cumsum dim2", function(a) return a:cumsum(2) end, { leaf({ 3, 4 }) })
  gc("cumsum 3d", function(a) return a:cumsum(2) end, { leaf({ 2, 3, 2 }) })
  -- distinct values so the order is stable under +-eps
  local x = T.fromtable({ { 0.1, 0.9, -0.5, 0.4 }, { 2.0, -1.0, 1.1, 0.0 } }):requires_grad()
  gc("topk", function(a) return (a:topk(2)) end, { x })
  gc("topk smallest", function(a) return (a:topk(3, { largest = false })) end, { x })
  gc("sort", function(a) return (a:sort(2)) end, { x })
  gc("sort desc dim1", function(a) return (a:sort(1, true)) end, { x })
end

-- ---- views ----
function tests.views()
  T.manual_seed(10)
  local x = leaf({ 2, 3, 4 })
  gc("view", function(a) return a:view(6, 4) end, { x })
  gc("reshape noncontig", function(a) return a:reshape(12) end, { leaf_t(3, 4) })
  local m432, m34 = T.uniform({ 4, 3, 2 }, 0, 1), T.uniform({ 3, 4 }, 0, 1)
  gc("transpose", function(a) return a:transpose(1, 3) * m432 end, { x })
  gc("permute", function(a) return a:permute(3, 1, 2):exp() end, { x })
  gc("narrow", function(a) return a:narrow(2, 2, 2) end, { x })
  gc("select", function(a) return a:select(3, -1) end, { x })
  gc("expand", function(a) return a:expand(3, 4) * m34 end, { leaf({ 1, 4 }) })
  gc("squeeze", function(a) return a:squeeze() end, { leaf({ 3, 1, 2 }) })
  gc("unsqueeze", function(a) return a:unsqueeze(2) end, { leaf({ 3, 2 }) })
  gc("contiguous", function(a) return a:contiguous() end, { leaf_t(3, 2) })
  gc("clone", function(a) return a:clone() end, { x })
  gc("float", function(a) return a:float() * 2 end, { x })
end

function tests.loop_over_slices_of_an_intermediate()
  -- a Lua loop over time steps: every select/narrow adds into the same gradient in place
  T.manual_seed(12)
  local w = T.uniform({ 3, 3 }, -1, 1)
  gc("select loop", function(x)
    local h = (x * 1.5):tanh()             -- intermediate [2, 4, 3]
    local s = h:select(2, 1):matmul(w)
    for t = 2, 4 do s = (s + h:select(2, t)):matmul(w) end
    local both = h:narrow(2, 2, 2):sum() + h:narrow(2, 1, 3):mean()
    return s * both
  end, { leaf({ 2, 4, 3 }) })
  -- the same tensor handed to two inputs (x + x) then sliced: the shared gradient is
  -- copied before any in-place add
  gc("shared then sliced", function(x)
    local y = x + x
    return y:select(1, 1) * y:select(1, 2) + y:narrow(1, 1, 1):squeeze(1)
  end, { leaf({ 2, 3 }) })
end

function tests.cat_stack()
  T.manual_seed(13)
  local a, b, c = leaf({ 2, 3 }), leaf({ 1, 3 }), leaf_t(3, 2)
  gc("cat dim1", function(p, q) return T.cat({ p, q, p }, 1) end, { a, b })
  gc("cat dim2 noncontig", function(p, q) return T.cat({ p, q:t() }, 2) end, { a, c })
  local many = {}
  for i = 1, 11 do many[i] = leaf({ 1, 2 }) end -- more inputs than one node holds
  gc("cat 11", function(...) return T.cat({ ... }, 1) end, many)
  gc("stack", function(p, q) return T.stack({ p, q }, 2) end, { a, leaf({ 2, 3 }) })
end

function tests.composite_mlp()
  T.manual_seed(11)
  local X = T.uniform({ 5, 3 }, -1, 1)
  gc("mlp", function(w1, b1, w2)
    return (X:matmul(w1) + b1):tanh():matmul(w2):sigmoid():mean()
  end, { leaf({ 3, 4 }), leaf({ 4 }), leaf({ 4, 1 }) })
end

-- ---- semantics ----
function tests.shared_input_sums()
  local x = T.fromtable({ 1, 2, 3 }):requires_grad()
  ;((x * x) + x):sum():backward()
  check.all_near(x:grad(), { 3, 5, 7 }, 1e-6, "2x+1")
  x:zero_grad()
  check.eq(x:grad(), nil, "grad after zero_grad")
  local y = x + x
  ;(y * y):sum():backward() -- d/dx (2x)^2 = 8x
  check.all_near(x:grad(), { 8, 16, 24 }, 1e-6, "8x")
end

function tests.grads_accumulate_across_backwards()
  local x = T.fromtable({ 1, 2 }):requires_grad()
  ;(x * 3):sum():backward()
  ;(x * x):sum():backward()
  check.all_near(x:grad(), { 5, 7 }, 1e-6, "3 + 2x")
end

function tests.backward_with_explicit_gradient()
  local x = T.fromtable({ 1, 2, 3 }):requires_grad()
  local y = x * 2
  check.errors(function() y:backward() end, "non-scalar")
  y:backward(T.fromtable({ 1, 0.5, -1 }))
  check.all_near(x:grad(), { 2, 1, -2 }, 1e-6, "explicit grad")
  local z = x * 2
  check.errors(function() z:backward(T.fromtable({ 1, 2 })) end, "does not match")
end

function tests.no_grad_and_detach()
  local x = T.fromtable({ 1, 2 }):requires_grad()
  local y = ag.no_grad(function() return x * 2 end)
  check.eq(y:needs_grad(), false, "no_grad result")
  check.eq(ag.is_grad_enabled(), true, "mode restored")
  check.errors(function() ag.no_grad(function() error("boom") end) end, "boom")
  check.eq(ag.is_grad_enabled(), true, "mode restored after error")
  local z = ag.no_grad(function() return ag.enable_grad(function() return x * 2 end) end)
  check.eq(z:needs_grad(), true, "enable_grad inside no_grad")
  local d = (x * 2):detach()
  check.eq(d:needs_grad(), false, "detach")
  check.eq(d:is_leaf(), true, "detached is a leaf")
  local w = (x * x):detach() * x
  w:sum():backward()
  check.all_near(x:grad(), { 1, 4 }, 1e-6, "gradient stops at detach")
  check.errors(function() d:backward() end, "does not require grad")
end

function tests.graph_freed_after_backward()
  local x = T.fromtable({ 1, 2 }):requires_grad()
  local h = x * x
  local l1, l2 = h:sum(), (h * 2):sum()
  l1:backward()
  check.errors(function() l1:backward() end, "already freed")
  check.errors(function() l2:backward() end, "already freed")
  -- after the sweep h is a constant: new graphs through it start at h
  x:zero_grad()
  local l3 = (h * x):sum()
  l3:backward()
  check.all_near(x:grad(), { 1, 4 }, 1e-6, "h is constant now")
  check.eq(h:is_leaf(), true, "spent result is a leaf")
end

function tests.gc_mid_graph_is_safe()
  local x = T.fromtable({ 1, 2, 3 }):requires_grad()
  local y = x
  for _ = 1, 20 do y = (y * 1.1):tanh() end
  local loss = y:sum()
  y = nil
  collectgarbage(); collectgarbage()
  loss:backward()
  check.truthy(x:grad() ~= nil, "gradient reached the leaf")
end

function tests.requires_grad_errors()
  check.errors(function() T.fromtable({ 1, 2 }):int():requires_grad() end, "only f32")
  local x = T.fromtable({ 1 }):requires_grad()
  check.errors(function() (x * 2):requires_grad(false) end, "non-leaf")
  check.errors(function() T.fromtable({ 1 }):backward() end, "does not require grad")
  check.errors(function() x:backward("x") end, "expected tensor")
  check.eq(x:requires_grad(false), x, "requires_grad returns self")
  check.eq(x:needs_grad(), false, "turned off")
end

function tests.integer_results_carry_no_graph()
  local x = T.fromtable({ 1.5, -2 }):requires_grad()
  check.eq(x:gt(0):needs_grad(), false, "comparison")
  check.eq(x:int():needs_grad(), false, "cast to int")
  local _, i = x:max(1)
  check.eq(i:needs_grad(), false, "argmax")
end

function tests.long_chain_training_loop_is_flat()
  -- 10k tiny steps: memory must not grow (checked for leaks under make sanitize)
  local w = T.fromtable({ 0.5, -0.3 }):requires_grad()
  local x = T.fromtable({ 1, 2 })
  local before
  for step = 1, 10000 do
    local loss = ((w * x):sum() - 1):square()
    loss:backward()
    w:copy(w - w:grad() * 0.01)
    w:zero_grad()
    if step == 100 then collectgarbage(); before = collectgarbage("count") end
  end
  -- two full cycles: tensors freed in the first are finalised (__gc) and only released in the
  -- second, and how many are pending depends on the heap other test files left behind
  collectgarbage(); collectgarbage()
  check.truthy(collectgarbage("count") < before + 200, "Lua heap stays flat")
  check.near((w * x):sum():item(), 1, 1e-3, "converged")
end

function tests.gradcheck_detects_a_wrong_gradient()
  -- x * detach(x) has analytic gradient x but true derivative 2x
  local x = T.fromtable({ 1, 2 }):requires_grad()
  check.errors(function()
    gradcheck.check(function(a) return a * a:detach() end, { x })
  end, "analytic")
end

return tests
