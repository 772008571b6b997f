-- test_text.lua — tide.text from Lua: normalisation edge cases (full-width, U+FEFF, emoji,
-- invalid bytes, empty text, mixed scripts), tokenisation with CJK n-grams and options,
-- round trips, vocab build/save/load/corrupt, ids + offsets, error paths.
-- Expected strings are written by hand from the Unicode tables.
local tide = require "tide"
local check = require "check"
local text = tide.text

local T = {}

local function tmpname() return os.tmpname() end

function T.normalize_edge_cases()
  check.eq(text.normalize("ＡＢＣ，ｄｅｆ！"), "abc,def!", "full-width")
  check.eq(text.normalize("\239\187\191好\239\187\191评"), "好评", "U+FEFF removed")
  check.eq(text.normalize("a\226\128\139b"), "ab", "zero-width space")
  check.eq(text.normalize(""), "", "empty")
  local s, bad = text.normalize("ok\255\254")
  check.eq(s, "ok\239\191\189\239\191\189", "invalid bytes -> U+FFFD")
  check.eq(bad, 2, "invalid count")
  check.errors(function() text.normalize("ok\255", { strict = true }) end, "invalid UTF-8 at byte 2")
  check.eq(text.normalize("  Hello\tWORLD \n"), "hello world", "case + whitespace")
  check.eq(text.normalize("😀👍"), "😀👍", "emoji untouched")
end

function T.normalize_idempotent()
  for _, s in ipairs { "ＡＢＣ，ｄｅｆ！", "Straße ΣΑΣ", "ﬁ①", "这家酒店很好，不过价格太贵了😀", "e\204\129" } do
    local n1 = text.normalize(s)
    check.eq(text.normalize(n1), n1, "idempotent: " .. s)
  end
end

function T.tokenize_mixed_scripts()
  local toks = text.tokenize("iPhone6很好用😀 Don't!")
  check.eq(table.concat(toks, "|"), "iphone6|很|好|用|😀|don't|!", "units")
  local t2, kinds = text.tokenize("很好用", { ngrams = 3, kinds = true })
  check.eq(table.concat(t2, "|"), "很|好|用|很好|好用|很好用", "CJK n-grams")
  check.eq(kinds[4], "ngram", "kind of n-gram")
  check.eq(kinds[1], "cjk", "kind of char")
  check.eq(table.concat(text.tokenize("a 1,000 b.", { numbers = "mask", punct = false }), "|"), "a|<num>|b")
  check.eq(#text.tokenize(""), 0, "empty text has no tokens")
  check.eq(table.concat(text.tokenize("\239\187\191好"), "|"), "好", "BOM")
end

-- Latin words round-trip: joining the word tokens of normalised text gives the text back.
function T.tokenize_round_trip()
  for _, s in ipairs { "the quick brown fox", "don't stop e-mail me", "café naïve 42" } do
    local toks = text.tokenize(s)
    check.eq(table.concat(toks, " "), text.normalize(s), "round trip " .. s)
  end
  -- CJK without spaces: concatenated units give the normalised text back
  local s = "质量很好，物流也快"
  local toks = text.tokenize(s)
  check.eq(table.concat(toks), text.normalize(s), "CJK round trip")
end

function T.vocab_build_save_load()
  local v = text.vocab({ "好 好 差", "好 一般", "差" }, { min_count = 2 })
  check.eq(v:size(), 2, "min_count")
  check.eq(v:id("好"), 0, "most frequent first")
  check.eq(v:id("差"), 1)
  check.eq(v:id("一般"), nil, "pruned")
  local tok, cnt = v:token(0)
  check.eq(tok, "好"); check.eq(cnt, 3)
  check.eq(text.vocab({ "a b c d" }, { max_size = 2 }):size(), 2, "max_size")
  local path = tmpname()
  v:save(path)
  local w = text.load_vocab(path)
  check.eq(w:size(), 2); check.eq(w:id("差"), 1)
  local f = io.open(path, "rb"); local b = f:read("*a"); f:close()
  f = io.open(path, "wb"); f:write(b:sub(1, 20) .. "X" .. b:sub(22)); f:close()
  check.errors(function() text.load_vocab(path) end, "checksum")
  os.remove(path)
  check.errors(function() text.load_vocab(path) end, "cannot open")
  v:free(); v:free() -- safe twice
  check.errors(function() v:size() end, "freed")
end

function T.ids_and_offsets()
  local v = text.vocab({ "a b" })
  -- FNV-1a-64 mod 10 computed in Python: "c" -> 8, "a\31b" -> 3, "b\31c" -> 7
  local ids, off = text.ids({ "a b c", "", "b" }, v, { ngrams = 2, buckets = 10 })
  check.eq(#ids:totable(), 6, "six ids")
  check.all_near(ids, { 0, 1, 2 + 8, 2 + 3, 2 + 7, 1 }, 0, "ids")
  check.all_near(off, { 0, 5, 5, 6 }, 0, "offsets")
  local ids2 = text.ids({ "a c" }, v, { ngrams = 1, buckets = 0 })
  check.all_near(ids2, { 0 }, 0, "no buckets: OOV dropped")
end

function T.error_paths()
  check.errors(function() text.normalize(nil) end, "expected string")
  check.errors(function() text.tokenize(42) end, "expected string")
  check.errors(function() text.tokenize("a", { ngrams = 9 }) end, "ngrams")
  check.errors(function() text.tokenize("a", { numbers = "round" }) end, "numbers")
  check.errors(function() text.ids({ "a", 3 }, nil) end, "texts[2]")
  check.errors(function() text.vocab("abc") end, "table of strings")
  check.errors(function() text.ids({ "a" }, nil, { ngrams = 0 }) end, "ngrams")
end

return T
