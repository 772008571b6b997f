-- check_mpi.lua — run under `mpirun -np N luajit tests/mpi/check_mpi.lua <out>` (tests/mpi/run.sh).
-- Every rank checks: collectives against closed forms in rank and N; bad arguments raise Lua
-- errors; data-parallel training equals serial training on the joined batches (Goyal et al.
-- 2017) and leaves every rank with rank 0's starting point's trajectory; sharded evaluation,
-- batch top-K, per-user decay fits and the activation (logistic) fit equal their serial runs
-- in the same process. Rank 0
-- writes the sharded results to <out> so run.sh can also compare np = 1 with np = 2.
local root = arg[0]:match("^(.*)/tests/mpi/") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/tests/lua/?.lua;" .. package.path
package.cpath = root .. "/lua/?.so;" .. package.cpath
local tide = require "tide"
local check = require "check"
local T, mpi = tide.tensor, tide.mpi
local out_path = arg[1] or error("usage: check_mpi.lua <out>")

check.truthy(mpi.available(), "tide.mpi_core loaded")
local rank, N = mpi.init()
check.eq(mpi.rank(), rank, "rank")
check.eq(mpi.size(), N, "size")

-- collectives: closed forms over r = 0..N-1
local t = T.fromtable({ rank + 1, 2 * rank, -rank }, "f32")
mpi.allreduce(t)
check.all_near(t, { N * (N + 1) / 2, N * (N - 1), -N * (N - 1) / 2 }, 0, "allreduce sum")
local m = T.fromtable({ rank, -rank }, "i64")
mpi.allreduce(m, "max")
check.all_near(m, { N - 1, 0 }, 0, "allreduce max i64")
local mi = T.fromtable({ rank + 5 }, "i32")
mpi.allreduce(mi, "min")
check.eq(mi:get(1), 5, "allreduce min i32")
check.all_near(mpi.allreduce_numbers({ 0.5 * rank, 1 }), { 0.25 * N * (N - 1), N }, 1e-15, "allreduce_numbers")
local b = T.fromtable({ rank * 10 + 7, rank }, "f32")
mpi.bcast(b, N - 1)
check.all_near(b, { (N - 1) * 10 + 7, N - 1 }, 0, "bcast from the last rank")
-- uneven gather: rank r sends r + 1 rows [r, r]
local g = mpi.gather(T.full({ rank + 1, 2 }, rank))
check.eq(g:shape()[1], N * (N + 1) / 2, "gather rows")
local row = 1
for r = 0, N - 1 do
  for _ = 1, r + 1 do check.all_near(g:select(1, row), { r, r }, 0, "gather order"); row = row + 1 end
end
-- sharding covers 1..n exactly once, in order
for _, n in ipairs({ 0, 1, 7, 10 }) do
  local expect = 1
  for r = 0, N - 1 do
    local a, z = mpi.shard(n, r, N)
    check.eq(a, expect, "shard start"); expect = z + 1
  end
  check.eq(expect, n + 1, "shard end")
end
-- bad arguments: Lua errors naming the call (raised identically on every rank)
check.errors(function() mpi.allreduce({ 1, 2 }) end, "mpi.allreduce: argument #1 must be a tensor")
check.errors(function() mpi.allreduce(T.zeros({ 2 }), "mean") end, "op must be 'sum', 'max' or 'min'")
check.errors(function() mpi.bcast(T.zeros({ 2 }), N) end, "root")
check.errors(function() mpi.allreduce(T.zeros({ 2, 3 }):t()) end, "contiguous")
if N > 1 then check.errors(function() mpi.gather(T.zeros({ 1, 2 + (rank == 0 and 0 or 1) })) end, "disagree") end
check.errors(function() mpi.shard(-1) end, "n must be an integer")
check.errors(function() mpi.fit_decay({}, { per = "user" }) end, "shrink = false")
mpi.barrier()

-- data-parallel training == serial training on joined batches
local function data(n)
  T.manual_seed(42)
  local X = T.randn(n, 3)
  local Y = X:matmul(T.fromtable({ { 1.5 }, { -2 }, { 0.5 } })) + 0.25 + T.randn(n, 1) * 0.1
  return X, Y
end
local X, Y = data(64)
local bs = 4
local batches = {}
for i = 1, 64, bs do batches[#batches + 1] = { X:narrow(1, i, bs), Y:narrow(1, i, bs) } end
local joined = {}
local steps = math.floor(#batches / N)
for s = 0, steps - 1 do joined[s + 1] = { X:narrow(1, s * N * bs + 1, N * bs), Y:narrow(1, s * N * bs + 1, N * bs) } end
local function mse(model, bb) return (model(bb[1]) - bb[2]):square():mean() end
local topts = { loss = mse, epochs = 3, optimizer = "adam", lr = 0.05, clip = 5 }
T.manual_seed(100)
local ref = tide.nn.Linear(3, 1)
local rhist = tide.train(ref, joined, topts)
T.manual_seed(100 + rank) -- other ranks start elsewhere: the broadcast must fix that
local dp = tide.nn.Linear(3, 1)
local hist = mpi.train(dp, batches, topts)
check.all_near(dp.weight, ref.weight:totable(), 2e-5, "dp weights == serial joined-batch weights")
check.all_near(dp.bias, ref.bias:totable(), 2e-5, "dp bias")
check.near(hist.train[3], rhist.train[3], 1e-5, "averaged loss")
check.eq(hist.mpi.steps, 3 * steps, "one all-reduce per step")
check.eq(hist.mpi.bytes_per_step, 4 * 4, "flat block bytes (3 weights + 1 bias)")
local w = dp.weight:clone():view({ -1 })
local w0 = w:clone()
mpi.bcast(w0, 0)
check.all_near(w, w0:totable(), 0, "every rank holds the same weights")

-- sharded evaluation / batch top-K / decay fits == serial
local dir = os.getenv("TIDE_MPI_TMP") or "/tmp"
local csv = dir .. "/mpi_sim.csv"
if rank == 0 then tide.sim.generate{ users = 60, events = 4000, items = 150, categories = 6, seed = 5, out = csv, truth = false } end
mpi.barrier()
local ev = tide.data.read_events(csv, "sim")
local split = tide.data.split(ev, { by = "time", holdout = "last" })
local model = tide.models.pop{ mode = "decay", half_life = 7 }
model:fit(split.train)
local opts = { k = { 5, 10 }, n_users = ev.n_users, block = 7 }
local serial = tide.metrics.evaluate(model, split, opts)
local sharded = mpi.evaluate(model, split, opts)
check.eq(sharded.users, serial.users, "evaluated users")
for _, key in ipairs({ "NDCG@10", "HR@10", "Recall@5", "MAP@10", "MRR" }) do
  check.near(sharded[key], serial[key], 1e-12, key)
end
local lists = mpi.topk(model, ev.n_users, 10)
local slists = model:topk(T.arange(1, ev.n_users + 1, 1, "i32"), 10)
check.all_near(lists, slists:totable(), 0, "gathered top-K lists in user order")
local dfit = mpi.fit_decay(ev, { per = "user", shrink = false })
local sfit = tide.decay.fit(ev, { per = "user", shrink = false })
check.all_near(dfit.theta, sfit.theta:totable(), 1e-6, "per-user theta")
check.all_near(dfit.status, sfit.status:totable(), 0, "per-user status")
check.near(dfit.total_loglik, sfit.total_loglik, 1e-6 * math.abs(sfit.total_loglik), "total loglik")

-- sharded activation (logistic) fit == serial fit on all rows
T.manual_seed(9)
local Xa = T.randn(400, 3)
local logit = Xa:matmul(T.fromtable({ { 1.2 }, { -0.7 }, { 0.3 } })):view({ 400 }) - 0.4
local ya = (T.rand(400) - logit:sigmoid()):lt(0):cast("f32")
local serial_lr = require("tide.activation.logistic").new{ l2 = 2 }:fit(Xa, ya)
local a, z = mpi.shard(400)
local part_lr = mpi.fit_logistic(Xa:narrow(1, a, z - a + 1), ya:narrow(1, a, z - a + 1), { l2 = 2 })
check.all_near(part_lr.beta, serial_lr.beta, 1e-6, "sharded logistic beta")
check.all_near(part_lr.cov, serial_lr.cov, 1e-6, "sharded logistic covariance")
check.all_near(part_lr:predict(Xa), serial_lr:predict(Xa):totable(), 1e-5, "sharded logistic predictions")
check.truthy(part_lr.converged, "converged")
check.errors(function() mpi.fit_logistic(Xa, ya, { l1 = 1 }) end, "unknown option 'l1'")

if rank == 0 then
  local f = assert(io.open(out_path, "w"))
  f:write(("NDCG@10 %.15g\nHR@10 %.15g\nMRR %.15g\nusers %d\n"):format(sharded["NDCG@10"], sharded["HR@10"], sharded.MRR, sharded.users))
  local tl = lists:view({ -1 }):totable()
  local h = 0
  for i = 1, #tl do h = (h * 31 + tl[i]) % 1000000007 end
  f:write(("topk_hash %d\ntheta_sum %.9g\nloglik %.9g\n"):format(h, dfit.theta:sum():item(), dfit.total_loglik))
  f:write(("logistic_b1 %.12g\nlogistic_b2 %.12g\n"):format(part_lr.beta[1], part_lr.beta[2]))
  f:close()
end
print(("rank %d/%d: tide.mpi checks passed"):format(rank, N))
