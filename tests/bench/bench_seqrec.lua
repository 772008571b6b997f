-- bench_seqrec.lua — one Tide SASRec run with the peer's settings (tests/bench/bench_seqrec.sh
-- runs it next to ../shared/peer/sasrec_torch.py; BCE with one negative as the peer, not the
-- sampled-softmax default): per-epoch seconds, peak RSS while training, full-ranking and
-- sampled (100 negatives) evaluation time over all users (best of 3, with CPU seconds), test
-- metrics. Tide trains with its default length-bucketed batches (bucket = 1: each batch only as
-- wide as its longest history); the peer pads every batch to maxlen, so a second run with
-- bucket = 0 (padded random batches, the peer's regime) reports epoch_padded_s as well.
--   luajit tests/bench/bench_seqrec.lua DATA EPOCHS MAXLEN DROPOUT
-- Prints "RESULT key value" lines and the metric lines.
local tide = require "tide"
local wall = tide.core.io.wall
local path, epochs = arg[1], tonumber(arg[2] or 3)
local maxlen, dropout = tonumber(arg[3] or 50), tonumber(arg[4] or 0.5)
local ev = tide.data.read_events(path, "sasrec")
local sp = tide.split.split(ev, { by = "leave_last", n_valid = 1, min_len = 4 })
local function train(bucket)
  local m = tide.models.sasrec{ dim = 50, blocks = 2, heads = 1, maxlen = maxlen, dropout = dropout,
    epochs = epochs, batch = 128, lr = 1e-3, beta2 = 0.98, clip = 0, loss = "bce", n_items = ev.n_items,
    bucket = bucket }
  m:fit(sp.train, { progress = false })
  -- the median of the per-epoch times tide.train logs
  local log, secs = m.history, {}
  for _, s in ipairs(log.epoch_seconds or {}) do secs[#secs + 1] = s end
  table.sort(secs)
  return m, #secs > 0 and secs[math.floor((#secs + 1) / 2)] or log.seconds / epochs
end
local m, med = train(1)
print(("RESULT epoch_s %.3f"):format(med))
print(("RESULT train_rss_mib %.1f"):format(m.history.peak_rss_mib or 0))
m:set_history({ sp.train, sp.valid })
-- evaluation: the best of 3 runs (other processes may share the machine), with its CPU time
-- (all threads) and the main thread's (LuaJIT's FFI clock_gettime, CLOCK_THREAD_CPUTIME_ID):
-- full ranking computes the states on the main thread while the fused kernel ranks those
-- handed over so far on background threads (core.seqrec.rank_topk_async + ready), so on an
-- otherwise idle machine with C cores it takes about max(cpu / C, main-thread cpu)
local ffi = require "ffi"
pcall(ffi.cdef, "typedef struct { long s, ns; } bench_ts; int clock_gettime(int, bench_ts *);")
local ts = ffi.new("bench_ts")
local function thread_cpu() ffi.C.clock_gettime(3, ts); return tonumber(ts.s) + tonumber(ts.ns) * 1e-9 end
local cores = tonumber(io.popen("nproc"):read("*l") or "2") or 2
for _, proto in ipairs({ "full", "sampled" }) do
  local best, cpu, main, r = math.huge, math.huge, math.huge, nil
  for _ = 1, 3 do
    local t0, c0, m0 = wall(), os.clock(), thread_cpu()
    r = tide.metrics.evaluate(m, sp, { k = { 10 }, protocol = proto })
    best, cpu, main = math.min(best, wall() - t0), math.min(cpu, os.clock() - c0), math.min(main, thread_cpu() - m0)
  end
  print(("RESULT eval_%s_s %.3f"):format(proto, best))
  print(("RESULT eval_%s_cpu_s %.3f"):format(proto, cpu))
  print(("RESULT eval_%s_main_cpu_s %.3f"):format(proto, main))
  print(("RESULT eval_%s_idle_estimate_s %.3f"):format(proto, math.max(cpu / cores, main)))
  print(tostring(r))
end
-- last, so the padded model's memory does not count in the peak RSS above
local _, padded = train(0)
print(("RESULT epoch_padded_s %.3f"):format(padded))
