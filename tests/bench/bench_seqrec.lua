-- bench_seqrec.lua — one Tide SASRec run with the peer's settings (tests/bench/bench_seqrec.sh
-- runs it next to ../shared/peer/sasrec_torch.py; BCE with one negative as the peer, not the
-- sampled-softmax default): per-epoch seconds, peak RSS while training, full-ranking and
-- sampled (100 negatives) evaluation time over all users, test metrics.
--   luajit tests/bench/bench_seqrec.lua DATA EPOCHS MAXLEN DROPOUT
-- Prints "RESULT key value" lines and the metric lines.
local tide = require "tide"
local wall = tide.core.io.wall
local path, epochs = arg[1], tonumber(arg[2] or 3)
local maxlen, dropout = tonumber(arg[3] or 50), tonumber(arg[4] or 0.5)
local ev = tide.data.read_events(path, "sasrec")
local sp = tide.split.split(ev, { by = "leave_last", n_valid = 1, min_len = 4 })
local m = tide.models.sasrec{ dim = 50, blocks = 2, heads = 1, maxlen = maxlen, dropout = dropout,
  epochs = epochs, batch = 128, lr = 1e-3, beta2 = 0.98, clip = 0, loss = "bce", n_items = ev.n_items }
m:fit(sp.train, { progress = false })
local secs = {}
local log = m.history
-- per-epoch times are in the log entries of tide.train; recompute the median from them
for _, s in ipairs(log.epoch_seconds or {}) do secs[#secs + 1] = s end
table.sort(secs)
local med = #secs > 0 and secs[math.floor((#secs + 1) / 2)] or log.seconds / epochs
print(("RESULT epoch_s %.3f"):format(med))
print(("RESULT train_rss_mib %.1f"):format(log.peak_rss_mib or 0))
m:set_history({ sp.train, sp.valid })
for _, proto in ipairs({ "full", "sampled" }) do
  local t0 = wall()
  local r = tide.metrics.evaluate(m, sp, { k = { 10 }, protocol = proto, block = 512 })
  print(("RESULT eval_%s_s %.3f"):format(proto, wall() - t0))
  print(tostring(r))
end
