-- tide.models.seq_defaults — the sequence models' defaults that follow the training data's
-- shape, resolved at fit time for the options the user did not set (an explicit option always
-- wins; option auto = 0 keeps the fixed defaults of seq_common.base). The base defaults were
-- chosen on Amazon Games (31k users, median history 4): there an epoch is ~240 optimizer steps
-- and a window of 50 items holds 95 % of the histories. On a log of a few hundred users with
-- long histories (MovieLens latest-small: 610 users, median 68 ratings, 90th percentile 398)
-- the same numbers give 5 steps per epoch, early stopping after ~20 steps without gain, and a
-- window that drops most of every history. The rules below keep Games' values and scale the
-- others by the optimizer steps they stand for:
--   maxlen   = the 90th percentile of the training history lengths, rounded up to a multiple
--              of 10, clamped to [50, 200] (SASRec, Kang & McAuley 2018, used 50 on the sparse
--              Amazon sets and 200 on MovieLens-1M);
--   batch    = the largest power of two <= n_users / 16 (at least MIN_STEPS = 16 steps an epoch),
--              clamped to [16, 128];
--   every    = ceil(EVAL_STEPS / steps per epoch): validation at most every ~32 steps;
--   patience = max(3, ceil(PATIENCE_STEPS / (every * steps per epoch))): early stopping waits
--              at least ~200 steps without gain (Games: 3 evaluations = ~730 steps);
--   epochs   = max(30, ceil(MIN_TOTAL_STEPS / steps per epoch)): at least ~1000 steps, at most
--              200 epochs (the SASRec reference's count; early stopping usually ends sooner).
-- n_users counts the users with at least two training events (those a next-item loss sees).
-- Validation NDCG@10 (tests/bench/quality_seqrec.lua, leave-last-out, full ranking): MovieLens
-- SASRec 0.010 with the fixed defaults, 0.048 with these rules but maxlen 50, 0.058 with them
-- all (maxlen 200, batch 32, every 2, patience 5, 50 epochs); decay_attention 0.013 -> 0.051.
-- Simulator (1827 users, p90 132: maxlen 140, batch 64, every 2, patience 4, 35 epochs):
-- SASRec 0.035 -> 0.040 (0.042 with maxlen 50, within noise), decay_attention 0.035 -> 0.042.
local M = {}

M.AUTO = { "maxlen", "batch", "epochs", "every", "patience" }
M.PERCENTILE, M.MAXLEN_LO, M.MAXLEN_HI = 0.9, 50, 200
M.MIN_STEPS, M.BATCH_LO, M.BATCH_HI = 16, 16, 128
M.EVAL_STEPS, M.PATIENCE_STEPS, M.PATIENCE_LO = 32, 200, 3
M.MIN_TOTAL_STEPS, M.EPOCHS_LO, M.EPOCHS_HI = 1000, 30, 200

local function clamp(x, lo, hi) return math.max(lo, math.min(hi, x)) end

--- shape(seq) -> {n_users =, p90 =}: the users with >= 2 events of tide.data.sequences(ev)
--- and the 90th percentile (nearest rank) of their history lengths
function M.shape(seq)
  local off = seq.offsets:totable()
  local len = {}
  for u = 1, seq.n_users do
    local n = off[u + 1] - off[u]
    if n >= 2 then len[#len + 1] = n end
  end
  table.sort(len)
  local k = math.max(1, math.ceil(M.PERCENTILE * #len))
  return { n_users = #len, p90 = len[k] or 0 }
end

--- resolve(shape[, given]) -> {maxlen, batch, epochs, every, patience, steps_per_epoch}: the
--- rules above for shape = {n_users =, p90 =}; given = {option = value} the user chose, which
--- are returned as they are and feed the rules after them (an explicit batch sets the steps
--- per epoch that every, patience and epochs are counted in). A pure function of its arguments.
function M.resolve(shape, given)
  if type(shape) ~= "table" or type(shape.n_users) ~= "number" or type(shape.p90) ~= "number" then
    error("seq_defaults.resolve: expected {n_users = number, p90 = number}", 2)
  end
  given = given or {}
  local n = math.max(shape.n_users, 1)
  local r = {}
  r.maxlen = given.maxlen or clamp(math.ceil(shape.p90 / 10) * 10, M.MAXLEN_LO, M.MAXLEN_HI)
  local b = 2 ^ math.floor(math.log(math.max(n / M.MIN_STEPS, 1)) / math.log(2) + 1e-9)
  r.batch = given.batch or clamp(b, M.BATCH_LO, M.BATCH_HI)
  local spe = math.ceil(n / r.batch)
  r.steps_per_epoch = spe
  r.every = given.every or math.ceil(M.EVAL_STEPS / spe)
  r.patience = given.patience or math.max(M.PATIENCE_LO, math.ceil(M.PATIENCE_STEPS / (math.max(r.every, 1) * spe)))
  r.epochs = given.epochs or clamp(math.ceil(M.MIN_TOTAL_STEPS / spe), M.EPOCHS_LO, M.EPOCHS_HI)
  return r
end

--- apply(model, seq, base) -> resolved or nil: when model.auto == 1, sets each option of M.AUTO
--- the user did not choose (not given to new, not in model.explicit, and still holding the base
--- default or the value a previous fit resolved) to its resolved value; model.resolved then
--- holds the options it set, plus n_users and p90 of the shape (nil when it set none)
function M.apply(self, seq, base)
  local prev = self.resolved or {}
  self.resolved = nil
  if self.auto ~= 1 then return nil end
  local given = {}
  for _, k in ipairs(M.AUTO) do
    local unset = not (self.explicit and self.explicit[k]) and (self[k] == base[k] or self[k] == prev[k])
    if not unset then given[k] = self[k] end
  end
  local shape = M.shape(seq)
  local r = M.resolve(shape, given)
  local out, any = { n_users = shape.n_users, p90 = shape.p90 }, false
  for _, k in ipairs(M.AUTO) do
    if given[k] == nil then self[k], out[k], any = r[k], r[k], true end
  end
  self.resolved = any and out or nil
  return self.resolved
end

return M
