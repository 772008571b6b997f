-- tide.sentiment.textcnn_wide — the optional "wide" path of the TextCNN (opts.wide = k > 0):
-- a linear model over the text's n-grams of orders 1..k, added to the convolutional logits
-- and trained jointly with them (Wide & Deep, Cheng et al. 2016). The convolutions see units
-- through small dense embeddings, so a rare but telling n-gram cannot get a weight of its
-- own; the wide path gives it one, as a linear bag-of-n-grams classifier would.
-- Features: every n-gram hashed into 2^24 FNV-1a buckets (tide.core.text.ids(nil, texts, 0,
-- k, B); units are CJK characters or Latin words), buckets in at least `min_df` training
-- texts kept (most frequent first, at most max_size), weighted (1 + ln tf) * idf with
-- idf = ln((1 + n) / (1 + df)) + 1 and L2-normalised per text (sublinear, smoothed TF-IDF as
-- in Salton & Buckley 1988 / scikit-learn's TfidfVectorizer). Unseen n-grams are dropped.
-- With chars = c > 0 the character n-grams of each word unit join the features (char_grams).
local tide = require "tide"
local T = tide.tensor
local tcore = tide.core.text
local NG = require "tide.sentiment.textcnn_ngrams"

local M = {}
M.BUCKETS = 2 ^ 24

-- Character n-grams of orders 1..c of each word (Latin) unit, padded with a space on both
-- sides as scikit-learn's "char_wb" analyzer does (the lone padding space is skipped), for
-- morphology the word n-grams miss (disappoint/ed/ing). Hashed by a polynomial over the
-- bytes mod a prime below 2^31 (exact in doubles) into buckets 2^24 .. 2^25 - 1, apart from
-- the unit n-grams. Appends to list; owner[j] = the unit an appended entry belongs to.
local P = 2147483629
local function char_grams(s, c, list, owner)
  local toks, kinds = tcore.units(s, 0, 1)
  for u, t in ipairs(toks) do
    if kinds[u] == "word" then
      local ch = {}
      for x in (" " .. t .. " "):gmatch("[%z\1-\127\194-\244][\128-\191]*") do ch[#ch + 1] = x end
      for a = 1, #ch do
        local h = 7
        for b = a, math.min(#ch, a + c - 1) do
          for q = 1, #ch[b] do h = (h * 257 + ch[b]:byte(q)) % P end
          if not (b == a and ch[a] == " ") then
            list[#list + 1] = M.BUCKETS + (h * 31 + b - a) % M.BUCKETS
            owner[#list] = u
          end
        end
      end
    end
  end
end

-- unpin: a big table captured by a closure that runs in a hot loop is set to nil once done.
-- A LuaJIT trace compiled for the closure keeps the closure (so its upvalues) alive until the
-- trace is flushed; every garbage-collector cycle then walks the dead table, and the tensor
-- bindings force a cycle per 64 MB allocated, so training steps slowed by half.

-- Calls fn(text index, list, owner) for every text: list = the buckets of its unit n-grams
-- of orders 1..k (tide.core.text.ids layout: the n unigrams, then the n-1 bigrams, ... by
-- start position), then its words' character n-grams when c > 0 (owner: see char_grams).
local function each_text(texts, k, c, fn)
  local ids, off = tcore.ids(nil, texts, 0, k, M.BUCKETS)
  local h, o = ids:totable(), off:totable()
  for i = 1, #o - 1 do
    local list, owner = {}, {}
    for j = o[i] + 1, o[i + 1] do list[#list + 1] = h[j] end
    if c > 0 then char_grams(texts[i], c, list, owner) end
    fn(i, list, owner)
  end
end

-- The feature set of the training texts: {k =, list = bucket ids (row = index + 1; row 1 is
-- padding), df = document frequencies (same order), n = number of training texts}.
function M.build(texts, k, min_df, max_size, chars)
  local df = {}
  chars = chars or 0
  each_text(texts, k, chars, function(_, list)
    local seen = {}
    for _, b in ipairs(list) do
      if not seen[b] then seen[b] = true; df[b] = (df[b] or 0) + 1 end
    end
  end)
  local list = NG.top(df, min_df, max_size)
  local dfs = {}
  for i, b in ipairs(list) do dfs[i] = df[b] end
  df = nil -- (see unpin)
  return M.index({ k = k, chars = chars, list = list, df = dfs, n = #texts })
end

-- Adds the lookup tables (bucket -> row, row -> idf) to a feature set.
function M.index(fs)
  if not fs.list then fs.list, fs.df = fs.buckets:totable(), fs.dft:totable() end
  fs.row, fs.idf = {}, {}
  for i, b in ipairs(fs.list) do
    fs.row[b] = i + 1
    fs.idf[i + 1] = math.log((1 + fs.n) / (1 + fs.df[i])) + 1
  end
  return fs
end

-- Rows and L2-normalised sublinear TF-IDF weights of one text's n-gram buckets (list[j]
-- skipped where skip(j) is true).
local function features(fs, list, skip)
  local tf, order = {}, {}
  for j, b in ipairs(list) do
    local r = fs.row[b]
    if r and not (skip and skip(j)) then
      if not tf[r] then order[#order + 1] = r; tf[r] = 0 end
      tf[r] = tf[r] + 1
    end
  end
  local w, ss = {}, 0
  for j, r in ipairs(order) do w[j] = (1 + math.log(tf[r])) * fs.idf[r]; ss = ss + w[j] * w[j] end
  local s = ss > 0 and 1 / math.sqrt(ss) or 0
  for j = 1, #w do w[j] = w[j] * s end
  return order, w
end

-- Flat form of per-text feature lists: rows i32 [N], weights f32 [N] and 0-based offsets
-- (a Lua table of n + 1; text i owns entries off[i] + 1 .. off[i + 1]).
local function flatten(lists)
  local R, Wt, off = {}, {}, { 0 }
  for i, l in ipairs(lists) do
    for j, r in ipairs(l[1]) do R[#R + 1] = r; Wt[#Wt + 1] = l[2][j] end
    off[i + 1] = #R
  end
  if #R == 0 then return { off = off } end
  return { rows = T.fromtable(R, "i32"), w = T.fromtable(Wt, "f32"), off = off }
end

-- The features of texts, flat (see flatten).
function M.encode(fs, texts)
  if not fs.row then M.index(fs) end
  local lists = {}
  each_text(texts, fs.k, fs.chars, function(i, list) lists[i] = { features(fs, list) } end)
  local out = flatten(lists)
  lists = nil -- (see unpin)
  return out
end

-- Occlusion copies of one text of n units (for explanations), flat: copy 1 is the whole
-- text, copy u + 1 drops every n-gram that covers unit u. The ids layout holds, per text of
-- n units, the n unigrams, then the n-1 bigrams, ... by start position.
function M.occlusions(fs, s, n)
  if not fs.row then M.index(fs) end
  local lists = {}
  each_text({ s }, fs.k, fs.chars, function(_, list, owner)
    local span, start = {}, {}
    local j = 0
    for order = 1, fs.k do
      for st = 1, n - order + 1 do j = j + 1; start[j], span[j] = st, order end
    end
    local extra = 0
    for _ in pairs(owner) do extra = extra + 1 end
    assert(j + extra == #list, "textcnn_wide.occlusions: unit count differs from the tokenizer's")
    for q = j + 1, #list do start[q], span[q] = owner[q], 1 end
    lists[1] = { features(fs, list) }
    for u = 1, n do
      lists[u + 1] = { features(fs, list, function(q) return start[q] <= u and u < start[q] + span[q] end) }
    end
  end)
  local out = flatten(lists)
  lists = nil -- (see unpin)
  return out
end

-- The features of the texts sel (indices into enc) as one flat batch: rows, weights and the
-- 1-based position in sel of each entry (for index_add); nil when none has a feature.
function M.batch(enc, sel)
  if not enc.rows then return nil end
  local pos, owner, off = {}, {}, enc.off
  for b, i in ipairs(sel) do
    for j = off[i] + 1, off[i + 1] do pos[#pos + 1] = j; owner[#owner + 1] = b end
  end
  if #pos == 0 then return nil end
  local ix = T.fromtable(pos, "i32") -- converted once, used twice
  return enc.rows:index_select(1, ix), enc.w:index_select(1, ix), owner
end

-- The feature set as two i32 tensors (buckets, document frequencies) for the checkpoint
-- (TextCNN buffers wide_buckets / wide_df), and back with k and the training-text count.
function M.tensors(fs) return T.fromtable(fs.list, "i32"), T.fromtable(fs.df, "i32") end
function M.from_tensors(k, chars, n, buckets, df)
  return { k = k, chars = chars, n = n, buckets = buckets, dft = df }
end

-- Drops the Lua lookup tables, keeping the feature set in its tensors (the model's buffers);
-- the next encode rebuilds them. Training calls it once the training texts are encoded, so
-- the garbage collector does not walk these tables (one entry per n-gram, 400k on
-- online_shopping) in every cycle of the training loop.
function M.release(fs, buckets, df)
  fs.buckets, fs.dft = buckets, df
  fs.list, fs.df, fs.row, fs.idf = nil, nil, nil, nil
end

return M
