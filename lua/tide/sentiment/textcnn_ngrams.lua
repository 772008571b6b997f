-- tide.sentiment.textcnn_ngrams — the character n-gram channels of the TextCNN (orders 2 and
-- 3) with min-count vocabularies (not bare hashing): n-grams are first hashed into 2^24
-- FNV-1a buckets (tide.core.text.ids(nil, texts, 0, k, B); collisions between frequent
-- n-grams are rare at that size), then every bucket seen at least `min_count` times in the
-- training texts gets its own embedding row and all others share one out-of-vocabulary row,
-- as a word vocabulary would (cf. the character-bigram features of Chinese segmenters, Pei et
-- al. 2014; region embeddings of n-grams, Johnson & Zhang 2015).
-- An encoded channel is aligned with the units: position t holds the n-gram that ENDS at unit
-- t, so it pads with tide.core.text.pad like the units. Values: -1 = none (t < k-1; row 1,
-- the padding row, after the shift of 2), 0 = out of vocabulary (row 2), 1.. = the
-- vocabulary (rows 3..).
local tide = require "tide"
local T = tide.tensor
local tcore = tide.core.text

local M = {}
M.BUCKETS = 2 ^ 24

-- The channels a TextCNN may have: option and checkpoint names per order.
M.CHANNELS = {
  { k = 2, min = "bigram_min", dim = "bigram_dim", max = "bigram_max", n = "n_bi", layer = "embb", meta = "bigram_vocab" },
  { k = 3, min = "trigram_min", dim = "trigram_dim", max = "trigram_max", n = "n_tri", layer = "embt", meta = "trigram_vocab" },
}

-- Calls fn(text index, unit position t (0-based), position j (1-based) in ids) for every
-- order-k n-gram of every text in the tcore.ids(nil, texts, 0, k, B) layout: a text of n units
-- holds n unigram ids, then n-1 bigram ids, ..., then n-k+1 order-k ids (by start position).
local function each_gram(off, k, fn)
  -- ids a text of m units holds: m + (m-1) + ... + (m-k+1), no term below 0
  local function size(m) local s = 0; for j = 1, k do s = s + math.max(0, m - j + 1) end; return s end
  for i = 1, #off - 1 do
    local len, n = off[i + 1] - off[i], 0
    while size(n) < len do n = n + 1 end
    local first = off[i] + size(n) - math.max(0, n - k + 1)
    for s = 0, n - k do fn(i, s + k - 1, first + s + 1) end
  end
end

-- Vocabulary of the training texts for order k: an array of bucket ids (row = index + 2),
-- most frequent first (ties by bucket id), at most max_size entries.
function M.build(texts, k, min_count, max_size)
  local ids, off = tcore.ids(nil, texts, 0, k, M.BUCKETS)
  local h, count = ids:totable(), {}
  each_gram(off:totable(), k, function(_, _, j) local b = h[j]; count[b] = (count[b] or 0) + 1 end)
  local list = M.top(count, min_count, max_size)
  h, count = nil, nil -- free what the closure captured (textcnn_wide.lua: unpin)
  return list
end

-- The keys of count (bucket -> count) with count >= min_count, most frequent first (ties by
-- bucket id), at most max_size of them.
function M.top(count, min_count, max_size)
  local list = {}
  for b, c in pairs(count) do if c >= min_count then list[#list + 1] = b end end
  table.sort(list, function(a, b)
    if count[a] ~= count[b] then return count[a] > count[b] end
    return a < b
  end)
  for i = #list, max_size + 1, -1 do list[i] = nil end
  return list
end

-- Map from bucket id to compact id (0 = out of vocabulary).
function M.index(list)
  local map = {}
  for i, b in ipairs(list) do map[b] = i end
  return map
end

-- Aligned ids (see the top) of the order-k channel; `uoff` are the unit offsets of the same
-- texts (tcore.ids(vocab, texts, 0, 1, 1)), which the result shares.
function M.encode(map, k, texts, uoff)
  local ids, off = tcore.ids(nil, texts, 0, k, M.BUCKETS)
  local h, uo, out = ids:totable(), uoff:totable(), {}
  for j = 1, uo[#uo] do out[j] = -1 end
  each_gram(off:totable(), k, function(i, t, j) out[uo[i] + t + 1] = map[h[j]] or 0 end)
  local ids_out = T.fromtable(out, "i32")
  h, uo, out = nil, nil, nil -- free what the closure captured (textcnn_wide.lua: unpin)
  return ids_out
end

-- Checkpoint form: bucket ids as a comma-separated string, and back.
function M.dump(list) return table.concat(list, ",") end
function M.parse(s)
  local list = {}
  for x in (s or ""):gmatch("%d+") do list[#list + 1] = tonumber(x) end
  return list
end

return M
