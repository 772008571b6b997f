-- tide.train(model, batches, opts) — a plain training loop: per batch zero_grad, loss,
-- backward, optional clipping, optimizer step, schedule step; per epoch an optional
-- validation loss, early stopping and checkpoint.
--
--   local hist = tide.train(model, batches, {
--     loss = function(model, batch) return ... end,  -- scalar loss tensor (required unless
--                                                    -- the model has model:loss(batch))
--     epochs = 10, optimizer = "adam" (or an optimizer object), lr = 1e-3, weight_decay = 0,
--     clip = 1.0, schedule = tide.optim.schedule.cosine(total), -- per step
--     valid = batches | function() ... end, patience = 3,       -- early stopping on valid
--     checkpoint = "path.ckpt",                      -- best (or last) model + optimizer
--     progress = true, on_epoch = function(epoch, info) end,
--     check_finite = true,                           -- see below
--     resume = "path.ckpt" })                        -- continue from a training checkpoint
--
-- check_finite (default true): after every backward the loss and the global gradient norm
-- (one pass over the gradients) must be finite; otherwise training stops BEFORE the optimizer
-- step with an error naming the epoch, the step and the op that first produced the NaN/Inf
-- (found by replaying that batch under tide.autograd.detect_anomaly). false skips the check.
-- resume: loads model, optimizer and epoch from a checkpoint written by opts.checkpoint and
-- continues with the next epoch (epochs counts the total, as if never interrupted); a missing
-- file starts from scratch, a corrupt or mismatched one is an error.
--
-- batches: an array of batches, or a function returning an iterator (called every epoch,
-- so it can reshuffle). Returns {train = {...}, valid = {...}, best_epoch = n, stopped = bool}.
local tide = require "tide"

local function iterate(batches)
  if type(batches) == "function" then return batches() end
  if type(batches) == "table" then
    local i = 0
    return function() i = i + 1; return batches[i] end
  end
  error("train: batches must be an array or a function returning an iterator", 3)
end

local function make_optimizer(model, opts)
  local o = opts.optimizer or "adam"
  if type(o) == "table" then return o end
  local ctor = ({ adam = "Adam", adamw = "AdamW", sgd = "SGD", adagrad = "Adagrad", rmsprop = "RMSprop" })[o]
  if not ctor then error("train: unknown optimizer '" .. tostring(o) .. "'", 3) end
  local oo = { lr = opts.lr, weight_decay = opts.weight_decay }
  if ctor == "SGD" then oo.momentum = opts.momentum end
  return tide.optim[ctor](model, oo)
end

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end

-- Replays one batch with anomaly detection to name the op behind a NaN/Inf.
local function locate(model, lossf, batch)
  model:zero_grad()
  local ok, first = pcall(tide.autograd.detect_anomaly, function()
    local loss = lossf(model, batch)
    loss:backward()
  end)
  model:zero_grad()
  if not ok then return tostring(first):gsub("^[^:]*%.lua:%d+: ", "") end
  if first then return "first non-finite value in the forward pass: " .. first end
  return "no op could be blamed on replay (the batch or the model parameters may already hold NaN/Inf)"
end

local function nonfinite(what, value, epoch, step, bi, model, lossf, batch)
  error(("train: %s is %s at epoch %d, step %d (batch %d of the epoch); %s"):format(what, tostring(value),
    epoch, step, bi, locate(model, lossf, batch)), 0)
end

-- Loads a training checkpoint; returns the first epoch to run, the best score so far and the
-- global step count. A missing file means a fresh start.
local function resume(path, model, opt, sched, hist)
  if type(path) ~= "string" then error("train: opts.resume must be a checkpoint path", 3) end
  local f = io.open(path, "rb")
  if not f then return 1, math.huge, 0 end
  f:close()
  local meta = tide.checkpoint.load_training(path, { model = model, optimizer = opt })
  local epoch = tonumber(meta.epoch)
  if not epoch then error("train: " .. path .. " has no epoch (not written by tide.train)", 3) end
  local step = tonumber(meta.step) or 0
  if sched then sched.t = step; opt.lr = sched.fn(step, sched.base) end
  hist.resumed_from, hist.best_epoch = epoch, epoch
  return epoch + 1, tonumber(meta.best) or tonumber(meta.loss) or math.huge, step
end

local function mean_loss(model, lossf, batches)
  return tide.no_grad(function()
    local sum, n = 0, 0
    for b in iterate(batches) do sum = sum + lossf(model, b):item(); n = n + 1 end
    return n > 0 and sum / n or 0 / 0
  end)
end

return function(model, batches, opts)
  assert(type(model) == "table" and model.parameters, "train: argument #1 must be a module")
  opts = opts or {}
  local lossf = opts.loss or (model.loss and function(m, b) return m:loss(b) end)
  assert(lossf, "train: give opts.loss = function(model, batch) -> loss, or define model:loss")
  local opt = make_optimizer(model, opts)
  local sched = opts.schedule and tide.optim.schedule.Scheduler(opt, opts.schedule)
  local hist = { train = {}, valid = {}, best_epoch = 0, stopped = false }
  local best, bad = math.huge, 0
  local check = opts.check_finite ~= false
  local first, step = 1, 0
  if opts.resume then first, best, step = resume(opts.resume, model, opt, sched, hist) end
  for epoch = first, opts.epochs or 1 do
    model:train()
    local sum, n = 0, 0
    for batch in iterate(batches) do
      step = step + 1
      opt:zero_grad()
      local loss = lossf(model, batch)
      local lv = loss:item()
      if check and not finite(lv) then nonfinite("the loss", lv, epoch, step, n + 1, model, lossf, batch) end
      loss:backward()
      local gn = opts.clip and opt:clip_grad_norm(opts.clip) or (check and opt:grad_norm())
      if check and not finite(gn) then
        nonfinite("the gradient norm", gn, epoch, step, n + 1, model, lossf, batch)
      end
      opt:step()
      if sched then sched:step() end
      sum, n = sum + lv, n + 1
    end
    local info = { train = n > 0 and sum / n or 0 / 0, lr = opt.lr }
    hist.train[epoch] = info.train
    model:eval()
    if opts.valid then
      info.valid = mean_loss(model, lossf, opts.valid)
      hist.valid[epoch] = info.valid
    end
    local score = info.valid or info.train
    local improved = score < best
    if improved then best, bad, hist.best_epoch = score, 0, epoch else bad = bad + 1 end
    if opts.checkpoint and (improved or not opts.valid) then
      tide.checkpoint.save_training(opts.checkpoint, { model = model, optimizer = opt,
        meta = { epoch = epoch, loss = score, best = best, step = step } })
    end
    if opts.progress then
      io.stderr:write(("epoch %d  train %.5f%s  lr %.3g\n"):format(epoch, info.train,
        info.valid and ("  valid %.5f"):format(info.valid) or "", opt.lr))
    end
    if opts.on_epoch then opts.on_epoch(epoch, info) end
    if opts.valid and opts.patience and bad >= opts.patience then
      hist.stopped = true
      break
    end
  end
  model:train()
  hist.optimizer = opt
  return hist
end
