-- test_text.lua — tide.text from Lua: normalisation edge cases (full-width, U+FEFF, emoji
-- sequences as one token, invalid bytes, empty text, mixed scripts), tokenisation with CJK
-- n-grams and options, round trips, vocab build/save/load/corrupt, ids + offsets, error paths.
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

-- Emoji sequences are one token each (UAX #29 extended grapheme clusters). Expectations are
-- written as code points (\u{...}) from the Unicode emoji sequence data files.
function T.tokenize_emoji_sequences()
  local ZWJ, VS16 = "\u{200D}", "\u{FE0F}"
  local family = "\u{1F468}" .. ZWJ .. "\u{1F469}" .. ZWJ .. "\u{1F467}"
  local thumbs = "\u{1F44D}\u{1F3FD}"
  local cn, us = "\u{1F1E8}\u{1F1F3}", "\u{1F1FA}\u{1F1F8}"
  local keycap = "1" .. VS16 .. "\u{20E3}"
  local cases = {
    { family, { family } },
    { thumbs, { thumbs } },
    { cn .. us, { cn, us } },
    { keycap, { keycap } },
    { "好" .. thumbs .. "great" .. family .. "棒", { "好", thumbs, "great", family, "棒" } },
    { "Nice" .. keycap .. "很好", { "nice", keycap, "很", "好" } },
    { "a" .. ZWJ .. "b", { "ab" } },                       -- lone ZWJ between letters: removed
    { "\u{1F468}" .. ZWJ .. "x", { "\u{1F468}", "x" } },   -- ZWJ not followed by a pictograph
  }
  for _, c in ipairs(cases) do
    local toks, kinds = text.tokenize(c[1], { kinds = true })
    check.eq(table.concat(toks, "|"), table.concat(c[2], "|"), "tokens of " .. c[1])
    for i, t in ipairs(toks) do
      if t:byte(1) >= 0xF0 or t == keycap then check.eq(kinds[i], "emoji", "kind of " .. t) end
    end
  end
  -- invalid bytes around and inside a sequence
  local toks, bad = text.tokenize("\255" .. thumbs .. "\254")
  check.eq(table.concat(toks, "|"), thumbs, "bad bytes around")
  check.eq(bad, 2, "bad count")
  toks, bad = text.tokenize("\u{1F468}" .. ZWJ .. "\192\u{1F469}")
  check.eq(table.concat(toks, "|"), "\u{1F468}|\u{1F469}", "bad byte after ZWJ splits")
  check.eq(bad, 1, "bad count inside")
  -- emoji-only text round-trips: normalised unchanged, tokens concatenate back
  local s = family .. thumbs .. cn .. us .. keycap .. "\u{2764}" .. VS16
  check.eq(text.normalize(s), s, "emoji text is normal")
  local round = text.tokenize(s)
  check.eq(table.concat(round), s, "emoji round trip")
  -- the vocabulary counts a family as one entry
  local v = text.vocab({ family .. " " .. family, thumbs })
  check.eq(v:size(), 2, "vocab entries")
  check.eq(v:id(family), 0, "family id")
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
