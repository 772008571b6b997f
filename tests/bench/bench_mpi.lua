-- bench_mpi.lua <dir> — one rank of the scale-out benchmark (run by bench_mpi.sh under
-- `mpirun -np N`). Each rank loads its shard of the prepared dataset and runs three phases,
-- timed between barriers (wall clock, so the slowest rank counts):
--   fit:   per-user exponential decay fits of its users (shrink = false), theta gathered
--   eval:  decayed popularity from all-reduced item sums, then full-ranking NDCG@10 / HR@10
--          of its users (leave-last-out), metric sums all-reduced
--   train: data-parallel MLP (in 2+C -> 256 -> 256 -> 1, BCE) for STEPS steps at a fixed
--          GLOBAL batch (strong scaling), gradients all-reduced as one flat block per step
-- Rank 0 prints RESULT lines. With N > 1 it also times all-reduces of 1 KB..16 MB to fit the
-- ring all-reduce model t(n) = 2(N−1)·α + 2(N−1)/N · n·β (Thakur, Rabenseifner and Gropp
-- 2005), which bench_mpi.sh uses to project the training phase's efficiency to 8–64 ranks.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local T, mpi = tide.tensor, tide.mpi
local dir = arg[1]
local STEPS, GLOBAL_BATCH = tonumber(os.getenv("MPI_BENCH_STEPS") or 20), 8192
local rank, N = mpi.init()
local debug = os.getenv("MPI_BENCH_DEBUG")
-- CPU seconds of each phase, the largest over ranks: on a machine whose cores other jobs
-- also use, wall time cannot show a speed-up, but the work per rank still can
local cpu = {}
local function timed(f)
  if debug then io.stderr:write(("rank %d: phase start %s\n"):format(rank, debug)) end
  mpi.barrier()
  local t0, c0 = mpi.wtime(), tide.core.io.cpu()
  local r = f()
  local c = tide.core.io.cpu() - c0
  if debug then io.stderr:write(("rank %d: phase end\n"):format(rank)) end
  mpi.barrier()
  cpu[#cpu + 1] = mpi.allreduce_numbers({ c }, "max")[1]
  return mpi.wtime() - t0, r
end

local t_load, ev = timed(function() return tide.data.load(("%s/shard_%d_of_%d.tev"):format(dir, rank + 1, N)) end)
local first, last, t_end = ev.meta.first, ev.meta.last, ev.meta.t_end

-- fit -------------------------------------------------------------------------------------
local t_fit, theta = timed(function()
  local fit = tide.decay.fit(ev, { per = "user", shrink = false, family = "exponential", t_end = t_end, se = false })
  return mpi.gather(fit.theta:narrow(1, first, last - first + 1))
end)

-- eval ------------------------------------------------------------------------------------
local t_eval, res = timed(function()
  local split = tide.data.split(ev, { by = "leave_last", n_valid = 0 })
  local pop = tide.models.pop{ mode = "decay", half_life = 14 }
  pop:fit(split.train)
  -- decayed item sums are additive over users: one all-reduce makes every rank's vector global
  -- (pop.t_ref is this shard's last event: rescale to the global end first)
  local shift = 2 ^ (-(t_end - pop.t_ref) / (14 * 86400))
  pop.pop = pop.pop * shift
  mpi.allreduce(pop.pop)
  pop.t_ref = t_end
  local r = tide.metrics.evaluate(pop, split, { k = { 10 }, users = { first, last } })
  local s = mpi.allreduce_numbers({ r.users, r["NDCG@10"] * r.users, r["HR@10"] * r.users })
  return { users = s[1], ndcg = s[2] / s[1], hr = s[3] / s[1] }
end)

-- train -----------------------------------------------------------------------------------
local C = ev.n_categories
local local_batch = GLOBAL_BATCH / N
local eye = T.eye(C)
local function features(a, n)
  local price = (ev.price:narrow(1, a, n) + 1):log():view({ n, 1 })
  local dwell = (ev.dwell:narrow(1, a, n) + 1):log():view({ n, 1 })
  local cat = eye:index_select(1, ev.category:narrow(1, a, n))
  local y = ev.event:narrow(1, a, n):ge(3):cast("f32"):view({ n, 1 }) -- cart, fav or buy
  return { T.cat({ price, dwell, cat }, 2), y }
end
local batches = {}
for s = 1, STEPS do batches[s] = features(((s - 1) * local_batch) % (ev.n - local_batch) + 1, local_batch) end
T.manual_seed(11)
local model = tide.nn.MLP{ sizes = { 2 + C, 256, 256, 1 } }
local t_train, hist = timed(function()
  return mpi.train(model, batches, { sharded = true, epochs = 1, lr = 1e-3,
    loss = function(m, b) return tide.core.nn.bce_with_logits(m(b[1]), b[2]) end })
end)
local st = hist.mpi
local ar_step = mpi.allreduce_numbers({ st.allreduce_seconds / st.steps }, "max")[1]
local n_events = mpi.allreduce_numbers({ ev.n })[1] -- collectives run on every rank, never inside `if rank == 0`

if rank == 0 then
  print(("RESULT np=%d events=%d load_cpu=%.3f fit_cpu=%.3f eval_cpu=%.3f train_cpu=%.3f load_s=%.3f fit_s=%.3f eval_s=%.3f train_s=%.3f train_step_s=%.5f allreduce_step_s=%.6f bytes_per_step=%d ndcg=%.6f hr=%.6f theta_sum=%.6g users=%d loss=%.6f")
    :format(N, n_events, cpu[1], cpu[2], cpu[3], cpu[4], t_load, t_fit, t_eval, t_train, t_train / STEPS, ar_step,
      st.bytes_per_step, res.ndcg, res.hr, theta:sum():item(), res.users, hist.train[1]))
end

-- communication model (N > 1) ---------------------------------------------------------------
if N > 1 then
  local xs, ys = {}, {}
  for p = 10, 24, 2 do
    local n = 2 ^ p / 4
    local buf = T.ones({ n })
    if debug then io.stderr:write(("rank %d: allreduce %d bytes\n"):format(rank, 2 ^ p)) end
    local best = math.huge
    for _ = 1, 10 do
      mpi.barrier()
      local t0 = mpi.wtime()
      mpi.allreduce(buf)
      best = math.min(best, mpi.wtime() - t0)
    end
    best = mpi.allreduce_numbers({ best }, "max")[1]
    xs[#xs + 1], ys[#ys + 1] = 2 ^ p, best
    if rank == 0 then print(("RESULT_AR bytes=%d seconds=%.6f"):format(2 ^ p, best)) end
  end
  -- ring at N ranks: t(n) = 2(N−1)α + 2(N−1)/N · n·β. α from the small messages (latency
  -- bound; the fastest of them, as a preempted rank only adds time); β by least squares
  -- through the origin on the rest, latency removed
  local lat = 2 * (N - 1)
  local alpha = math.min(ys[1], ys[2], ys[3]) / lat
  local sxy, sxx = 0, 0
  for i = 2, #xs do
    local x = lat / N * xs[i]
    sxy, sxx = sxy + x * (ys[i] - lat * alpha), sxx + x * x
  end
  local beta = sxy / sxx
  if rank == 0 then print(("RESULT_MODEL alpha_s=%.3e beta_s_per_byte=%.3e"):format(alpha, beta)) end
end
