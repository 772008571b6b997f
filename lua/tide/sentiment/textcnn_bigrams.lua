-- tide.sentiment.textcnn_bigrams — the character-bigram channel of the TextCNN with a
-- min-count vocabulary (not bare hashing): bigrams are first hashed into 2^24 FNV-1a buckets
-- (tide.core.text.ids(nil, texts, 0, 2, B); collisions between frequent bigrams are rare at
-- that size), then every bucket seen at least `min_count` times in the training texts gets
-- its own embedding row and all others share one out-of-vocabulary row, as a word
-- vocabulary would (cf. the character-bigram features of Chinese segmenters, Pei et al. 2014).
-- Rows: 1 = padding / first step, 2 = out-of-vocabulary bigram, 3.. = the vocabulary.
local tide = require "tide"
local T = tide.tensor
local tcore = tide.core.text

local M = {}
M.BUCKETS = 2 ^ 24

-- positions of the bigram ids of each text in the ids(nil, texts, 0, 2, B) layout: a text
-- of n units holds n unigram ids, then n-1 bigram ids
local function each_bigram(off, fn)
  for i = 1, #off - 1 do
    local len = off[i + 1] - off[i]
    local n = (len + 1) / 2
    for j = off[i] + n + 1, off[i + 1] do fn(j) end -- 1-based positions in the ids table
  end
end

-- Vocabulary of the training texts: an array of bucket ids (row = index + 2), most
-- frequent first (ties by bucket id), at most max_size entries.
function M.build(texts, min_count, max_size)
  local ids, off = tcore.ids(nil, texts, 0, 2, M.BUCKETS)
  local h, count = ids:totable(), {}
  each_bigram(off:totable(), function(j) local b = h[j]; count[b] = (count[b] or 0) + 1 end)
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

-- ids/offsets for tcore.pad_bigrams(ids, offsets, rows, T, 2): bucket ids replaced by
-- compact ids, so padded rows come out as 1 (pad), 2 (unknown), 3.. (vocabulary).
function M.encode(map, texts)
  local ids, off = tcore.ids(nil, texts, 0, 2, M.BUCKETS)
  local h = ids:totable()
  local out = {}
  for j = 1, #h do out[j] = 0 end
  each_bigram(off:totable(), function(j) out[j] = map[h[j]] or 0 end)
  return T.fromtable(out, "i32"), off
end

-- Checkpoint form: bucket ids as a comma-separated string, and back.
function M.dump(list) return table.concat(list, ",") end
function M.parse(s)
  local list = {}
  for x in (s or ""):gmatch("%d+") do list[#list + 1] = tonumber(x) end
  return list
end

return M
