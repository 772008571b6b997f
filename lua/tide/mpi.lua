-- tide.mpi — MPI from Lua (Debian's OpenMPI): rank, size, all-reduce / broadcast / gather of
-- tensors, barrier, and contiguous sharding. The native half is lua/tide/mpi_core.so, built by
-- `make mpi` only where mpicc exists; tide.mpi.available() says whether it loaded.
--
--   local mpi = tide.mpi; mpi.init()                     -- under `mpirun -np N luajit x.lua`
--   local first, last = mpi.shard(n_users)              -- this rank's block of 1..n
--   mpi.allreduce(t) ; mpi.bcast(t, 0) ; local all = mpi.gather(part)   -- rows in rank order
--   mpi.train(model, batches, opts)     data-parallel tide.train     (tide.mpi.train)
--   mpi.evaluate(model, split, opts)    sharded full-ranking metrics (tide.mpi.jobs)
--   mpi.topk(model, n_users, k)         sharded batch scoring, lists gathered in user order
--   mpi.fit_decay(ev, opts)             per-user decay fits sharded by user
--   mpi.fit_logistic(X, y, opts)        activation model on rows sharded over ranks
-- A script run without mpirun is a singleton of size 1, so every call also works serially.
local M = {}

local ok, core = pcall(require, "tide.mpi_core")
if not ok then core = nil end

--- available() -> bool: the MPI binding was built (make mpi) and loaded.
function M.available() return core ~= nil end

local function C(fn)
  if not core then error("mpi." .. fn .. ": tide.mpi is not built (run `make mpi`; needs mpicc from openmpi)", 3) end
  if fn ~= "init" and not core.initialized() then core.init() end
  return core
end

--- init() -> rank, size (0-based rank). Idempotent; other calls initialise on first use.
function M.init() return C("init").init() end
--- rank() -> 0-based rank; size() -> number of ranks.
function M.rank() return C("rank").rank() end
function M.size() return C("size").size() end
--- wtime() -> seconds (MPI_Wtime); barrier() waits for every rank.
function M.wtime() return C("wtime").wtime() end
function M.barrier() return C("barrier").barrier() end
--- finalize(): ends MPI (also done automatically when the Lua state closes).
function M.finalize() if core then core.finalize() end end

--- allreduce(t [, op = "sum"|"max"|"min"]) -> t, reduced in place on every rank (contiguous t).
function M.allreduce(t, op) return C("allreduce").allreduce(t, op) end
--- allreduce_numbers({x, ...} [, op]) -> {reduced x, ...} (doubles).
function M.allreduce_numbers(v, op) return C("allreduce_numbers").allreduce_numbers(v, op) end
--- bcast(t [, root = 0]) -> t, overwritten in place with root's values.
function M.bcast(t, root) return C("bcast").bcast(t, root) end

--- allreduce_grads(params [, scale = 1]) -> bytes: the gradients of the parameter list packed
--- into one flat f32 block, summed over ranks, times scale (a missing gradient counts as 0).
function M.allreduce_grads(params, scale) return C("allreduce_grads").allreduce_grads(params, scale) end
--- bcast_params(params [, root = 0]) -> bytes: root's parameter values, as one flat block.
function M.bcast_params(params, root) return C("bcast_params").bcast_params(params, root) end

--- gather(t) -> every rank's t concatenated along dim 1 in rank order (on every rank). The
--- ranks' tensors must agree on dtype and on every dim but the first.
function M.gather(t)
  local c = C("gather")
  local T = require("tide").tensor
  if not T.is_tensor(t) then error("mpi.gather: expected a tensor, got " .. type(t), 2) end
  t = t:contiguous()
  local shape = t:shape()
  local row = 1
  for d = 2, #shape do row = row * shape[d] end
  -- every rank checks the trailing shape against rank 0's before moving data
  local sig = T.fromtable({ row, #shape, ({ f32 = 0, i32 = 1, i64 = 2 })[t:dtype()] }, "i64")
  local lo, hi = sig:clone(), sig:clone()
  c.allreduce(lo, "min"); c.allreduce(hi, "max")
  for i = 1, 3 do
    if lo:get(i) ~= hi:get(i) then error("mpi.gather: ranks disagree on dtype or trailing shape", 2) end
  end
  local counts = c.gather_counts(t:numel())
  local total = 0
  for _, n in ipairs(counts) do total = total + n end
  shape[1] = row > 0 and total / row or 0
  local out = T.zeros(shape, t:dtype())
  if total > 0 then c.gatherv(t:view({ t:numel() }), out:view({ total }), counts) end
  return out
end

--- shard(n [, rank, size]) -> first, last: this rank's contiguous block of 1..n (blocks differ
--- in size by at most one; last < first when the block is empty). Contiguous blocks keep the
--- gathered results in the serial order.
function M.shard(n, rank, size)
  if type(n) ~= "number" or n < 0 or n % 1 ~= 0 then error("mpi.shard: n must be an integer >= 0", 2) end
  rank, size = rank or M.rank(), size or M.size()
  local base, extra = math.floor(n / size), n % size
  local first = rank * base + math.min(rank, extra) + 1
  return first, first + base + (rank < extra and 1 or 0) - 1
end

setmetatable(M, {
  __index = function(self, k)
    local f
    if k == "train" then f = require("tide.mpi.train")
    elseif k == "fit_logistic" then f = require("tide.mpi.logistic")
    elseif k == "evaluate" or k == "topk" or k == "fit_decay" then f = require("tide.mpi.jobs")[k] end
    if f then rawset(self, k, f) end
    return f
  end,
})

return M
