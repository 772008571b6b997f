-- bench_matmul.lua — the Lua half of the tensor benchmark (driven by bench_tensor.sh).
-- Times, in one process and interleaved batch by batch (so load from other processes hits
-- all three alike): raw cblas_sgemm called through the FFI into a reused buffer, Tide's
-- a:matmul(b) (allocates its result) and a:matmul(b, out) (reused output); then a + b and
-- a:exp() on 16M floats. Wall clock; per variant the best of 7 batches of >= 0.1 s.
-- Prints "lua_mm <n> <k> <m> <raw s> <alloc s> <out s>" and "lua_bw <name> <bytes> <s>".
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local ffi = require "ffi"
ffi.cdef [[
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);
]]
local blas = ffi.load("openblas")
local now = require("tide").core.io.wall -- CLOCK_MONOTONIC

local function batch(f)
  local reps, t0, t = 0, now(), 0
  repeat f(); reps = reps + 1; t = now() - t0 until t >= 0.1
  return t / reps
end

-- best per-call time of each function, batches interleaved
local function time_interleaved(fs)
  local best = {}
  for i, f in ipairs(fs) do f(); best[i] = math.huge end
  for _ = 1, 7 do
    for i, f in ipairs(fs) do best[i] = math.min(best[i], batch(f)) end
  end
  return best
end

local T = require("tide").tensor
T.manual_seed(1)
for _, s in ipairs({{128, 128, 128}, {512, 512, 512}, {1024, 1024, 1024}, {4096, 64, 4096}}) do
  local n, k, m = s[1], s[2], s[3]
  local a, b, out = T.rand(n, k), T.rand(k, m), T.zeros(n, m)
  local ra, rb, rc = ffi.new("float[?]", n * k), ffi.new("float[?]", k * m), ffi.new("float[?]", n * m)
  for i = 0, n * k - 1 do ra[i] = (i % 1013) / 1013 end
  for i = 0, k * m - 1 do rb[i] = (i % 997) / 997 end
  local t = time_interleaved({
    function() blas.cblas_sgemm(101, 111, 111, n, m, k, 1, ra, k, rb, m, 0, rc, m) end,
    function() local c = a:matmul(b) end,
    function() a:matmul(b, out) end,
  })
  print(("lua_mm %d %d %d %.6e %.6e %.6e"):format(n, k, m, t[1], t[2], t[3]))
end
local n = 2 ^ 24
local a, b = T.full({n}, 0.5), T.full({n}, 0.25)
local t = time_interleaved({ function() local c = a + b end, function() local c = a:exp() end })
print(("lua_bw add_alloc %d %.6e"):format(3 * 4 * n, t[1]))
print(("lua_bw exp_alloc %d %.6e"):format(2 * 4 * n, t[2]))
