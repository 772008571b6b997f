-- tide.models.seq_common — what every sequential recommender shares: options checked against
-- the model's defaults, fit (batches of left-padded histories with per-position negatives,
-- tide.train with early stopping on validation NDCG@10), attention maps; scoring of the last
-- position (states, score, score_items, topk) lives in seq_score.lua, save/load in seq_io.lua.
-- A model class supplies kind, defaults, build(self) -> net and, if it trains differently
-- from next-item prediction, loss_fn(self, batch) (and param_groups(self) for per-group
-- learning rates).
-- net:forward(inp, {last = true}) -> [B,D] states; net:forward(inp) -> [B,T,D]; inp = {items
-- i32 [B,T] left-padded, times f32 [B,T] (days, for models with uses_time)}; net.emb.weight is
-- the item table (row 1 padding, row i + 1 item i).
-- Shared options (M.base): dim, maxlen, dropout, epochs, batch, lr, weight_decay, clip (max
-- grad norm, 0 = off), warmup (steps), seed, loss ("bce" with one sampled negative per
-- position, "softmax" full, "sampled_softmax" with n_neg shared negatives), optimizer, beta2,
-- every / patience (validation NDCG@10 every n epochs, stop after `patience` evaluations
-- without gain, 0 = never), bucket (1: batches of similar lengths, only as wide as their
-- longest history, see tide.batch; 0: random batches padded to maxlen, as the reference),
-- auto (1: maxlen, batch, epochs, every and patience, when not given, follow the training
-- data's shape at fit time, tide.models.seq_defaults; 0: the fixed values of M.base),
-- blas_threads (OpenBLAS threads while training, default 1; 0 = leave as set).
local common = require "tide.models.common"
local score = require "tide.models.seq_score"

local M = {}

local function tide() return require "tide" end

-- Options every sequence model accepts, on top of its own defaults.
-- Sampled softmax over 2048 shared negatives, lr 2e-3, early stopping after 3 evaluations
-- without gain (Klenitskiy & Vasilev, RecSys 2023): SASRec's Games validation NDCG@10 0.053 at
-- epoch 8 (decayed SAR 0.048), against 0.031 at epoch 8 with 256 negatives and lr 1e-3, 0.045
-- with dropout 0.5 (both still rising), test 0.025 with BCE + 1 negative after 40 epochs. The full
-- softmax measured ~4x slower per epoch on Games' 23.7k items (tests/bench/quality_seqrec.lua).
-- blas_threads = 1: these models' sgemms have an inner size of dim, too small for OpenBLAS's
-- threads to pay; on 2 cores its second thread only spin-waits (SASRec at the paper's settings,
-- Games: 2.22 s per epoch and 4.7 CPU-s at 1 thread, 2.88 s and 11.9 CPU-s at 2; MovieLens-1M
-- shape: 5.78 s / 6.0 CPU-s against 6.66 s / 13.5 CPU-s). 0 leaves OpenBLAS's setting alone.
M.base = { dim = 64, maxlen = 50, dropout = 0.2, epochs = 30, batch = 128, lr = 2e-3,
           weight_decay = 0, clip = 5, warmup = 0, seed = 42, loss = "sampled_softmax", n_neg = 2048,
           optimizer = "adam", beta2 = 0.98, every = 1, patience = 3, bucket = 1, auto = 1,
           blas_threads = 1 }

--- new(cls, opts) -> model: opts checked against cls.defaults and M.base (unknown names and
--- wrong types raise an error naming the model and the option)
function M.new(cls, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error(cls.kind .. ": options must be a table", 3) end
  local self = setmetatable({ name = cls.kind, explicit = {} }, cls)
  for k, v in pairs(M.base) do self[k] = v end
  for k, v in pairs(cls.defaults) do self[k] = v end
  for k, v in pairs(opts) do
    local def = cls.defaults[k]
    if def == nil then def = M.base[k] end
    if def == nil and k ~= "n_items" then error(("%s: unknown option '%s'"):format(cls.kind, tostring(k)), 3) end
    if def ~= nil and type(v) ~= type(def) then
      error(("%s: option '%s' must be a %s, got %s"):format(cls.kind, k, type(def), type(v)), 3)
    end
    if type(v) == "number" and (v ~= v or v < 0) then
      error(("%s: option '%s' must be a number >= 0, got %s"):format(cls.kind, k, tostring(v)), 3)
    end
    self[k], self.explicit[k] = v, true
  end
  for _, k in ipairs({ "dim", "maxlen", "batch", "epochs" }) do
    if self[k] < 1 or self[k] % 1 ~= 0 then error(("%s: option '%s' must be an integer >= 1"):format(cls.kind, k), 3) end
  end
  local L = { bce = true, softmax = true, sampled_softmax = true }
  if not L[self.loss] then error(cls.kind .. ": loss must be 'bce', 'softmax' or 'sampled_softmax'", 3) end
  if self.auto ~= 0 and self.auto ~= 1 then error(cls.kind .. ": option 'auto' must be 0 or 1", 3) end
  return self
end

-- per-user histories as CSR (+ event times in days when the model uses them)
local function set_history(self, seq)
  self.seq, self.n_users = seq, seq.n_users
  self.n_items = self.n_items or seq.n_items
  self.seen = { off = seq.offsets, item = seq.item }
  if self.uses_time and seq.time then
    -- offsets from the first event in i64 (exact), then f32 in time units
    local t = seq.time:cast("i64")
    self.tdays = (t - t:min():item()):cast("f32") / (self.time_unit or 86400)
  end
end

-- one event table from several sharing an id space (e.g. split.train and split.valid)
local function merge(list)
  if #list == 1 then return list[1] end
  local D = require("tide.data")
  local out = {}
  for k, v in pairs(list[1]) do out[k] = v end
  local n = 0
  for _, ev in ipairs(list) do n = n + ev.n end
  for _, f in ipairs(D.ORDER) do
    if list[1][f] then
      local parts = {}
      for i, ev in ipairs(list) do parts[i] = ev[f] end
      out[f] = common.concat(parts, list[1][f]:dtype())
    end
  end
  out.n, out.sorted, out.text = n, nil, nil
  return setmetatable(out, getmetatable(list[1]))
end

M.set_sequences = set_history

--- set_history(self, ev or {ev1, ev2, ...}) -> self: the histories scoring conditions on
--- (e.g. {split.train, split.valid} before testing), without retraining
function M.set_history(self, evs)
  if type(evs) ~= "table" then error(self.name .. ":set_history: expected an event table or a list of them", 2) end
  local ev = evs.user and evs or merge(evs)
  local n_items = self.n_items
  set_history(self, tide().data.sequences(ev))
  self.n_items, self.pos_ids = n_items or self.n_items, nil
  return self
end

--- inputs(self, users i32 [B], shift[, width = maxlen]) -> {items [B,T], times [B,T] (uses_time)},
--- target [B,T]
function M.inputs(self, users, shift, width)
  local D = tide().core.data
  local s = self.seq
  local x, _, y = D.pad_batch(s.offsets, s.item, users, width or self.maxlen, shift)
  local inp = { items = x }
  if self.tdays then
    -- the same padding applied to event positions gives each slot's event index
    self.pos_ids = self.pos_ids or tide().tensor.arange(1, s.item:numel() + 1, 1, "i32")
    local p = D.pad_batch(s.offsets, self.pos_ids, users, width or self.maxlen, shift)
    local n = p:numel()
    local flat = self.tdays:index_select(1, p:reshape({ n }):clamp(1, s.item:numel()))
    inp.times = flat:view(p:shape())
  end
  return inp, y
end

--- default loss: next-item prediction at every position (self.loss = bce | softmax | sampled_softmax)
function M.loss(self, batch)
  local L = require "tide.train.losses"
  local h = self.net(batch.inp)
  local E = self.net.emb.weight
  if self.loss == "bce" then return L.bce(h, E, batch.target, batch.negatives) end
  if self.loss == "softmax" then return L.softmax(h, E, batch.target, self.n_items) end
  return L.sampled_softmax(h, E, batch.target, self.n_items, self.n_neg)
end

--- fit(self, ev, {valid = event table of validation targets, log, progress, checkpoint}) -> self
--- Trains on every user's sequence; with valid, evaluates full-ranking NDCG@10 every
--- `every` epochs, stops after `patience` evaluations without gain, keeps the best weights.
--- Options left unset among maxlen, batch, epochs, every, patience are first resolved from the
--- data's shape (auto = 1, tide.models.seq_defaults): self.resolved holds them, the progress
--- output prints them once, the first log object and training checkpoints record them.
--- (phase, for multi-stage models: {epochs = n, keep_net = true to continue the current net})
function M.fit(self, ev, opts, phase)
  opts, phase = opts or {}, phase or {}
  if type(ev) ~= "table" or not ev.user then error(self.name .. ":fit: expected an event table", 2) end
  local td = tide()
  set_history(self, td.data.sequences(ev))
  self.train_ev = ev
  td.tensor.manual_seed(self.seed)
  local fresh = not (phase.keep_net and self.net)
  -- a continued net (BERT4Rec's fine-tuning) keeps the shape it was built with
  local resolved = fresh and require("tide.models.seq_defaults").apply(self, self.seq, M.base)
  if fresh then self.net = self:build() end
  -- printed once by the training loop, recorded in its log and checkpoints
  local note = resolved and { title = self.name .. " defaults from the data" } or nil
  for k, v in pairs(resolved or {}) do note[k] = v end
  local batch = require "tide.batch"
  local kneg = self.loss == "bce" and 1 or 0
  local function batches(epoch)
    local it = batch.sequences(self.seq, { batch = self.batch, maxlen = self.maxlen, shift = true,
      seed = self.seed, epoch = epoch, negatives = kneg, n_items = self.n_items, bucket = self.bucket == 1 })
    return function()
      local b = it()
      if not b then return nil end
      b.inp = M.inputs(self, b.users, true, b.items:shape()[2])
      return b
    end
  end
  local metric
  if opts.valid then
    metric = function()
      return td.metrics.evaluate(self, opts.valid, { k = { 10 }, seen = { ev } })["NDCG@10"]
    end
  end
  -- parameter groups (e.g. a larger learning rate for decay rates) when the model defines them
  local ctor = ({ adam = "Adam", adamw = "AdamW", sgd = "SGD" })[self.optimizer]
  if not ctor then error(self.name .. ": optimizer must be 'adam', 'adamw' or 'sgd'", 2) end
  local oo = { lr = self.lr, weight_decay = self.weight_decay }
  if ctor ~= "SGD" then oo.betas = { 0.9, self.beta2 } end
  local opt = td.optim[ctor](self.param_groups and self:param_groups() or self.net, oo)
  -- opts.trainer: a function with tide.train's signature (tide.mpi.train_sharded for data
  -- parallelism under mpirun); batches are then given as a function(epoch) -> iterator
  local trainer = opts.trainer or td.train
  self.history = trainer(self.net, batches, {
    loss = function(_, b) return self:loss_fn(b) end, epochs = phase.epochs or self.epochs,
    optimizer = opt,
    clip = self.clip > 0 and self.clip or nil, warmup = self.warmup, seed = self.seed,
    metric = metric, every = self.every, patience = self.patience > 0 and self.patience or nil,
    log = opts.log, progress = opts.progress, checkpoint = opts.checkpoint,
    blas_threads = self.blas_threads >= 1 and self.blas_threads or nil, note = note })
  self.net:eval()
  return self
end


-- scoring (tide.models.seq_score)
M.states, M.item_table, M.rebase = score.states, score.item_table, score.rebase
M.score, M.score_items, M.topk = score.score, score.score_items, score.topk

--- install(cls): gives a model class the shared methods it does not define itself
function M.install(cls)
  local io = require "tide.models.seq_io"
  cls.__index = cls
  cls.new = cls.new or function(opts) return M.new(cls, opts) end
  cls.load = cls.load or function(path) return io.load(cls, path) end
  cls.save = cls.save or io.save
  for _, k in ipairs({ "fit", "score", "score_items", "topk", "states", "item_table", "set_history" }) do
    cls[k] = cls[k] or M[k]
  end
  cls.loss_fn = cls.loss_fn or M.loss
  return cls
end

--- attention(self, users) -> {[block] = f32 [B, heads, T, T]} attention weights over each
--- user's last maxlen items (rows: query position, columns: key position; left-padded), for
--- the models whose net returns them with {weights = true} (sasrec, decay_attention)
function M.attention(self, users)
  local td = tide()
  users = require("tide.models.common").users(users)
  self.net:eval()
  return td.no_grad(function()
    local _, ws = self.net(M.inputs(self, users, false), { weights = true })
    return ws
  end)
end

return M
