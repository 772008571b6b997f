-- bench_eval.lua — full-ranking evaluation speed on the SASRec "Games"/Video set
-- (../shared/data/seqrec-amazon/Video.txt.gz, 31,013 users x 23,715 items), leave-last-out:
-- each user's last item is the target, all earlier items are excluded as seen.
-- Scores are a cheap deterministic model (popularity + dot products of formula embeddings,
-- one sgemm per block) that tests/bench/peer_eval.py reproduces exactly, so the metric values
-- can be compared as well as the time. Timed separately: scoring, metric (ranks with seen
-- exclusion + HR/NDCG/MRR), top-10 lists.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local now = tide.core.io.wall
-- process CPU time (all threads): the work done, whatever else shares the machine
local cpu = tide.core.io.cpu
local T = tide.tensor
local path = arg[1] or "../shared/data/seqrec-amazon/Video.txt.gz"
local D = 32

local t0 = now()
local f = io.popen("gzip -dc " .. path)
local users, items = {}, {}
local n, U, I = 0, 0, 0
for line in f:lines() do
  local u, i = line:match("^(%d+)%s+(%d+)")
  if u then
    n = n + 1; u, i = tonumber(u), tonumber(i)
    users[n], items[n] = u, i
    if u > U then U = u end
    if i > I then I = i end
  end
end
f:close()
-- leave-last: the last line of each user is the target (lines are per user, in order)
local last = {}
for e = 1, n do last[users[e]] = e end
local su, si, tu, ti = {}, {}, {}, {}
local pop = {}
for i = 1, I do pop[i] = 0 end
for e = 1, n do
  if last[users[e]] == e then tu[#tu + 1], ti[#ti + 1] = users[e], items[e]
  else su[#su + 1], si[#si + 1] = users[e], items[e]; pop[items[e]] = pop[items[e]] + 1 end
end
local core = tide.core
local soff, sperm = core.decay.group(T.fromtable(su, "i32"), nil, U)
local sitem = T.fromtable(si, "i32"):index_select(1, sperm)
local toff, tperm = core.decay.group(T.fromtable(tu, "i32"), nil, U)
local titem = T.fromtable(ti, "i32"):index_select(1, tperm)
-- formula embeddings, identical in the peer: e[x][j] = ((x*131 + j*71) % 101) / 50.5 - 1 (users),
-- ((x*113 + j*37) % 97) / 48.5 - 1 (items); score = <e_u, e_i> / D + 0.05 * log1p(pop_i)
local eu, ei = {}, {}
for u = 1, U do local r = {} for j = 1, D do r[j] = ((u * 131 + j * 71) % 101) / 50.5 - 1 end eu[u] = r end
for i = 1, I do local r = {} for j = 1, D do r[j] = ((i * 113 + j * 37) % 97) / 48.5 - 1 end ei[i] = r end
local EU, EI = T.fromtable(eu) / D, T.fromtable(ei)
local bias = T.fromtable(pop):log1p() * 0.05
local t_load = now() - t0
print(("data: %d interactions, %d users, %d items (load + prep %.2f s)"):format(n, U, I, t_load))

local B = tonumber(os.getenv("BENCH_BLOCK") or 1024)
local t_score, t_metric, t_topk, t_fused = 0, 0, 0, 0
local c_metric, c_topk, c_fused = 0, 0, 0
local sums, used = { hr = 0, ndcg = 0, mrr = 0 }, 0
for u0 = 1, U, B do
  local nb = math.min(B, U - u0 + 1)
  local a = now()
  local S = EU:narrow(1, u0, nb):matmul(EI:t()) + bias
  local b, cb = now(), cpu()
  local so, to = soff:narrow(1, u0, nb + 1), toff:narrow(1, u0, nb + 1)
  local ranks = core.metrics.rank(S, so, sitem, to, titem)
  local part, m = core.metrics.from_ranks(to, ranks, { 10 })
  local c, cc = now(), cpu()
  core.metrics.topk(S, so, sitem, 10)
  local d, cd = now(), cpu()
  -- the same metric AND the top-10 lists in one pass (what tide.metrics.evaluate{beyond} uses)
  local fr = core.metrics.rank_topk(S, so, sitem, to, titem, 10)
  core.metrics.from_ranks(to, fr, { 10 })
  local e, ce = now(), cpu()
  c_metric, c_topk, c_fused = c_metric + (cc - cb), c_topk + (cd - cc), c_fused + (ce - cd)
  t_fused = t_fused + (e - d)
  t_score, t_metric, t_topk = t_score + (b - a), t_metric + (c - b), t_topk + (d - c)
  sums.hr, sums.ndcg, sums.mrr = sums.hr + part[10].hr, sums.ndcg + part[10].ndcg, sums.mrr + part[10].mrr
  used = used + m
end
print(("tide  HR@10=%.5f NDCG@10=%.5f MRR=%.5f users=%d"):format(sums.hr / used, sums.ndcg / used, sums.mrr / used, used))
print(("tide  scoring %.3f s | metric (ranks + seen exclusion + HR/NDCG/MRR) %.3f s | top-10 lists %.3f s"):format(t_score, t_metric, t_topk))
print(("tide  metric + top-10 lists fused in one pass: %.3f s"):format(t_fused))
print(("tide  CPU time (all threads): metric %.3f s, top-10 %.3f s, fused %.3f s; load average now %s"):format(c_metric, c_topk, c_fused,
  (io.open("/proc/loadavg") or { read = function() return "?" end }):read("*l"):match("^%S+") or "?"))
print(("RESULT tide_metric_s=%.4f tide_topk_s=%.4f tide_fused_s=%.4f tide_score_s=%.4f ndcg=%.6f hr=%.6f"):format(t_metric,
  t_topk, t_fused, t_score, sums.ndcg / used, sums.hr / used))

-- the same through the public API with a real baseline (popularity), end to end
local cols = { user = T.fromtable(su, "i32"), item = T.fromtable(si, "i32"), time = T.arange(1, #su + 1, 1, "i64"),
               n_users = U, n_items = I }
local test = { user = T.fromtable(tu, "i32"), item = T.fromtable(ti, "i32"), time = T.full({ #tu }, #su + 1, "i64"),
               n_users = U, n_items = I }
local m = require("tide.models.pop").new{ mode = "all" }:fit(cols)
local e0 = now()
local r = tide.metrics.evaluate(m, { train = cols, test = test }, { k = { 10 }, block = 1024 })
print(("tide.metrics.evaluate(popularity): HR@10=%.4f NDCG@10=%.4f in %.3f s wall (incl. scoring)"):format(r["HR@10"], r["NDCG@10"], now() - e0))
