-- test_autograd_version.lua — in-place safety from Lua: writing into a tensor the graph needs
-- (copy, fill, set, uniform_/normal_, index_add_/scatter_add_, matmul(b, out), an optimizer
-- step, also through a view) between forward and backward makes backward fail with a clear
-- message and no gradient touched; tensors outside the graph, inputs whose values backward
-- does not read (add, views, sum) and writes after backward stay fine.
local tide = require "tide"
local check = require "check"
local T = tide.tensor
local optim = tide.optim

local tests = {}

local MSG = "modified by an in-place operation"

local function stale(loss, what)
  local err = check.errors(function() loss:backward() end, MSG)
  if what then check.truthy(tostring(err):find(what, 1, true), "message names " .. what .. ": " .. tostring(err)) end
  return err
end

-- x * c reads c in backward (dx = g * c)
local function mul_graph()
  local x = T.fromtable({ 1, 2, 3 }):requires_grad()
  local c = T.fromtable({ 4, 5, 6 })
  return x, c, (x * c):sum()
end

function tests.fill_copy_set_of_saved_operand_fail()
  local writers = {
    fill = function(c) c:fill(0) end,
    copy = function(c) c:copy(T.fromtable({ 7, 8, 9 })) end,
    set = function(c) c:set(2, 0.5) end,
    uniform_ = function(c) c:uniform_() end,
    normal_ = function(c) c:normal_() end,
    index_add_ = function(c) c:index_add_(1, { 3 }, T.ones(1)) end,
    scatter_add_ = function(c) c:scatter_add_(1, T.fromtable({ 1 }, "i64"), T.ones(1)) end,
  }
  for name, write in pairs(writers) do
    local x, c, loss = mul_graph()
    write(c)
    local err = stale(loss, "input 2 of mul")
    check.truthy(tostring(err):find("expected version", 1, true), name .. ": versions in message")
    check.eq(x:grad(), nil, name .. ": no gradient accumulated")
  end
end

function tests.write_through_view_fails()
  local x, c, loss = mul_graph()
  c:narrow(1, 2, 1):fill(0) -- a view shares c's storage
  stale(loss, "input 2 of mul")
  check.eq(x:grad(), nil, "x grad")
  local y, d, loss2 = mul_graph()
  d:view(3, 1):select(2, 1):set(1, 9)
  stale(loss2, "input 2 of mul")
  check.eq(y:grad(), nil, "y grad")
end

function tests.saved_output_modified_fails()
  local x = T.fromtable({ 0.5, -1 }):requires_grad()
  local y = x:exp() -- saves its own output
  local loss = y:sum()
  y:fill(1)
  stale(loss, "saved tensor 1 of exp")
  check.eq(x:grad(), nil, "x grad")
end

function tests.matmul_out_into_saved_operand_fails()
  local a = T.randn(2, 3):requires_grad()
  local b = T.randn(3, 2)
  local loss = a:matmul(b):sum()
  T.matmul(T.randn(3, 4), T.randn(4, 2), b) -- writes the product into b
  stale(loss, "input 2 of matmul")
  check.eq(a:grad(), nil, "a grad")
end

function tests.optimizer_step_before_backward_fails()
  local p = T.fromtable({ 1, -2, 3 }):requires_grad()
  local opt = optim.SGD({ p }, { lr = 0.1 })
  opt:zero_grad(); (p * p):sum():backward(); opt:step() -- a normal step
  local loss = (p * p):sum()
  local g_before = p:grad():totable()
  opt:step() -- p changes under the pending graph
  stale(loss, "input 1 of mul")
  check.all_near(p:grad(), g_before, 0, "gradient untouched")
end

function tests.normal_training_loop_has_no_false_positive()
  local nn = tide.nn
  local lin = nn.Linear(3, 1)
  local opt = optim.Adam(lin:parameters(), { lr = 0.05 })
  local x = T.randn(16, 3)
  local y = x:matmul(T.fromtable({ { 1 }, { -2 }, { 0.5 } }))
  local first, last
  for step = 1, 60 do
    opt:zero_grad()
    local loss = ((lin(x) - y) ^ 2):mean()
    loss:backward()
    opt:step()
    if step == 1 then first = loss:item() end
    last = loss:item()
  end
  check.truthy(last < first * 0.5, ("loss fell: %g -> %g"):format(first, last))
end

function tests.value_free_inputs_and_outside_tensors_ok()
  local x = T.fromtable({ 1, 2, 3 }):requires_grad()
  local b = T.fromtable({ 10, 20, 30 })
  local other = T.zeros(3)
  local loss = ((x + b):view(3, 1):transpose(1, 2) ^ 2):sum()
  b:fill(0)           -- add does not read b in backward
  other:uniform_()    -- not in the graph
  loss:backward()
  check.all_near(x:grad(), { 22, 44, 66 }, 1e-5, "d/dx (x + b_old)^2")
  x:fill(0)           -- after backward: fine
  local c = T.fromtable({ 2, 2, 2 })
  local x2 = T.fromtable({ 1, 1, 1 }):requires_grad()
  local l2 = (x2 * c:clone()):sum()
  c:fill(100)         -- the graph holds a clone
  l2:backward()
  check.all_near(x2:grad(), { 2, 2, 2 }, 0, "clone shields the graph")
end

function tests.operand_only_needed_for_the_others_gradient()
  -- x * c with constant c: dx = c never reads x, so x may change (PyTorch agrees)
  local x = T.fromtable({ 1, 2 }):requires_grad()
  local c = T.fromtable({ 3, 5 })
  local loss = (x * c):sum() + (x * 2):sum() + x:matmul(c:view(2, 1)):sum()
  x:fill(100)
  loss:backward()
  check.all_near(x:grad(), { 3 + 2 + 3, 5 + 2 + 5 }, 0, "grad")
  -- when both need gradients each value is needed
  local a = T.fromtable({ 1, 2 }):requires_grad()
  local b = T.fromtable({ 3, 4 }):requires_grad()
  local l2 = (a * b):sum()
  a:copy(T.fromtable({ 0, 0 }))
  stale(l2, "input 1 of mul")
  check.eq(b:grad(), nil, "b grad")
end

function tests.leaf_grad_reused_then_accumulated_fails()
  local w = T.fromtable({ 1, 2 }):requires_grad()
  local x = T.fromtable({ 3, 4 }):requires_grad()
  ;(w * w):sum():backward()
  local lp = (x * w:grad()):sum() -- w's gradient as a constant operand
  ;(w * w):sum():backward()        -- accumulates into w:grad() in place
  stale(lp, "input 2 of mul")
  check.eq(x:grad(), nil, "x grad")
end

return tests
