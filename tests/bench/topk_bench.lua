-- topk_bench.lua — helper of bench_tensor.sh: full-ranking top-k from Lua, [rows, items]
-- scores (randn), per call over all rows. Prints "lua_topk <rows> <items> <k> <seconds>".
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local now = require("tide").core.io.wall
local function time_best(f)
  f()
  local best = math.huge
  for _ = 1, 5 do
    local reps, t0, t = 0, now(), 0
    repeat f(); reps = reps + 1; t = now() - t0 until t >= 0.2
    best = math.min(best, t / reps)
  end
  return best
end

local T = require("tide").tensor
T.manual_seed(7)
local rows, items = 1000, 24000
local x = T.randn(rows, items)
for _, k in ipairs({10, 100, 1000}) do
  print(("lua_topk %d %d %d %.6e"):format(rows, items, k, time_best(function() local v, i = x:topk(k) end)))
end
