-- tide.sentiment.fasttext — the fastText-style review classifier (engine/fasttext.c: averaged
-- or sqrt-pooled embeddings of units + hashed n-grams -> linear -> softmax, deterministic C SGD).
--   local ft = tide.sentiment.fasttext.train(texts, labels, opts)   labels: 0/1 (or 0..k-1)
--   ft:prob(texts) -> {P(class 1)...};  ft:predict(texts) -> f32 [n, k] (scored on TIDE_THREADS
--   threads, default the online CPUs; results do not depend on the count);  ft:explain(text)
--   ft:save(path [, {quantize = "int8"}]);  tide.sentiment.fasttext.load(path)
--   ft:to_bytes([opts]) -> the file's bytes;  tide.sentiment.fasttext.from_bytes(s, name)
local text = require "tide.text"
local T = require("tide").tensor

local M = {}
local FT = { kind = "fasttext" }
FT.__index = FT

-- Defaults measured on online_shopping_10_cats (see tests/bench/bench_sentiment.sh). epochs =
-- "auto" over {3, 6}: 5-fold CV on the TRAINING rows (of the hashed row split io.split, before
-- the bench moved to a stratified split) of the four bench corpora (tests/bench/
-- tune_sentiment.lua) gave mean val acc 0.9189 with 3 epochs, 0.9245 with 5, 0.9263 with auto
-- (means of 20 fold accuracies; no interval was recorded: a fold mean over ~60k rows has a
-- binomial SE of ~0.1 pt, the fold-to-fold spread is larger) (3 epochs under-fit the small, 96 %-positive beauty_en; waimai over-fits
-- with more). dim 64, 2^20-2^21 buckets, n-grams 2/4, lr 0.2-0.5: no gain.
M.defaults = { dim = 32, ngrams = 3, buckets = 2 ^ 19, epochs = "auto", lr = 0.1, seed = 1,
               min_count = 1, pool = "sqrt" }
M.auto_epochs = { 3, 6 }

local SQRTN = 256 -- TIDE_FT_SQRTN (fasttext.h)

local function opt(opts, k)
  local v = opts[k]
  if v == nil then v = M.defaults[k] end
  return v
end

local function check_labels(labels, n, k)
  if type(labels) ~= "table" or #labels ~= n then
    error(("sentiment.fasttext.train: need %d labels, got %s"):format(n,
      type(labels) == "table" and #labels or type(labels)), 3)
  end
  for i = 1, n do
    local y = labels[i]
    if type(y) ~= "number" or y % 1 ~= 0 or y < 0 or y >= k then
      error(("sentiment.fasttext.train: labels[%d] = %s, expected an integer in [0, %d)"):format(i, tostring(y), k), 3)
    end
  end
end

-- epochs = "auto": the number of epochs is chosen from M.auto_epochs by accuracy on a
-- deterministic validation slice of the training rows (fold 0 of sentiment.io.folds(texts,
-- 10): every 10th row, a repeated text on one side only), then the model is refit on all rows
-- (ties go to fewer epochs). With few rows (< 200) the first candidate.
local function choose_epochs(texts, labels, opts)
  local cands = opts.auto_epochs or M.auto_epochs
  if #texts < 200 then return cands[1] end
  local fold = require("tide.sentiment.io").folds(texts, 10)
  local tt, tl, vt, vl = {}, {}, {}, {}
  for i = 1, #texts do
    if fold[i] == 0 then vt[#vt + 1], vl[#vl + 1] = texts[i], labels[i]
    else tt[#tt + 1], tl[#tl + 1] = texts[i], labels[i] end
  end
  local o = {}
  for key, v in pairs(opts) do o[key] = v end
  local best, best_acc = cands[1], -1
  for _, e in ipairs(cands) do
    o.epochs = e
    local p = M.train(tt, tl, o):predict(vt):totable()
    local ok = 0
    for i = 1, #vt do
      local arg = 1
      for c = 2, #p[i] do if p[i][c] > p[i][arg] then arg = c end end
      if arg - 1 == vl[i] then ok = ok + 1 end
    end
    if ok > best_acc then best, best_acc = e, ok end
  end
  return best, best_acc / #vt
end

function M.train(texts, labels, opts)
  opts = opts or {}
  if type(texts) ~= "table" then error("sentiment.fasttext.train: texts must be a table of strings", 2) end
  local k = opts.classes or 2
  check_labels(labels, #texts, k)
  local epochs, val_acc = opt(opts, "epochs"), nil
  if epochs == "auto" then epochs, val_acc = choose_epochs(texts, labels, opts)
  elseif type(epochs) ~= "number" then
    error("sentiment.fasttext.train: epochs must be a number or 'auto'", 2)
  end
  local flags = text.flags(opts)
  if opt(opts, "pool") == "sqrt" then flags = flags + SQRTN
  elseif opt(opts, "pool") ~= "mean" then error("sentiment.fasttext.train: pool must be 'sqrt' or 'mean'", 2) end
  local vocab = text.vocab(texts, { min_count = opt(opts, "min_count"), max_size = opts.max_size,
                                    strict = opts.strict, punct = opts.punct, numbers = opts.numbers })
  local ng, nb = opt(opts, "ngrams"), opt(opts, "buckets")
  local ids, off = text.core.ids(vocab, texts, flags, ng, nb)
  local native = text.core.fasttext_new(vocab, opt(opts, "dim"), k, flags, ng, nb, opt(opts, "seed"))
  vocab:free()
  local self = setmetatable({ native = native, classes = k, epochs = epochs, val_acc = val_acc }, FT)
  self.loss = native:train(ids, off, T.fromtable(labels, "i32"), epochs, opt(opts, "lr"),
                           opt(opts, "seed") + 1)
  return self
end

function M.load(path)
  if type(path) ~= "string" then error("sentiment.fasttext.load: path must be a string", 2) end
  local native = text.core.fasttext_load(path)
  return setmetatable({ native = native, classes = native:info().n_classes }, FT)
end

-- Saves the model (engine/fasttext_io.c, format 2): only embedding rows that training changed
-- are stored, so the file grows with what was learned (not with the 2^19 buckets); lossless
-- by default, load(save(m)) predicts bit-identically. quantize = "int8" (opt-in, lossy)
-- stores each changed row's change as int8 codes + one f32 scale. Measured by
-- tests/bench/bench_fasttext_size.lua on the hashed 20 % held-out row split (io.split, not
-- stratified), repeated texts on one side (defaults, seed 1). Accuracies are on 2.4k-12.5k
-- test rows (binomial 95 % +-0.5 to +-1.2 pt); f32 -> int8 is paired on the same rows and
-- identical to 4 digits. These sizes are for the "f32" XOR codec; the default PLAIN codec
-- (fasttext.h) writes ~7 % more (shopping 53.5 MB) and loads 2.2x faster (0.95 -> 0.43 s
-- for the shopping model, load average 12 on 2 cores; LOAD lines of tests/bench/bench_sentiment.lua):
--   corpus     f32 file  int8 file  accuracy f32 -> int8    AUC f32 -> int8
--   hotel      31.6 MB   7.2 MB     0.8931 -> 0.8931        0.9500 -> 0.9500
--   waimai     13.4 MB   2.7 MB     0.9115 -> 0.9115        0.9569 -> 0.9569
--   shopping   49.3 MB   12.1 MB    0.9289 -> 0.9289        0.9746 -> 0.9746
--   beauty_en   7.8 MB   1.0 MB     0.9772 -> 0.9772        0.9802 -> 0.9802
-- (format 1 files were 67.5-68.3 MB for every corpus.)
local save_keys = { quantize = true }
local function rows_codec(opts, fn)
  if opts ~= nil and type(opts) ~= "table" then
    error(("sentiment.fasttext:%s: opts must be a table, got %s"):format(fn, type(opts)), 3)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if not save_keys[k] then error(("sentiment.fasttext:%s: unknown option '%s'"):format(fn, tostring(k)), 3) end
  end
  local q = opts.quantize
  if q ~= nil and q ~= false and q ~= "int8" then
    error(("sentiment.fasttext:%s: quantize must be \"int8\" or false, got %s"):format(fn, tostring(q)), 3)
  end
  return q == "int8" and "int8" or "plain"
end

function FT:save(path, opts)
  if type(path) ~= "string" then error("sentiment.fasttext:save: path must be a string", 2) end
  self.native:save(path, rows_codec(opts, "save"))
end

-- The bytes :save(path, opts) writes, as a string (no file); from_bytes reads them back.
function FT:to_bytes(opts)
  return self.native:to_bytes(rows_codec(opts, "to_bytes"))
end

-- A model from the bytes of a model file; errors name `name` (default "(memory)").
function M.from_bytes(s, name)
  if type(s) ~= "string" then error("sentiment.fasttext.from_bytes: bytes must be a string, got " .. type(s), 2) end
  if name ~= nil and type(name) ~= "string" then error("sentiment.fasttext.from_bytes: name must be a string", 2) end
  local native = text.core.fasttext_load_bytes(s, name)
  return setmetatable({ native = native, classes = native:info().n_classes }, FT)
end

function FT:info() return self.native:info() end

-- f32 [#texts, classes] probabilities.
function FT:predict(texts) return self.native:predict(texts) end

-- Lua array of P(class 1) (the positive class for sentiment).
function FT:prob(texts)
  local p = self.native:predict(texts):totable()
  local out = {}
  for i = 1, #p do out[i] = p[i][2] end
  return out
end

-- Units of text with their contributions to the log-odds of class 1 versus class 0 (binary)
-- or to the centred logit of class c (0-based); they sum with `bias` to that logit.
function FT:explain(s, c)
  local toks, contrib, bias = self.native:explain(s, c or 1)
  if self.classes == 2 then
    for i = 1, #contrib do contrib[i] = 2 * contrib[i] end
    bias = 2 * bias
  end
  return toks, contrib, bias
end

return M
