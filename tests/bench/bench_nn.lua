-- bench_nn.lua — forward+backward time of (a) two pre-norm TransformerBlocks (dim 64, 2 heads,
-- FFN 256, GELU, dropout 0.1, causal, seq 200, batch 128) and (b) one GRU layer (in 64,
-- hidden 64, seq 200, batch 128) and (c) the same as an LSTM layer, the shapes of
-- bench_nn_torch.py. Prints one line per model:
--   RESULT <name> <best wall ms> <peak RSS MB> <best CPU ms>
-- Usage: luajit tests/bench/bench_nn.lua [reps] [which]   (which: all | transformer | gru | lstm)
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local T, nn = tide.tensor, tide.nn

local reps, which = tonumber(arg[1]) or 5, arg[2] or "all"
local B, L, D, H = 128, 200, 64, 2

local function now()
  local ffi = require "ffi"
  pcall(ffi.cdef, "typedef struct { long tv_sec; long tv_nsec; } tide_ts; int clock_gettime(int, tide_ts *);")
  local ts = ffi.new("tide_ts")
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local function peak_rss_mb()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("*a")
  f:close()
  return (tonumber(s:match("VmHWM:%s*(%d+)")) or 0) / 1024
end

-- best wall and best CPU (os.clock: process CPU time, all threads) over reps, in ms
local function best_of(step)
  step() -- warm-up (first-touch allocation, BLAS buffers)
  local best, best_cpu = math.huge, math.huge
  for _ = 1, reps do
    local t0, c0 = now(), os.clock()
    step()
    best = math.min(best, now() - t0)
    best_cpu = math.min(best_cpu, os.clock() - c0)
    collectgarbage()
  end
  return best * 1000, best_cpu * 1000
end

local function params_of(mods)
  local ps = {}
  for _, m in ipairs(mods) do for _, p in ipairs(m:parameters()) do ps[#ps + 1] = p end end
  return ps
end

T.manual_seed(1)
if which == "all" or which == "transformer" then
  local blocks = { nn.TransformerBlock(D, H, { ffn = 4 * D, dropout = 0.1, causal = true }),
                   nn.TransformerBlock(D, H, { ffn = 4 * D, dropout = 0.1, causal = true }) }
  local x = T.randn(B, L, D)
  local ps = params_of(blocks)
  local ms, cpu = best_of(function()
    for _, p in ipairs(ps) do p:zero_grad() end
    local y = x
    for _, b in ipairs(blocks) do y = b(y) end
    y:sum():backward()
  end)
  print(("RESULT transformer %.1f %.0f %.1f"):format(ms, peak_rss_mb(), cpu))
end
if which == "all" or which == "gru" then
  local gru = nn.GRU(D, D)
  local x = T.randn(B, L, D)
  local ms, cpu = best_of(function()
    gru:zero_grad()
    local out = gru(x)
    out:sum():backward()
  end)
  print(("RESULT gru %.1f %.0f %.1f"):format(ms, peak_rss_mb(), cpu))
end
if which == "all" or which == "lstm" then
  local lstm = nn.LSTM(D, D)
  local x = T.randn(B, L, D)
  local ms, cpu = best_of(function()
    lstm:zero_grad()
    local out = lstm(x)
    out:sum():backward()
  end)
  print(("RESULT lstm %.1f %.0f %.1f"):format(ms, peak_rss_mb(), cpu))
end
