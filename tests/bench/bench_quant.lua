-- bench_quant.lua — int8 and pruned scoring tables: quality, speed, memory against f32.
-- (1) Ranking: item2vec embeddings (skip-gram negative sampling over each user's item
--     sequence, core.sgns, dim 64) on the SASRec Amazon "Beauty" set, leave-last-out; a user
--     is the recency-weighted sum (1, 1/2, 1/4, ...) of their last 5 training items' rows; full-ranking NDCG@10 / HR@10 with seen
--     items excluded, over the first EVAL_USERS users. Each variant scores with its own table
--     (user vectors from its own rows). Speed: scores of a 512-user block and of one user.
-- (2) Classification: a 2-layer MLP (32-128-4) trained on a fixed synthetic 4-class problem;
--     test accuracy with its Linear layers quantised / pruned (tide.quant.linear).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local T, Q = tide.tensor, tide.quant
-- process CPU time: the work done, whatever else shares the machine (run with one BLAS thread)
local now = tide.core.io.cpu
local path = arg[1] or "../shared/data/seqrec-amazon/Beauty.txt"
local EVAL_USERS = tonumber(arg[2] or 6000)
local DIM = 64

local VARIANTS = {
  { "f32", { method = "f32" } }, { "int8", { method = "int8" } },
  { "prune50", { method = "prune", frac = 0.5 } }, { "prune80", { method = "prune", frac = 0.8 } },
  { "prune90", { method = "prune", frac = 0.9 } }, { "prune50+int8", { method = "prune+int8", frac = 0.5 } },
}

local function best_of(n, f)
  local best = math.huge
  for _ = 1, n do local t0 = now(); f(); best = math.min(best, now() - t0) end
  return best
end

-- (1) ranking ---------------------------------------------------------------------------------
local ev = tide.data.read_events(path, "seqrec")
local split = tide.data.split(ev, { by = "leave_last", n_valid = 0 })
local tr = split.train
local s = require("tide.decay.seq").of(tr)
local ids = (s.item - 1):cast("i32")
local t0 = now()
local E = tide.core.sgns.train(ids, s.off, ev.n_items, { dim = DIM, window = 3, neg = 5, epochs = 10, lr = 0.05, sample = 0, seed = 1 })
print(("ranking: %s, %d users x %d items, item2vec dim %d trained in %.1f s; NDCG over %d users")
  :format(path:match("[^/]+$"), ev.n_users, ev.n_items, DIM, now() - t0, math.min(EVAL_USERS, ev.n_users)))

-- per user: indices of the last 5 training items (for the user vector)
local off, items = s.off:totable(), s.item:totable()
local hist_off, hist = { 0 }, {}
for u = 1, ev.n_users do
  local a, b = off[u], off[u + 1]
  for p = math.max(a + 1, b - 4), b do hist[#hist + 1] = items[p] end
  hist_off[u + 1] = #hist
end

local Model = {}
Model.__index = Model
function Model:score(users)
  local us = users:totable()
  local rows = {}
  for i, u in ipairs(us) do
    local v = {}
    for d = 1, DIM do v[d] = 0 end
    local w = 1 -- the newest item counts most: weights 1, 1/2, 1/4, ... going back
    for p = hist_off[u + 1], hist_off[u] + 1, -1 do
      local r = self.rows[hist[p]]
      for d = 1, DIM do v[d] = v[d] + w * r[d] end
      w = w / 2
    end
    rows[i] = v
  end
  return self.t:scores(T.fromtable(rows))
end

print(("%-13s %8s %8s %9s %9s %11s %11s"):format("table", "NDCG@10", "HR@10", "MB", "mem x", "512u ms", "1u us"))
local base
for _, v in ipairs(VARIANTS) do
  local t = Q.table(E, v[2])
  -- the rows this variant's table really holds (dequantised / pruned), for the user vectors
  local W = v[2].method == "f32" and E or v[2].method == "int8" and t.q:dequant()
         or v[2].method == "prune+int8" and t.q:dequant() or (Q.prune(E, v[2].frac))
  local m = setmetatable({ t = t, rows = W:totable(), n_users = ev.n_users, n_items = ev.n_items, train_ev = tr }, Model)
  local r = tide.metrics.evaluate(m, split, { k = { 10 }, users = { 1, EVAL_USERS }, block = 512 })
  local X = T.randn(512, DIM)
  local x1 = T.randn(1, DIM)
  local tb = best_of(3, function() t:scores(X) end)
  local t1 = best_of(5, function() for _ = 1, 50 do t:scores(x1) end end) / 50
  base = base or { bytes = t:bytes(), ndcg = r["NDCG@10"] }
  print(("%-13s %8.4f %8.4f %9.2f %9.2f %11.2f %11.1f"):format(v[1], r["NDCG@10"], r["HR@10"], t:bytes() / 2 ^ 20,
    base.bytes / t:bytes(), tb * 1e3, t1 * 1e6))
end

-- (2) classification --------------------------------------------------------------------------
T.manual_seed(7)
local C, D, N = 4, 32, 6000
local centers = T.randn(C * 3, D) * 1.2 -- three blobs per class: not linearly separable
local function draw(n)
  local lab = T.randint and nil
  local xs, ys = {}, {}
  local cen = centers:totable()
  local noise = T.randn(n, D):totable()
  for i = 1, n do
    local blob = (i * 7919) % (C * 3) + 1
    local row = {}
    for d = 1, D do row[d] = cen[blob][d] + noise[i][d] end
    xs[i], ys[i] = row, (blob - 1) % C + 1
  end
  return T.fromtable(xs), T.fromtable(ys, "i32"), ys
end
local Xtr, Ytr = draw(N)
local Xte, _, yte = draw(2000)
local mlp = tide.nn.MLP{ sizes = { D, 128, C } }
local batches = {}
for i = 1, N, 200 do batches[#batches + 1] = { Xtr:narrow(1, i, 200), Ytr:narrow(1, i, 200) } end
tide.train(mlp, batches, { epochs = 15, lr = 3e-3, loss = function(m, b) return tide.core.nn.cross_entropy(m(b[1]), b[2]) end })
local layers = mlp.net:children()
local l1, l2 = layers[1], layers[3]
local function accuracy(f)
  local out = f(Xte):totable()
  local hit = 0
  for i, row in ipairs(out) do
    local arg, best = 1, row[1]
    for c = 2, C do if row[c] > best then arg, best = c, row[c] end end
    if arg == yte[i] then hit = hit + 1 end
  end
  return hit / #out
end
print(("classification: MLP %d-128-%d on a 12-blob synthetic problem, %d test points"):format(D, C, 2000))
print(("%-13s %9s %9s %9s"):format("layers", "accuracy", "KB", "mem x"))
local b0
for _, v in ipairs(VARIANTS) do
  local q1, q2 = Q.linear(l1, v[2]), Q.linear(l2, v[2])
  local acc = accuracy(function(x) return q2:forward(q1:forward(x):relu()) end)
  local bytes = q1:bytes() + q2:bytes()
  b0 = b0 or bytes
  print(("%-13s %9.4f %9.1f %9.2f"):format(v[1], acc, bytes / 1024, b0 / bytes))
end
