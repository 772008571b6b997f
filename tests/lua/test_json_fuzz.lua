-- test_json_fuzz.lua — random-input loop for tide.data.json (pure Lua, so no libFuzzer target:
-- this stands in for fuzz_json). Properties: any byte string either decodes or fails with a
-- "json.decode: ..." error (never a raw Lua error); mutations of valid documents likewise;
-- decode(encode(v)) == v for random null-free values; encoding is deterministic. Inputs come
-- from a fixed LCG seed so a failure is reproducible; tests/fuzz/corpus/fuzz_json/ holds
-- seeds and the inputs of known decoder issues (see the report of the reliab helper).
local check = require "check"
local J = require "tide.data.json"

local tests = {}

local function lcg(seed)
  local s = seed
  return function(n) s = (s * 1103515245 + 12345) % 2147483648; return s % n end
end

local ALPHA = { "{", "}", "[", "]", ",", ":", '"', "\\", "u", "0", "1", "9", "a", "F", "-", "+", ".", "e",
  "E", " ", "\n", "\t", "true", "false", "null", "n", "\0", "\255", "\194\169", "1e400", "\\u00e9", "\\n" }

local function decodes_or_json_error(s, what)
  local ok, err = pcall(J.decode, s)
  if not ok then
    check.truthy(tostring(err):find("^json%.decode: "), ("%s: %q gave a raw error: %s"):format(what, s, tostring(err)))
  end
end

function tests.random_strings_decode_or_fail_cleanly()
  local r = lcg(2024)
  for _ = 1, 20000 do
    local parts = {}
    for k = 1, 1 + r(24) do parts[k] = ALPHA[1 + r(#ALPHA)] end
    decodes_or_json_error(table.concat(parts), "random")
  end
end

-- a random value: nested tables of numbers, strings, booleans; arrays and objects
local function value(r, depth)
  local k = r(depth > 3 and 4 or 6)
  if k == 0 then return r(2) == 1 end
  if k == 1 then return r(2000001) - 1000000 end
  if k == 2 then return (r(2000001) - 1000000) / (1 + r(997)) * 10 ^ (r(40) - 20) end
  if k == 3 then
    local b = {}
    for i = 1, r(12) do b[i] = string.char(r(2) == 1 and 32 + r(95) or r(256)) end
    return table.concat(b)
  end
  local t = {}
  if k == 4 then for i = 1, r(5) do t[i] = value(r, depth + 1) end
  else for _ = 1, r(5) do t["k" .. r(100)] = value(r, depth + 1) end end
  return t
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function tests.round_trip_of_random_values()
  local r = lcg(7)
  for i = 1, 3000 do
    local v = value(r, 0)
    local s = J.encode(v)
    check.eq(J.encode(v), s, "deterministic encoding")
    local ok, back = pcall(J.decode, s)
    check.truthy(ok, ("value %d: %s does not decode: %s"):format(i, s, tostring(back)))
    check.truthy(same(v, back), ("value %d does not round-trip: %s"):format(i, s))
    check.truthy(same(J.decode(J.encode(v, "  ")), v), "pretty output round-trips")
  end
end

function tests.mutated_documents_decode_or_fail_cleanly()
  local r = lcg(99)
  for _ = 1, 3000 do
    local s = J.encode(value(r, 0))
    local b = { s:byte(1, -1) }
    for _ = 1, 1 + r(3) do
      local op, pos = r(3), 1 + r(#b + 1)
      if op == 0 and #b > 0 then table.remove(b, math.min(pos, #b))
      elseif op == 1 then table.insert(b, math.min(pos, #b + 1), ALPHA[1 + r(#ALPHA)]:byte(1))
      elseif #b > 0 then b[math.min(pos, #b)] = r(256) end
    end
    local c = {}
    for i = 1, #b do c[i] = string.char(b[i]) end
    decodes_or_json_error(table.concat(c), "mutated")
  end
end

-- the decoder issues the fuzz loop found (inputs kept in tests/fuzz/corpus/fuzz_json/known-*)
function tests.known_decoder_issues_are_fixed()
  local t = J.decode("[1,null,3]")
  check.eq(t[1], 1, "first"); check.eq(t[2], nil, "null leaves a hole"); check.eq(t[3], 3, "later elements keep their positions")
  local nan = J.decode("[1,null,3]", { null = 0 / 0 })[2]
  check.truthy(nan ~= nan, "opts.null fills the hole")
  check.eq(J.decode('"\\ud83d\\ude00"'), "\240\159\152\128", "a surrogate pair is one 4-byte code point (U+1F600)")
  check.eq(J.decode('"\\u00e9"'), "\195\169", "a BMP escape")
  for _, bad in ipairs({ '"\\u-001"', '"\\u+1f2"', '"\\u 1f2"', '"\\u12"' }) do
    check.errors(function() J.decode(bad) end, "bad \\u escape")
  end
  check.errors(function() J.decode('"\\ud83d"') end, "unpaired surrogate")
  check.errors(function() J.decode('"\\ude00"') end, "unpaired surrogate")
end

return tests
