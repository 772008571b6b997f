-- tide.train(model, batches, opts) — one training loop for every model: per batch zero_grad,
-- loss, backward, optional clipping, optimizer step, schedule step; per epoch an optional
-- validation loss and/or metric, early stopping, the best weights kept, logs.
--
--   local hist = tide.train(model, batches, {
--     loss = function(model, batch) return ... end,  -- scalar loss tensor (required unless
--                                                    -- the model has model:loss(batch))
--     epochs = 10, optimizer = "adam" (or "adamw", ... or an optimizer object), lr = 1e-3,
--     weight_decay = 0, betas = {0.9, 0.999}, clip = 1.0 (max global grad norm),
--     warmup = 0 (steps of linear warm-up), schedule = tide.optim.schedule.cosine(total),
--     seed = nil (tensor.manual_seed before the first step: runs repeat exactly),
--     valid = batches | function() ... end, patience = 3,       -- early stopping on valid loss
--     metric = function(model, epoch) -> number (higher is better, e.g. NDCG@10 on a validation
--              split), every = 1 (epochs between metric evaluations); early stopping (patience
--              counts evaluations) and the best epoch then follow the metric,
--     restore_best = true (with metric or valid: the model ends with its best weights),
--     checkpoint = "path.ckpt",                      -- best (or last) model + optimizer
--     log = "train.jsonl" (one JSON object per epoch), progress = true (a line per epoch; on a
--     terminal also a live line with loss and examples/s), on_epoch = function(epoch, info) end,
--     check_finite = true,                           -- see below
--     blas_threads = nil (OpenBLAS threads during the run, the caller's count restored after;
--                    nil leaves it alone),
--     note = {title = "...", key = number|string},   -- settings chosen for this run (e.g. the
--                                                    -- resolved defaults of tide.models.seq_defaults):
--                                                    -- printed once with progress ("title: key
--                                                    -- value, ..."), stored in the first log
--                                                    -- object and in checkpoint meta as note.<key>
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
-- batches: an array of batches, or a function(epoch) returning an iterator (called every
-- epoch, so it can reshuffle). A batch's example count is batch.users:numel() when present
-- (else 1). Returns {train = {...}, valid = {...}, metric = {...}, epoch_seconds = {...}, best_epoch = n,
-- best = value, stopped = bool, seconds = s, examples_per_s = r, peak_rss_mib = m, optimizer}.
local tide = require "tide"
local report = require "tide.train.report"

local function iterate(batches, epoch)
  if type(batches) == "function" then return batches(epoch) end
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
  if ctor == "Adam" or ctor == "AdamW" then oo.betas = opts.betas end
  return tide.optim[ctor](model, oo)
end

local function mean_loss(model, lossf, batches)
  return tide.no_grad(function()
    local sum, n = 0, 0
    for b in iterate(batches) do sum = sum + lossf(model, b):item(); n = n + 1 end
    return n > 0 and sum / n or 0 / 0
  end)
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

-- Loads a training checkpoint; returns the first epoch to run, the best score so far (higher
-- is better) and the global step count. A missing file means a fresh start.
local function resume(path, model, opt, sched, hist)
  if type(path) ~= "string" then error("train: opts.resume must be a checkpoint path", 3) end
  local f = io.open(path, "rb")
  if not f then return 1, -math.huge, 0 end
  f:close()
  local meta = tide.checkpoint.load_training(path, { model = model, optimizer = opt })
  local epoch = tonumber(meta.epoch)
  if not epoch then error("train: " .. path .. " has no epoch (not written by tide.train)", 3) end
  local step = tonumber(meta.step) or 0
  if sched then sched.t = step; opt.lr = sched.fn(step, sched.base) end
  hist.resumed_from, hist.best_epoch = epoch, epoch
  return epoch + 1, tonumber(meta.best) or -math.huge, step
end

-- a detached copy of the model's weights, and putting one back
local function snapshot(model)
  local s = {}
  for name, t in pairs(model:state_dict()) do s[name] = t:clone() end
  return s
end

-- The forward's intermediates that Lua no longer references still hold their buffers until the
-- GC finalises their userdata; the tape itself keeps only what backward reads (a reference
-- that needs only a shape does not keep a buffer, tensor.h), and backward gives each
-- activation back once used. Collecting between forward and backward therefore cuts peak
-- memory by the forward's garbage (SASRec, MovieLens-1M shape: peak tensor bytes 221 -> 178
-- MiB). A full collection is cheap while tensors live in C and the Lua heap is small; when
-- it costs more than 1 % of the training time so far it is skipped.
local function collector(t_start)
  local spent = 0
  return function()
    local t = tide.core.io.wall()
    if spent > 0.01 * (t - t_start) + 1e-3 then return end
    collectgarbage()
    spent = spent + tide.core.io.wall() - t
  end
end

local function check_opts(opts)
  local b = opts.blas_threads
  if b ~= nil and (type(b) ~= "number" or b < 1 or b % 1 ~= 0) then
    error("train: opts.blas_threads must be an integer >= 1, got " .. tostring(b), 3)
  end
  for _, k in ipairs({ "epochs", "warmup", "every", "patience", "clip" }) do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or v ~= v or v < 0) then
      error(("train: opts.%s must be a number >= 0, got %s"):format(k, tostring(v)), 3)
    end
  end
  if opts.note ~= nil then
    if type(opts.note) ~= "table" then error("train: opts.note must be a table of numbers and strings", 3) end
    for k, v in pairs(opts.note) do
      if type(k) ~= "string" or (type(v) ~= "number" and type(v) ~= "string") then
        error("train: opts.note must map names to numbers or strings, got " .. tostring(k), 3)
      end
    end
  end
  if opts.metric ~= nil and type(opts.metric) ~= "function" then
    error("train: opts.metric must be a function(model, epoch) -> number", 3)
  end
end

local function train(model, batches, opts)
  local lossf = opts.loss or (model.loss and function(m, b) return m:loss(b) end)
  assert(lossf, "train: give opts.loss = function(model, batch) -> loss, or define model:loss")
  if opts.seed then tide.tensor.manual_seed(opts.seed) end
  local opt = make_optimizer(model, opts)
  local S = tide.optim.schedule
  local fn = opts.schedule
  if opts.warmup and opts.warmup > 0 then fn = S.warmup(opts.warmup, fn) end
  local sched = fn and S.Scheduler(opt, fn)
  local hist = { train = {}, valid = {}, metric = {}, epoch_seconds = {}, best_epoch = 0, stopped = false }
  local rep = report.new(opts)
  local best, bad, best_state = -math.huge, 0, nil
  local by_metric, keep = opts.metric ~= nil, opts.restore_best ~= false
  local t_start, examples = tide.core.io.wall(), 0
  local collect = collector(t_start)
  local check = opts.check_finite ~= false
  local first, step = 1, 0
  if opts.resume then first, best, step = resume(opts.resume, model, opt, sched, hist) end
  if opts.note then rep:note(opts.note) end
  for epoch = first, opts.epochs or 1 do
    model:train()
    local sum, n, ex, t0 = 0, 0, 0, tide.core.io.wall()
    for batch in iterate(batches, epoch) do
      step = step + 1
      opt:zero_grad()
      local loss = lossf(model, batch)
      collect()
      loss:backward()
      local l = loss:item()
      if check and not finite(l) then nonfinite("the loss", l, epoch, step, n + 1, model, lossf, batch) end
      local gn = opts.clip and opt:clip_grad_norm(opts.clip) or (check and opt:grad_norm())
      if check and not finite(gn) then
        nonfinite("the gradient norm", gn, epoch, step, n + 1, model, lossf, batch)
      end
      opt:step()
      if sched then sched:step() end
      sum, n = sum + l, n + 1
      ex = ex + (type(batch) == "table" and batch.users and batch.users:numel() or 1)
      rep:step(epoch, n, sum / n, ex / math.max(tide.core.io.wall() - t0, 1e-9))
    end
    local secs = tide.core.io.wall() - t0
    examples = examples + ex
    local info = { epoch = epoch, train = n > 0 and sum / n or 0 / 0, lr = opt.lr, seconds = secs,
                   examples_per_s = ex / math.max(secs, 1e-9), note = epoch == first and opts.note or nil }
    hist.train[epoch], hist.epoch_seconds[epoch] = info.train, secs
    model:eval()
    if opts.valid then
      info.valid = mean_loss(model, lossf, opts.valid)
      hist.valid[epoch] = info.valid
    end
    local evaluated = false
    if by_metric and (epoch % (opts.every or 1) == 0 or epoch == (opts.epochs or 1)) then
      info.metric = tide.no_grad(opts.metric, model, epoch)
      if type(info.metric) ~= "number" then error("train: opts.metric must return a number", 2) end
      hist.metric[epoch], evaluated = info.metric, true
    end
    -- higher is better: the metric, or minus a loss
    local score, judged = -(info.valid or info.train), true
    if by_metric then score, judged = info.metric, evaluated end
    local improved = judged and score > best
    if improved then
      best, bad, hist.best_epoch = score, 0, epoch
      if keep and (by_metric or opts.valid) then best_state = snapshot(model) end
    elseif judged then
      bad = bad + 1
    end
    if opts.checkpoint and (improved or not (opts.valid or by_metric)) then
      local meta = { epoch = epoch, loss = info.valid or info.train, metric = info.metric, best = best, step = step }
      for k, v in pairs(opts.note or {}) do meta["note." .. k] = v end
      tide.checkpoint.save_training(opts.checkpoint, { model = model, optimizer = opt, meta = meta })
    end
    info.rss_mib = report.peak_rss_mib()
    rep:epoch(info)
    if opts.on_epoch then opts.on_epoch(epoch, info) end
    if (opts.valid or by_metric) and opts.patience and bad >= opts.patience then
      hist.stopped = true
      break
    end
  end
  if best_state then model:load_state_dict(best_state) end
  rep:close()
  model:train()
  hist.best = by_metric and best or nil
  hist.seconds = tide.core.io.wall() - t_start
  hist.examples_per_s = examples / math.max(hist.seconds, 1e-9)
  hist.peak_rss_mib = report.peak_rss_mib()
  hist.optimizer = opt
  return hist
end

return function(model, batches, opts)
  assert(type(model) == "table" and model.parameters, "train: argument #1 must be a module")
  opts = opts or {}
  check_opts(opts)
  if not opts.blas_threads then return train(model, batches, opts) end
  return tide.blas.with_threads(opts.blas_threads, train, model, batches, opts)
end
