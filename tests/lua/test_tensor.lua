-- test_tensor.lua — the tensor binding: creation, element access, views, copying, printing,
-- and argument checking (every bad call is a Lua error, never a crash).
local check = require "check"
local T = require("tide").tensor

local tests = {}

function tests.creation_and_shape()
  local z = T.zeros(2, 3)
  check.all_near(z:shape(), {2, 3}, 0, "shape")
  check.eq(z:size(2), 3, "size(2)")
  check.eq(#z, 2, "#t")
  check.eq(z:numel(), 6, "numel")
  check.eq(z:dtype(), "f32", "dtype")
  check.eq(T.zeros({4}, "i32"):dtype(), "i32", "dtype arg")
  check.all_near(T.ones(2):totable(), {1, 1}, 0)
  check.all_near(T.full({2}, 7, "i64"):totable(), {7, 7}, 0)
  check.all_near(T.arange(4):totable(), {0, 1, 2, 3}, 0)
  check.all_near(T.arange(1, 2, 0.5):totable(), {1, 1.5}, 0)
  check.all_near(T.eye(2):totable(), {{1, 0}, {0, 1}}, 0)
end

function tests.fromtable_roundtrip()
  local src = {{1, 2, 3}, {4, 5, 6}}
  local t = T.fromtable(src)
  check.all_near(t:totable(), src, 0)
  check.eq(T.fromtable(3.5):item(), 3.5, "scalar")
  check.eq(T.fromtable(3.5):dim(), 0, "0-dim")
  check.errors(function() T.fromtable({{1, 2}, {3}}) end, "ragged table at [2]")
  check.errors(function() T.fromtable({{1, "x"}}) end, "expected a number at [1][2]")
  check.errors(function() T.fromtable({1.5}, "i32") end, "not an integer")
  check.errors(function() T.fromtable("nope") end, "expected table, got string")
end

function tests.get_set_one_based()
  local t = T.zeros(2, 3)
  t:set(2, 3, 9)
  check.eq(t:get(2, 3), 9)
  check.eq(t:get(-1, -1), 9, "negative index from the end")
  check.errors(function() t:get(3, 1) end, "index 3 out of range for dim 1 of size 2")
  check.errors(function() t:get(0, 1) end, "out of range")
  check.errors(function() t:get(1) end, "needs 2 indices")
  check.errors(function() t:set(1, 1, "x") end, "value must be a number")
  check.errors(function() t:get(1.5, 1) end, "must be an integer")
end

function tests.views_share_storage()
  local t = T.fromtable({{1, 2, 3}, {4, 5, 6}})
  local tt = t:t()
  check.all_near(tt:shape(), {3, 2}, 0)
  tt:set(3, 1, 30)
  check.eq(t:get(1, 3), 30, "transpose writes through")
  local n = t:narrow(2, 2, 2)
  check.all_near(n:totable(), {{2, 30}, {5, 6}}, 0)
  local s = t:select(1, 2)
  check.all_near(s:totable(), {4, 5, 6}, 0)
  local v = t:view(3, 2)
  check.all_near(v:totable(), {{1, 2}, {30, 4}, {5, 6}}, 0)
  check.all_near(t:view(-1):shape(), {6}, 0)
  check.errors(function() tt:view(6) end, "use reshape")
  check.all_near(tt:reshape(6):totable(), {1, 4, 2, 5, 30, 6}, 0)
  check.all_near(t:unsqueeze(1):shape(), {1, 2, 3}, 0)
  check.all_near(t:unsqueeze(1):squeeze():shape(), {2, 3}, 0)
  check.all_near(T.zeros(1, 3):expand(4, 3):shape(), {4, 3}, 0)
  check.all_near(T.zeros(2, 3, 4):permute(3, 1, 2):shape(), {4, 2, 3}, 0)
  check.eq(tt:is_contiguous(), false, "transposed is not contiguous")
  check.eq(tt:contiguous():is_contiguous(), true, "contiguous()")
  check.errors(function() t:narrow(2, 3, 2) end, "out of bounds")
  check.errors(function() t:select(3, 1) end, "dim 3 out of range")
  check.errors(function() t:view(4, 2) end, "cannot view")
  check.errors(function() T.zeros(2, 3):expand(4, 3) end, "cannot expand")
end

-- copies whose rows are contiguous take a memcpy (or fill) per row: into a narrow of a wider
-- tensor, from a row broadcast over leading dims, from a column broadcast along the row, for
-- every dtype; each element checked against its index formula
function tests.copy_rows_into_views()
  for _, dt in ipairs({ "f32", "i32", "i64" }) do
    local dst = T.zeros({ 2, 3, 6 }, dt)
    dst:narrow(3, 2, 4):copy(T.fromtable({ 1, 2, 3, 4 }, dt))               -- a row over [2,3]
    dst:narrow(3, 6, 1):copy(T.fromtable({ { 7 }, { 8 }, { 9 } }, dt))      -- a column, width 1
    local col = T.zeros({ 2, 3, 5 }, dt)
    col:copy(T.fromtable({ { 10 }, { 20 }, { 30 } }, dt))                   -- along the row
    for i = 1, 2 do
      for j = 1, 3 do
        check.eq(dst:get(i, j, 1), 0, dt .. " untouched column")
        for c = 2, 5 do check.eq(dst:get(i, j, c), c - 1, dt .. " row copy") end
        check.eq(dst:get(i, j, 6), 6 + j, dt .. " column copy")
        for c = 1, 5 do check.eq(col:get(i, j, c), 10 * j, dt .. " broadcast along the row") end
      end
    end
  end
  -- a transposed source is not row-contiguous: the general path, same result
  local src = T.fromtable({ { 1, 2, 3 }, { 4, 5, 6 } }):t()
  local out = T.zeros(3, 2)
  out:copy(src)
  check.all_near(out, { { 1, 4 }, { 2, 5 }, { 3, 6 } }, 0, "transposed source")
end

function tests.copy_fill_cast_clone()
  local a = T.zeros(2, 3)
  a:copy(T.fromtable({1, 2, 3}))
  check.all_near(a:totable(), {{1, 2, 3}, {1, 2, 3}}, 0)
  check.errors(function() a:copy(T.zeros(4)) end, "does not broadcast")
  local c = a:clone()
  c:fill(0)
  check.eq(a:get(1, 1), 1, "clone is independent")
  local i = T.fromtable({1.7, -2.2}):int()
  check.eq(i:dtype(), "i32")
  check.all_near(i:totable(), {1, -2}, 0)
  check.eq(i:float():dtype(), "f32")
  check.eq(i:long():dtype(), "i64")
  check.errors(function() i:fill(0.5) end, "not an integer")
end

function tests.random_is_seeded()
  T.manual_seed(7)
  local a = T.randn(1000)
  T.manual_seed(7)
  local b = T.randn(1000)
  check.all_near(a:totable(), b:totable(), 0)
  local u = T.uniform({500}, -2, -1)
  for _, v in ipairs(u:totable()) do check.truthy(v >= -2 and v < -1, "uniform range") end
  local r = T.rand(3, 4)
  check.all_near(r:shape(), {3, 4}, 0)
end

function tests.argument_errors_not_crashes()
  check.errors(function() T.zeros(true) end, "expected a shape")
  check.errors(function() T.zeros({2}, 5) end, "dtype must be a string")
  check.errors(function() T.zeros(-1) end, "negative size -1")
  check.errors(function() T.zeros({2}, "f16") end, "unknown dtype")
  check.errors(function() T.zeros(2).shape(nil) end, "expected tensor, got nil")
  check.errors(function() T.zeros(2).get({}, 1) end, "expected tensor, got table")
  local t = T.zeros(2)
  t:free()
  t:free() -- twice is safe
  check.errors(function() t:get(1) end, "freed tensor")
  check.eq(tostring(t), "tide.Tensor (freed)")
end

function tests.tostring_shows_shape_and_values()
  local s = tostring(T.fromtable({{1, 2}, {3, 4}}))
  check.truthy(s:find("[tide.Tensor f32 [2,2]]", 1, true), "footer: " .. s)
  check.truthy(s:find("4.0000", 1, true), "values")
  local big = tostring(T.zeros(100))
  check.truthy(big:find("...", 1, true), "elided")
end

-- Issue 13 item 7: a zero dimension hid the overflow of the other sizes' product (UBSan:
-- signed overflow in the strides); every size computation now checks it.
function tests.huge_shapes_are_errors()
  check.errors(function() T.zeros({ 0, 2 ^ 40, 2 ^ 40 }) end, "too large")
  check.errors(function() T.ones({ 2 ^ 40, 2 ^ 40, 0 }) end, "too large")
  local e = T.zeros({ 0, 2 ^ 40, 4 })
  check.eq(e:numel(), 0)
  check.errors(function() e:view({ 2 ^ 40, 2 ^ 40, 0 }) end, "too large")
  check.errors(function() T.zeros({ 1 }):expand({ 2 ^ 40, 2 ^ 40 }) end, "too large")
end

return tests
