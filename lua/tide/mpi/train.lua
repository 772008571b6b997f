-- tide.mpi.train(model, batches, opts) — synchronous data-parallel training over MPI ranks,
-- wrapping tide.train unchanged (Goyal et al. 2017, "Accurate, Large Minibatch SGD", §2:
-- averaging the gradients of N equal shards equals one step on their union).
--
-- Every rank starts from rank 0's parameters (one broadcast of the flat parameter block);
-- before each optimizer step (and before clipping, so the norm is the global one) the
-- gradients of all parameters are packed into ONE flat f32 block, summed over ranks and
-- divided by N. With equal-size batches of a mean loss, a step on N ranks equals a serial
-- step on the N batches joined, so results depend only on N and the seed.
--
-- batches: an array; rank r takes batches r+1, r+1+N, ... (the last #batches mod N are
-- dropped so every rank takes the same number of steps); or a function(epoch) -> iterator that
-- yields the same batches on every rank (seeded), sharded the same way each epoch (this is how
-- `mpirun -np N tide train config.lua` trains the sequential models); or with opts.sharded = true the
-- caller already gives each rank its own shard (array or iterator function) and promises the
-- same number of batches per epoch on every rank (checked for arrays).
-- opts: those of tide.train; checkpoint and progress act on rank 0 only; opts.valid must be
-- the same on every rank (parameters are equal, so early stopping then agrees). The history's
-- train losses are averaged over ranks; hist.mpi = {size, bytes_per_step, steps,
-- allreduce_seconds}.
local tide = require "tide"
local mpi = require "tide.mpi"

local function shard_array(batches, rank, size)
  local out = {}
  local steps = math.floor(#batches / size)
  for s = 0, steps - 1 do out[s + 1] = batches[s * size + rank + 1] end
  return out
end

-- An optimizer proxy: reads and writes (lr set by schedules, state) go to the real optimizer;
-- step and clip_grad_norm first average the gradients over ranks, once per step.
local function dp_optimizer(inner, size, stats)
  local reduced = false
  local function reduce()
    if reduced then return end
    local t0 = mpi.wtime()
    stats.bytes_per_step = mpi.allreduce_grads(inner.params, 1 / size)
    stats.allreduce_seconds = stats.allreduce_seconds + (mpi.wtime() - t0)
    stats.steps = stats.steps + 1
    reduced = true
  end
  local methods = {
    step = function() reduce(); inner:step(); reduced = false end,
    clip_grad_norm = function(_, max_norm) reduce(); return inner:clip_grad_norm(max_norm) end,
    zero_grad = function() reduced = false; inner:zero_grad() end,
  }
  return setmetatable({}, {
    __index = function(_, k)
      if methods[k] then return methods[k] end
      local v = inner[k]
      if type(v) == "function" then return function(_, ...) return v(inner, ...) end end
      return v
    end,
    __newindex = inner,
  })
end

local KNOWN_EXTRA = { sharded = true }

-- Rank r's share of an epoch's batches from an iterator function: batches r+1, r+1+N, ...,
-- and only the first floor(total / N) * N of them, so every rank steps the same number of
-- times (the iterator is deterministic for a seed and epoch, so all ranks see one sequence).
local function shard_iterator(batches, rank, size)
  return function(epoch)
    local all, mine = 0, {}
    for b in batches(epoch) do
      all = all + 1
      if (all - 1) % size == rank then mine[#mine + 1] = b end
    end
    local steps, i = math.floor(all / size), 0
    return function() i = i + 1; if i <= steps then return mine[i] end end
  end
end

local function train(model, batches, opts)
  opts = opts or {}
  if type(model) ~= "table" or not model.parameters then error("mpi.train: argument #1 must be a module", 2) end
  local rank, size = mpi.init()
  local local_batches = batches
  if not opts.sharded then
    if type(batches) ~= "table" then error("mpi.train: batches must be an array (or pass sharded = true)", 2) end
    local_batches = shard_array(batches, rank, size)
  elseif type(batches) == "table" then
    local n = #batches
    local lo, hi = mpi.allreduce_numbers({ n }, "min")[1], mpi.allreduce_numbers({ n }, "max")[1]
    if lo ~= hi then error(("mpi.train: ranks hold %d to %d batches; every rank must step the same number of times"):format(lo, hi), 2) end
  end
  local params = model:parameters()
  mpi.bcast_params(params)
  local stats = { size = size, steps = 0, allreduce_seconds = 0, bytes_per_step = 0 }
  local topts = {}
  for k, v in pairs(opts) do if not KNOWN_EXTRA[k] then topts[k] = v end end
  local base = opts.optimizer
  if type(base) ~= "table" then
    local ctor = ({ adam = "Adam", adamw = "AdamW", sgd = "SGD", adagrad = "Adagrad", rmsprop = "RMSprop" })[base or "adam"]
    if not ctor then error("mpi.train: unknown optimizer '" .. tostring(base) .. "'", 2) end
    local oo = { lr = opts.lr, weight_decay = opts.weight_decay }
    if ctor == "SGD" then oo.momentum = opts.momentum end
    base = tide.optim[ctor](model, oo)
  end
  topts.optimizer = dp_optimizer(base, size, stats)
  if rank ~= 0 then topts.checkpoint, topts.progress = nil, nil end
  local hist = tide.train(model, local_batches, topts)
  hist.optimizer = base
  if #hist.train > 0 then
    local avg = mpi.allreduce_numbers(hist.train)
    for i = 1, #avg do hist.train[i] = avg[i] / size end
  end
  hist.mpi = stats
  return hist
end

-- tide.mpi.train(model, batches, opts); batches may also be a function(epoch) -> iterator
-- (deterministic across ranks, e.g. tide.batch.sequences with a seed): it is sharded per epoch.
return function(model, batches, opts)
  if type(batches) == "function" and not (opts and opts.sharded) then
    local rank, size = mpi.init()
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    o.sharded = true
    return train(model, shard_iterator(batches, rank, size), o)
  end
  return train(model, batches, opts)
end
