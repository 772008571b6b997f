-- bench_matmul.lua — the Lua half of the tensor benchmark (driven by bench_tensor.sh): Tide
-- matmul called from Lua, allocating its result (a:matmul(b)) and into a reused output
-- (a:matmul(b, out)); elementwise a + b and a:exp() from Lua.
-- Prints "lua_mm <n> <k> <m> <alloc s> <out s>" and "lua_bw <name> <bytes> <s>".
-- Same timing rule as bench_matmul.c: warm-up, best of 5 batches of >= 0.1 s (wall clock).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local ffi = require "ffi"
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } tide_timespec;
int clock_gettime(int clk, tide_timespec *ts);
]]
local ts = ffi.new("tide_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + 1e-9 * tonumber(ts.tv_nsec)
end

local function time_best(f)
  f()
  local best = math.huge
  for _ = 1, 5 do
    local reps, t0, t = 0, now(), 0
    repeat f(); reps = reps + 1; t = now() - t0 until t >= 0.1
    best = math.min(best, t / reps)
  end
  return best
end

local T = require("tide").tensor
T.manual_seed(1)
for _, s in ipairs({{128, 128, 128}, {512, 512, 512}, {1024, 1024, 1024}, {4096, 64, 4096}}) do
  local n, k, m = s[1], s[2], s[3]
  local a, b, out = T.rand(n, k), T.rand(k, m), T.zeros(n, m)
  local ta = time_best(function() local c = a:matmul(b) end)
  local to = time_best(function() a:matmul(b, out) end)
  print(("lua_mm %d %d %d %.6e %.6e"):format(n, k, m, ta, to))
end
local n = 2 ^ 24
local a, b = T.full({n}, 0.5), T.full({n}, 0.25)
print(("lua_bw add_alloc %d %.6e"):format(3 * 4 * n, time_best(function() local c = a + b end)))
print(("lua_bw exp_alloc %d %.6e"):format(2 * 4 * n, time_best(function() local c = a:exp() end)))
