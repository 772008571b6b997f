-- test_ops_fuzz.lua — random argument lists (nil, numbers incl. NaN/inf, strings, tables,
-- tensors of several shapes/dtypes/layouts, a freed tensor, a function) thrown at every op
-- method under pcall. Passing means no crash; under `make sanitize` also no leak and no UB.
local T = require("tide").tensor

local tests = {}

local names = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le",
  "gt", "ge", "neg", "exp", "log", "log1p", "sqrt", "tanh", "sigmoid", "relu", "gelu", "abs",
  "square", "rsqrt", "sign", "clamp", "where", "sum", "mean", "max", "min", "argmax", "argmin",
  "var", "std", "logsumexp", "prod", "matmul", "gather", "scatter_add", "scatter_add_",
  "index_select", "index_add", "index_add_", "masked_fill", "topk", "sort", "argsort", "cumsum"}

local function pool()
  local freed = T.ones(2)
  freed:free()
  return {false, 0, 1, -1, 2, 3, 1.5, 0 / 0, 1 / 0, -7, 100, "x", "f32", true, {}, {1}, {1, 2},
    {-1}, {0}, {1.5}, {"a"}, {largest = false}, {{1}}, T.zeros(0), T.ones(3), T.ones(2, 3),
    T.ones(3, 2), T.ones(2, 3, "i32"), T.ones(2, 1, "i64"), T.fromtable({1, 2}, "i64"),
    T.fromtable({{2}, {1}}, "i32"), T.fromtable(5), T.ones(2, 3):t(), T.ones(1, 3):expand(4, 3),
    T.ones(2, 0), freed, T.ones(4, 3, 2), function() end, nil}
end

-- a small deterministic LCG, so a failure reproduces
local seed = 12345
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end

function tests.random_arguments_never_crash()
  local M = T.methods
  for iter = 1, 6000 do
    local p = pool()
    local f = M[names[rnd(#names)]]
    local nargs = rnd(5) - 1
    local args = {}
    for i = 1, nargs do args[i] = p[rnd(#p + 1)] end
    pcall(f, unpack(args, 1, nargs))
    if iter % 500 == 0 then collectgarbage() end
  end
  for _, fn in ipairs({"where", "matmul", "cat", "stack"}) do
    if T[fn] then
      for _ = 1, 300 do
        local p = pool()
        pcall(T[fn], p[rnd(#p + 1)], p[rnd(#p + 1)], p[rnd(#p + 1)])
      end
    end
  end
  collectgarbage()
end

return tests
