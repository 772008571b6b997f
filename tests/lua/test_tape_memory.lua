-- test_tape_memory.lua — tensor memory accounting (tide.tensor.memory) and the tape freeing,
-- before the backward, the buffers of intermediates that only shape-reading nodes still hold
-- (add, scalar mul, views, dropout, a linear's residual): live bytes drop, gradients stay
-- bit-identical to a run that keeps every intermediate alive.
local tide = require "tide"
local check = require "check"
local T = tide.tensor
local K = tide.core.nn

local tests = {}

local function live()
  collectgarbage(); collectgarbage()
  return (T.memory())
end

local function same_bits(a, b, what)
  local ta, tb = a:reshape({ a:numel() }):totable(), b:reshape({ b:numel() }):totable()
  check.eq(#ta, #tb, what .. " size")
  for i = 1, #ta do
    if ta[i] ~= tb[i] then error(("%s: element %d differs: %.9g vs %.9g"):format(what, i, ta[i], tb[i]), 2) end
  end
end

function tests.memory_counts_bytes()
  local before = live()
  local t = T.zeros({ 1000 })
  check.eq(live() - before, 4000, "a [1000] f32 adds 4000 bytes")
  local u = T.zeros({ 10, 10 }, "i64")
  check.eq(live() - before, 4800, "an i64 [10,10] adds 800 more")
  t, u = nil, nil
  check.eq(live(), before, "freed tensors give their bytes back")
  -- the peak is reset to the live bytes on request and then tracks new maxima
  T.memory(true)
  local _, p0 = T.memory()
  check.eq(p0, before, "peak after a reset = live")
  local w = T.zeros({ 2500 })
  w = nil
  local l, p = T.memory()
  check.truthy(p - before >= 10000, "peak saw the [2500] buffer")
  check.errors(function() T.memory(1) end, "must be a boolean", "bad reset")
  check.truthy(l >= 0, "live bytes are non-negative")
end

-- loss = sum(linear(dropout(x * 3 + 1), w, residual = x * 3 + 1)^2) built twice: once keeping
-- Lua handles on every intermediate (no buffer can be freed early), once dropping them.
local function run(keep)
  T.manual_seed(7)
  local x = T.uniform({ 64, 32 }, -1, 1):requires_grad()
  local w = T.uniform({ 32, 32 }, -0.5, 0.5):requires_grad()
  local hold = {}
  local base = live()
  local a = x * 3
  local b = a + 1
  local c = K.dropout(b, 0.25, true)
  local h = K.linear(c, w, nil, nil, { residual = b })
  if keep then hold = { a, b, c } end
  a, b, c = nil, nil, nil
  local held = live() - base
  local loss = (h * h):sum()
  loss:backward()
  return x:grad(), w:grad(), held, loss:item(), hold
end

function tests.shape_only_inputs_freed_before_backward()
  local gx1, gw1, held_keep, l1 = run(true)
  local gx2, gw2, held_free, l2 = run(false)
  local bytes = 64 * 32 * 4
  -- kept: a, b, c and h; freed early: a (only add reads it, for its shape) and b (dropout
  -- and the residual read only its shape); c is saved by linear, h by the product
  check.eq(held_keep, 4 * bytes, "with handles every intermediate is resident")
  check.eq(held_free, 2 * bytes, "without handles a and b are freed before backward")
  check.eq(l1, l2, "same loss")
  same_bits(gx1, gx2, "x grad")
  same_bits(gw1, gw2, "w grad")
end

-- nothing is freed while a Lua handle remains, and the values stay readable after backward
function tests.handle_keeps_values()
  local x = T.fromtable({ 1, 2, 3 }):requires_grad()
  local y = x * 2
  local z = (y + 1):sum()
  z:backward()
  check.all_near(y, { 2, 4, 6 }, 0, "y still readable")
  check.all_near(x:grad(), { 2, 2, 2 }, 0, "grad of sum(2x + 1)")
end

-- A view shares its base's storage, so the buffer stays while a Lua handle on the view lives
-- and goes when only the tape's shape references remain. Graphs are built inside functions:
-- LuaJIT's GC also scans dead stack slots of the running frame.
function tests.views_share_storage()
  local x = T.uniform({ 100, 10 }, -1, 1):requires_grad()
  local base = live()
  local function build()
    local v = (x * 2):narrow(1, 1, 50)
    return (v + 0):sum(), v
  end
  local s, v = build()
  check.eq(live() - base, 4000 + 4, "base [100,10] kept through its view; v + 0 freed; the sum")
  v = nil
  -- nothing reads the values any more (x * 2's backward needs only the constant, narrow's and
  -- add's only shapes): the add node's reference to the view is shape-only, so the buffer goes
  check.eq(live() - base, 4, "the shared buffer is freed once only shape references remain")
  s:backward()
  check.eq(live() - base, 4000 + 4, "backward frees the rest: x's new grad and the sum remain")
  local g = x:grad():totable()
  check.eq(g[1][1], 2, "grad in the narrowed rows")
  check.eq(g[100][1], 0, "no grad outside them")
end

-- linear with ReLU and no residual keeps its output (which the next layer keeps anyway), not
-- the pre-activation: [out > 0] * keep = [pre > 0] * keep. Same gradients, bit for bit, as the
-- path that keeps pre (a zero residual forces it and adds exactly 0 to the output).
local function relu_linear(zero_residual)
  T.manual_seed(11)
  local x = T.uniform({ 48, 16 }, -1, 1):requires_grad()
  local w = T.uniform({ 24, 16 }, -0.5, 0.5):requires_grad()
  local b = T.uniform({ 24 }, -0.5, 0.5):requires_grad()
  local opts = { dropout = 0.3, residual = zero_residual and T.zeros({ 48, 24 }) or nil }
  local base = live()
  local h = K.linear(x, w, b, "relu", opts)
  local held = live() - base
  local up = T.uniform({ 48, 24 }, -1, 1)
  local loss = (h * up):sum()
  loss:backward()
  return x:grad(), w:grad(), b:grad(), held, h
end

function tests.relu_linear_keeps_output_not_preactivation()
  local gx1, gw1, gb1, held_pre, h1 = relu_linear(true)
  local gx2, gw2, gb2, held_out, h2 = relu_linear(false)
  local bytes = 48 * 24 * 4
  check.eq(held_pre, 2 * bytes, "with a residual: output and pre-activation")
  check.eq(held_out, bytes, "without: the output only")
  same_bits(h1, h2, "outputs")
  same_bits(gx1, gx2, "x grad")
  same_bits(gw1, gw2, "w grad")
  same_bits(gb1, gb2, "b grad")
  local zeros = 0
  for _, v in ipairs(h2:reshape({ h2:numel() }):totable()) do if v == 0 then zeros = zeros + 1 end end
  check.truthy(zeros > 48 * 24 * 0.5, "ReLU and dropout both zeroed elements (" .. zeros .. ")")
end

-- the backward sweep gives each intermediate's buffer back once its node has run, so the
-- live bytes while gradients are built stay below "every activation + every gradient"
function tests.backward_frees_activations_as_it_goes()
  local x = T.uniform({ 256, 256 }, -1, 1):requires_grad()
  local function build()
    local h = x
    for _ = 1, 8 do h = (h * 0.5):tanh() end -- each tanh keeps its output for backward
    return h:sum()
  end
  local before = live()
  local loss = build()
  local base = live()
  T.memory(true)
  loss:backward()
  local _, peak = T.memory()
  local buf = 256 * 256 * 4
  -- before: 8 tanh outputs; the sweep needs at most a gradient or two and x's grad on top,
  -- and every activation it has passed is freed (keeping them all would reach 8 + 3 buffers
  -- only at the end, so look at what is left and at the peak)
  check.truthy(peak - base <= 3 * buf + 4096, ("peak above the activations: %d bytes"):format(peak - base))
  check.eq(live() - base, buf - 8 * buf, "after backward: x's grad, every activation freed")
  -- tanh's backward reads its output only, so the products h * 0.5 were never kept
  check.eq(base - before, 8 * buf + 4, "the tape held the 8 tanh outputs (and the loss) only")
end

return tests
