-- tide.recommend.sources — turns the many accepted forms of recommender inputs (Lua sets,
-- arrays, maps, tensors, sentiment aggregates, scripted score files) into the few tensors the
-- scoring code reads, checking each with an error that names recommend.new and the option.
local M = {}
local function T() return require("tide").tensor end
local FN = "recommend.new"

local function fail(fmt, ...) error(FN .. ": " .. fmt:format(...), 4) end

--- sources.ids(x, what) -> i32 tensor of ids from a set {[id] = true}, an array or a tensor
function M.ids(x, what)
  if T().is_tensor(x) then return x:contiguous():view({ -1 }):cast("i32") end
  if type(x) ~= "table" then fail("%s must be a set, an array of ids or a tensor, got %s", what, type(x)) end
  -- a set has boolean values ({[id] = true}); anything else is an array of ids
  local out, is_set = {}, false
  for _, v in pairs(x) do if type(v) == "boolean" then is_set = true; break end end
  if is_set then
    for k, v in pairs(x) do if v then out[#out + 1] = k end end
    table.sort(out, function(a, b) return tostring(a) < tostring(b) end)
  else
    for i, v in ipairs(x) do out[i] = v end
  end
  for i, v in ipairs(out) do
    if type(v) ~= "number" or v ~= math.floor(v) or v < 1 then
      fail("%s: entry %d is not a positive integer id (%s)", what, i, tostring(v))
    end
  end
  return #out > 0 and T().fromtable(out, "i32") or T().zeros({ 0 }, "i32")
end

--- sources.vector(x, n, what) -> f32 tensor [n] (0 where nothing is given) from a tensor, an
--- array or a map {[id] = value}; every value must be a finite number
function M.vector(x, n, what)
  local out
  if T().is_tensor(x) then
    local v = x:contiguous():view({ -1 }):cast("f32")
    if v:numel() > n then fail("%s has %d entries, more than the %d ids", what, v:numel(), n) end
    out = T().zeros({ n })
    if v:numel() > 0 then out:narrow(1, 1, v:numel()):copy(v) end
  elseif type(x) == "table" then
    local vals = {}
    for i = 1, n do vals[i] = 0 end
    for k, v in pairs(x) do
      if type(k) ~= "number" or k < 1 or k > n or k ~= math.floor(k) then
        fail("%s: key %s is not an id in 1..%d", what, tostring(k), n)
      end
      if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
        fail("%s[%d] is not a finite number (%s)", what, k, tostring(v))
      end
      vals[k] = v
    end
    out = T().fromtable(vals)
  else
    fail("%s must be a tensor, a table or a function, got %s", what, type(x))
  end
  if out:ne(out):sum():item() > 0 then fail("%s contains NaN", what) end
  return out
end

--- sources.sentiment(x, n_items) -> f32 [n_items] or a function: also accepts the result of
--- tide.sentiment.aggregate (its per-item table); items without a value get 0 (neutral)
function M.sentiment(x, n_items)
  if type(x) == "function" then return x end
  if type(x) == "table" and not T().is_tensor(x) and type(x.item) == "table" and x.item.sentiment then
    local map = {}
    for i, it in ipairs(x.item.item) do map[it] = x.item.sentiment[i] end
    x = map
  end
  return M.vector(x, n_items, "signals.sentiment")
end

--- sources.score(s) -> weights table | nil, function | nil, path | nil. A string is the path
--- of a Lua file returning function(sig) -> number (saved with the recommender as that path).
function M.score(s)
  if s == nil then return nil end
  if type(s) == "function" then return nil, s end
  if type(s) == "string" then
    local chunk, err = loadfile(s)
    if not chunk then fail("score script %s: %s", s, tostring(err)) end
    local ok, f = pcall(chunk)
    if not ok or type(f) ~= "function" then
      fail("score script %s must return function(sig) -> number, got %s", s, ok and type(f) or tostring(f))
    end
    return nil, f, s
  end
  if type(s) ~= "table" then fail("score must be a weights table, a function or a script path, got %s", type(s)) end
  for k, w in pairs(s) do
    if type(k) ~= "string" or type(w) ~= "number" or w ~= w then
      fail("score weights must map signal names to numbers (%s = %s)", tostring(k), tostring(w))
    end
  end
  return s
end

--- sources.seen(x, models) -> {off, item} CSR of each user's seen items, or nil: x = true
--- takes the first model's training lists; an event table or a CSR {off=, item=} is used as is
function M.seen(x, models)
  if not x then return nil end
  if x == true then
    for _, m in ipairs(models or {}) do if m.seen then return m.seen end end
    fail("exclude.seen = true needs a fitted model (or exclude.seen = an event table)")
  end
  if type(x) == "table" and x.off and x.item then return { off = x.off, item = x.item } end
  if type(x) == "table" and x.user and x.item and x.time then
    local s = require("tide.decay.seq").of(x)
    return { off = s.off, item = s.item }
  end
  fail("exclude.seen must be true, an event table or {off=, item=}, got %s", type(x))
end

--- sources.mask({ids or false, ...}, n_items) -> f32 [1, n_items] with NaN at excluded items (the C
--- top-K skips NaN scores) and 0 elsewhere, or nil when nothing is excluded
function M.mask(lists, n_items)
  local any = false
  local m = T().zeros({ n_items })
  for _, ids in ipairs(lists) do
    if ids and ids:numel() > 0 then
      local mx = ids:max():item()
      if mx > n_items then fail("excluded item id %d is outside 1..%d", mx, n_items) end
      m:index_add_(1, ids, T().full({ ids:numel() }, 0 / 0))
      any = true
    end
  end
  return any and m:view({ 1, n_items }) or nil
end

return M
