-- tide.sentiment.fasttext — the fastText-style review classifier (engine/fasttext.c: averaged
-- or sqrt-pooled embeddings of units + hashed n-grams -> linear -> softmax, deterministic C SGD).
--   local ft = tide.sentiment.fasttext.train(texts, labels, opts)   labels: 0/1 (or 0..k-1)
--   ft:prob(texts) -> {P(class 1)...};  ft:predict(texts) -> f32 [n, k] (scored on TIDE_THREADS
--   threads, default the online CPUs; results do not depend on the count);  ft:explain(text)
--   ft:save(path);  tide.sentiment.fasttext.load(path)
local text = require "tide.text"
local T = require("tide").tensor

local M = {}
local FT = {}
FT.__index = FT

-- Defaults measured on online_shopping_10_cats (see tests/bench/bench_sentiment.sh).
M.defaults = { dim = 32, ngrams = 3, buckets = 2 ^ 19, epochs = 3, lr = 0.1, seed = 1,
               min_count = 1, pool = "sqrt" }

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

function M.train(texts, labels, opts)
  opts = opts or {}
  if type(texts) ~= "table" then error("sentiment.fasttext.train: texts must be a table of strings", 2) end
  local k = opts.classes or 2
  check_labels(labels, #texts, k)
  local flags = text.flags(opts)
  if opt(opts, "pool") == "sqrt" then flags = flags + SQRTN
  elseif opt(opts, "pool") ~= "mean" then error("sentiment.fasttext.train: pool must be 'sqrt' or 'mean'", 2) end
  local vocab = text.vocab(texts, { min_count = opt(opts, "min_count"), max_size = opts.max_size,
                                    strict = opts.strict, punct = opts.punct, numbers = opts.numbers })
  local ng, nb = opt(opts, "ngrams"), opt(opts, "buckets")
  local ids, off = text.core.ids(vocab, texts, flags, ng, nb)
  local native = text.core.fasttext_new(vocab, opt(opts, "dim"), k, flags, ng, nb, opt(opts, "seed"))
  vocab:free()
  local self = setmetatable({ native = native, classes = k }, FT)
  self.loss = native:train(ids, off, T.fromtable(labels, "i32"), opt(opts, "epochs"), opt(opts, "lr"),
                           opt(opts, "seed") + 1)
  return self
end

function M.load(path)
  if type(path) ~= "string" then error("sentiment.fasttext.load: path must be a string", 2) end
  local native = text.core.fasttext_load(path)
  return setmetatable({ native = native, classes = native:info().n_classes }, FT)
end

function FT:save(path) self.native:save(path) end
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
