-- tide.text — text normalisation, tokenisation, vocabularies and ids (native core: text.c).
--
--   tide.text.normalize(s [, {strict = true}])   -> normalised string, n_invalid
--   tide.text.tokenize(s [, opts])                -> tokens [, kinds]
--   tide.text.vocab(texts, {min_count, max_size, ...})  -> vocabulary (tide.Vocab)
--   tide.text.load_vocab(path)                    -> vocabulary;  v:save(path)
--   tide.text.ids(texts, vocab, {ngrams = 2, buckets = 2^19})
--                                                 -> ids (i32 [total]), offsets (i64 [n+1])
-- Token ids are 0-based rows of an embedding table: vocabulary ids first, then
-- n_vocab + FNV-1a(ngram) % buckets for hashed n-grams and out-of-vocabulary units (text.h).
-- Text i's ids are ids[offsets[i] .. offsets[i+1]-1] in 0-based offsets.
local core = require("tide").core.text

local M = { core = core }

-- Tokenizer options -> native flags:
--   strict = true      invalid UTF-8 is an error (default: replaced by U+FFFD and counted)
--   punct = false      drop punctuation/symbol tokens (default: keep)
--   numbers = "keep" | "mask" (-> "<num>") | "drop"
function M.flags(opts)
  if opts == nil then return 0 end
  if type(opts) ~= "table" then error("tide.text: options must be a table, got " .. type(opts), 3) end
  local f = 0
  if opts.strict then f = f + core.STRICT end
  if opts.punct == false then f = f + core.NO_PUNCT end
  local num = opts.numbers or "keep"
  if num == "mask" then f = f + core.MASK_NUM
  elseif num == "drop" then f = f + core.DROP_NUM
  elseif num ~= "keep" then error("tide.text: numbers must be 'keep', 'mask' or 'drop', got '" .. tostring(num) .. "'", 3) end
  return f
end

local function check_string(s, fn)
  if type(s) ~= "string" then error(("tide.text.%s: argument #1: expected string, got %s"):format(fn, type(s)), 3) end
end

-- NFKC + case folding; BOM/U+FEFF, zero-width, format and control characters removed (ZWJ,
-- U+FE0F and tags kept inside emoji sequences); whitespace collapsed. Returns the text and the number of invalid byte sequences replaced.
function M.normalize(s, opts)
  check_string(s, "normalize")
  return core.normalize(s, M.flags(opts))
end

-- Tokens of s: CJK characters, words, numbers, punctuation, emoji (in text order; an emoji
-- sequence — ZWJ family, skin tone, VS16, keycap, flag — is one token), followed,
-- when opts.ngrams = n >= 2, by the character 2..n-grams of each CJK run.
-- With opts.kinds = true also returns the kind of each token
-- ("word", "num", "cjk", "punct", "emoji", "ngram").
function M.tokenize(s, opts)
  check_string(s, "tokenize")
  opts = opts or {}
  local ng = opts.ngrams or 1
  if type(ng) ~= "number" or ng < 1 or ng > 8 or ng % 1 ~= 0 then
    error("tide.text.tokenize: ngrams must be an integer in 1..8", 2)
  end
  local toks, kinds, bad = core.units(s, M.flags(opts), ng)
  if opts.kinds then return toks, kinds, bad end
  return toks, bad
end

local function check_texts(texts, fn)
  if type(texts) ~= "table" then
    error(("tide.text.%s: texts must be a table of strings, got %s"):format(fn, type(texts)), 3)
  end
end

-- Builds a vocabulary over the units of texts: tokens seen >= min_count times (default 1),
-- at most max_size of them (default unlimited), ids by count descending then bytes.
function M.vocab(texts, opts)
  check_texts(texts, "vocab")
  opts = opts or {}
  local v = core.vocab_new()
  v:add_texts(texts, M.flags(opts))
  local p = v:prune(opts.min_count or 1, opts.max_size or 0)
  v:free()
  return p
end

function M.load_vocab(path)
  if type(path) ~= "string" then error("tide.text.load_vocab: path must be a string", 2) end
  return core.vocab_load(path)
end

-- Ids for a batch of texts (see the header). vocab may be nil (every unit hashed).
function M.ids(texts, vocab, opts)
  check_texts(texts, "ids")
  opts = opts or {}
  local buckets = opts.buckets
  if buckets == nil then buckets = 2 ^ 19 end
  return core.ids(vocab, texts, M.flags(opts), opts.ngrams or 2, buckets)
end

return M
