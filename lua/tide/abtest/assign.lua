-- tide.abtest.assign — deterministic salted assignment of units to arms, and the
-- sample-ratio-mismatch (SRM) check.
--
-- Hash: u = top 53 bits of XXH64(id, seed = XXH64(salt)) / 2^53 (engine/ab_assign.h). An integer
-- id is hashed as its decimal text, so 42 and "42" are the same unit; a string id as its bytes.
-- u < holdout -> "holdout"; otherwise the rest of [0, 1) is cut in proportion to the weights.
-- A unit's arm depends only on (salt, id, arms, holdout): stable across runs, machines and the
-- order or presence of other ids. Use a new salt per experiment so that assignments of
-- concurrent experiments are independent.
local util = require("tide.abtest.util")
local core = util.core

local M = {}

-- arms: {control = 0.5, treat = 0.5} (ordered by name), or a list {"a", "b"} (equal weights), or
-- a list of {name, weight} pairs (kept in order) -> names, weights
local function parse_arms(arms, fn)
  if arms == nil then return { "control", "treatment" }, { 1, 1 } end
  if type(arms) ~= "table" then error(fn .. ": 'arms' must be a table, got " .. type(arms), 3) end
  local names, w = {}, {}
  if #arms > 0 then
    for i, a in ipairs(arms) do
      if type(a) == "string" then names[i], w[i] = a, 1
      elseif type(a) == "table" and type(a[1]) == "string" and type(a[2]) == "number" then names[i], w[i] = a[1], a[2]
      else error(("%s: arms[%d] must be a name or {name, weight}"):format(fn, i), 3) end
    end
  else
    for k in pairs(arms) do
      if type(k) ~= "string" then error(fn .. ": arm names must be strings", 3) end
      names[#names + 1] = k
    end
    table.sort(names)
    for i, k in ipairs(names) do
      if type(arms[k]) ~= "number" then error(("%s: weight of arm '%s' must be a number"):format(fn, k), 3) end
      w[i] = arms[k]
    end
  end
  if #names == 0 then error(fn .. ": 'arms' is empty", 3) end
  local seen = {}
  for i, n in ipairs(names) do
    if n == "holdout" then error(fn .. ": 'holdout' is reserved for the holdout share", 3) end
    if seen[n] then error(("%s: arm '%s' is listed twice"):format(fn, n), 3) end
    seen[n] = true
    if not (w[i] >= 0 and w[i] < math.huge) then error(("%s: weight of arm '%s' must be finite and >= 0"):format(fn, n), 3) end
  end
  return names, w
end
M.parse_arms = parse_arms

--- assign.assign(ids, {salt = "exp-1", arms = {control = 0.5, treat = 0.5} | {"a", "b"} |
---   {{"a", 2}, {"b", 1}}, holdout = 0}) -> arms (Lua array of arm names, "holdout" for held-out
---   units), codes (i32 tensor: 0 holdout, k = k-th arm), names (arm names in code order)
--- ids: a Lua array of integers and/or strings, or an integer tensor. salt is required.
function M.assign(ids, opts)
  local fn = "abtest.assign"
  opts = util.opts(opts, { salt = 1, arms = 1, holdout = 1 }, fn)
  if type(opts.salt) ~= "string" or opts.salt == "" then
    error(fn .. ": 'salt' (a string naming the experiment) is required", 2)
  end
  local names, w = parse_arms(opts.arms, fn)
  local holdout = opts.holdout or 0
  if type(holdout) ~= "number" then error(fn .. ": 'holdout' must be a number in [0, 1)", 2) end
  local ok, codes = pcall(core.assign, opts.salt, ids, w, holdout)
  if not ok then error((tostring(codes):gsub("^abtest%.assign: ", fn .. ": ")), 2) end
  local out, c = {}, codes:totable()
  for i = 1, #c do out[i] = c[i] == 0 and "holdout" or names[c[i]] end
  return out, codes, names
end

--- assign.unit(salt, id) -> the unit value u in [0, 1) of one id (for audits and tests)
function M.unit(salt, id)
  if type(salt) ~= "string" then error("abtest.unit: salt must be a string", 2) end
  return core.unit(salt, id)
end

--- assign.srm(counts, expected) -> {chi2, df, p, n}: Pearson chi-square goodness of fit of the
--- observed arm counts to the designed shares (sample-ratio mismatch; a small p, conventionally
--- < 0.001, means the assignment or the logging is broken and the test must not be read).
--- counts: array or {arm = count}; expected: shares in the same layout (normalised here).
function M.srm(counts, expected)
  local fn = "abtest.srm"
  if type(counts) ~= "table" or type(expected) ~= "table" then
    error(fn .. ": counts and expected shares must be tables", 2)
  end
  local keys = {}
  if #counts > 0 then for i = 1, #counts do keys[i] = i end
  else for k in pairs(counts) do keys[#keys + 1] = k end; table.sort(keys, function(a, b) return tostring(a) < tostring(b) end) end
  if #keys < 2 then error(fn .. ": need at least 2 arms", 2) end
  local n, sw = 0, 0
  for _, k in ipairs(keys) do
    local c, e = counts[k], expected[k]
    if type(c) ~= "number" or c < 0 or c ~= math.floor(c) then error(("%s: count of arm %s must be an integer >= 0"):format(fn, tostring(k)), 2) end
    if type(e) ~= "number" or not (e > 0 and e < math.huge) then error(("%s: expected share of arm %s must be > 0"):format(fn, tostring(k)), 2) end
    n, sw = n + c, sw + e
  end
  if n == 0 then error(fn .. ": no units counted", 2) end
  local x2 = 0
  for _, k in ipairs(keys) do
    local e = n * expected[k] / sw
    x2 = x2 + (counts[k] - e) ^ 2 / e
  end
  return { chi2 = x2, df = #keys - 1, p = core.chi2_sf(x2, #keys - 1), n = n }
end

return M
