-- test_fasttext_size.lua — the fastText model file (format 2, engine/fasttext_io.c) from Lua:
-- load(save(m)) predicts bit-identically; with the default 2^19 buckets a small corpus gives a
-- file far below format 1's 64 MiB (only changed rows stored); quantize = "int8" is smaller
-- and close; every truncation is refused naming the file; bad save options are rejected.
local tide = require "tide"
local check = require "check"
local S = tide.sentiment

local T = {}

local pos = { "很好", "喜欢", "不错", "great", "love it", "推荐", "满意", "舒服" }
local neg = { "很差", "失望", "难吃", "awful", "broken", "退货", "太贵", "脏" }
local filler = { "酒店", "房间", "外卖", "the room", "service", "价格", "快递", "and", "我们" }

-- Deterministic synthetic reviews: label word(s) among filler, mixed scripts.
local function corpus(n, seed)
  local texts, labels, h = {}, {}, seed
  local function nxt(k) h = (h * 1103515245 + 12345) % 2147483648; return h % k + 1 end
  for i = 1, n do
    local y = nxt(2) - 1
    local words = {}
    for _ = 1, 3 + nxt(4) do words[#words + 1] = filler[nxt(#filler)] end
    table.insert(words, nxt(#words), (y == 1 and pos or neg)[nxt(8)])
    texts[i], labels[i] = table.concat(words, " "), y
  end
  return texts, labels
end

local function size(p) local f = assert(io.open(p, "rb")); local n = f:seek("end"); f:close(); return n end
local function slurp(p) local f = assert(io.open(p, "rb")); local s = f:read("*a"); f:close(); return s end
local function spit(p, s) local f = assert(io.open(p, "wb")); f:write(s); f:close() end

local function same(a, b)
  a, b = a:totable(), b:totable()
  for i = 1, #a do for k = 1, #a[i] do if a[i][k] ~= b[i][k] then return false, i end end end
  return #a == #b
end

function T.roundtrip_bit_identical_and_size_bound()
  local texts, labels = corpus(300, 7)
  local m = S.fasttext.train(texts, labels, { epochs = 4 }) -- default dim 32, 2^19 buckets
  local path = os.tmpname()
  m:save(path)
  local l = S.fasttext.load(path)
  local probe = corpus(100, 99)
  check.truthy(same(m:predict(probe), l:predict(probe)), "bit-identical predictions after load")
  check.truthy(same(m:predict(probe), S.load(path):predict(probe)), "tide.sentiment.load dispatch")
  -- format 1 wrote (2^19 + vocab) x 32 x 4 bytes = 64 MiB; 300 short reviews touch a few
  -- thousand rows (each at most 128 bytes) plus a 64 KiB bitmap
  local info = m:info()
  check.eq(info.buckets, 2 ^ 19, "default buckets")
  check.truthy(size(path) < 1.5e6, "file size " .. size(path) .. " < 1.5 MB")
  -- the XOR codec ("f32", the format before PLAIN became the default) still round-trips
  -- exactly, and both codecs store the same rows
  local px = os.tmpname()
  m.native:save(px, "f32")
  check.truthy(same(m:predict(probe), S.fasttext.load(px):predict(probe)), "f32 (XOR) codec exact")
  check.truthy(math.abs(size(px) - size(path)) < 0.2 * size(path), "same rows stored")
  os.remove(path); os.remove(px)
end

function T.int8_is_smaller_and_close()
  local texts, labels = corpus(400, 3)
  local m = S.fasttext.train(texts, labels, { epochs = 4 })
  local p32, p8 = os.tmpname(), os.tmpname()
  m:save(p32)
  m:save(p8, { quantize = "int8" })
  check.truthy(size(p8) < size(p32) / 2, ("int8 %d B vs f32 %d B"):format(size(p8), size(p32)))
  local probe = corpus(200, 5)
  local a, b = m:prob(probe), S.fasttext.load(p8):prob(probe)
  local agree = 0
  for i = 1, #a do
    check.near(b[i], a[i], 0.02, "int8 P(positive) " .. i)
    if (a[i] > 0.5) == (b[i] > 0.5) then agree = agree + 1 end
  end
  check.truthy(agree >= 198, "int8 agrees on the predicted class")
  m:save(p8, { quantize = false }) -- explicit lossless
  check.truthy(same(m:predict(probe), S.fasttext.load(p8):predict(probe)), "quantize=false lossless")
  os.remove(p32); os.remove(p8)
end

function T.every_truncation_refused()
  local texts, labels = corpus(20, 11)
  local m = S.fasttext.train(texts, labels, { epochs = 2, buckets = 64, dim = 4 })
  local path, bad = os.tmpname(), os.tmpname()
  for _, q in ipairs { false, "int8" } do
    m:save(path, { quantize = q })
    local s = slurp(path)
    for len = 0, #s - 1 do
      spit(bad, s:sub(1, len))
      check.errors(function() S.fasttext.load(bad) end, bad, "prefix of " .. len .. " bytes")
    end
  end
  os.remove(path); os.remove(bad)
end

function T.bad_save_options()
  local texts, labels = corpus(20, 13)
  local m = S.fasttext.train(texts, labels, { epochs = 1, buckets = 16, dim = 4 })
  local path = os.tmpname()
  check.errors(function() m:save(path, { quantize = "int4" }) end, 'quantize must be "int8" or false')
  check.errors(function() m:save(path, { quantise = "int8" }) end, "unknown option 'quantise'")
  check.errors(function() m:save(path, "int8") end, "opts must be a table")
  check.errors(function() m:save(nil) end, "path must be a string")
  check.errors(function() m.native:save(path, "f16") end, "rows must be 'plain', 'f32' or 'int8'")
  check.errors(function() m:save("/nonexistent-dir/x.ft") end, "/nonexistent-dir/x.ft")
  check.errors(function() S.fasttext.load("/nonexistent-dir/x.ft") end, "/nonexistent-dir/x.ft")
  os.remove(path)
end

return T
