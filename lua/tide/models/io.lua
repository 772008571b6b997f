-- tide.models.io — one file format for every fitted recommender and decay fit: a
-- tide.checkpoint file (versioned, CRC-32 checksummed, written to a temporary name, fsynced
-- and renamed) holding the fitted tensors plus metadata; meta.format = "tide.model/1" and
-- meta.kind names the class that rebuilds the object (pop, sar, profile, decay_fit, hawkes,
-- recommend). Objects expose :state() -> tensors, meta and a from_state(tensors, meta, name).
-- Reloads are exact: tensors keep their bytes, numbers are stored as IEEE doubles, Lua arrays
-- of doubles as their bit patterns (pack_f64), so a reloaded object scores bit-identically.
local ffi = require("ffi")
local M = {}
M.FORMAT = "tide.model/1"

local function T() return require("tide").tensor end

--- io.save(path, tensors, meta, fn) — writes meta.kind's object atomically; fn names errors.
function M.save(path, tensors, meta, fn)
  if type(path) ~= "string" or path == "" then error(fn .. ": path must be a non-empty string", 3) end
  meta.format = M.FORMAT
  local ok, err = pcall(require("tide").core.checkpoint.save, path, tensors, meta)
  if not ok then error(fn .. ": " .. tostring(err):gsub("^[^\n]-%.lua:%d+: ", ""), 3) end
end

--- io.load(path, fn [, kinds]) -> tensors, meta: reads and checks the checksum and format
--- (and that meta.kind is one of `kinds`, a set, when given).
function M.load(path, fn, kinds)
  if type(path) ~= "string" then error(fn .. ": path must be a string, got " .. type(path), 3) end
  local ok, tensors, meta = pcall(require("tide").core.checkpoint.load, path)
  if not ok then error(fn .. ": " .. tostring(tensors):gsub("^[^\n]-%.lua:%d+: ", ""), 3) end
  if meta.format ~= M.FORMAT then
    error(("%s: %s is not a Tide model file (format %s)"):format(fn, path, tostring(meta.format)), 3)
  end
  if kinds and not kinds[meta.kind] then
    error(("%s: %s holds a '%s', not one of the kinds this loads"):format(fn, path, tostring(meta.kind)), 3)
  end
  return tensors, meta
end

--- io.nest(tensors, meta, prefix, t2, m2) — copies t2/m2 into tensors/meta under `prefix`
--- (one file holding several objects, e.g. a recommender and its models).
function M.nest(tensors, meta, prefix, t2, m2)
  for k, v in pairs(t2) do tensors[prefix .. k] = v end
  for k, v in pairs(m2) do meta[prefix .. k] = v end
end

--- io.unnest(tensors, meta, prefix) -> the tensors and meta stored under prefix (stripped)
function M.unnest(tensors, meta, prefix)
  local t, m = {}, {}
  for k, v in pairs(tensors) do if k:sub(1, #prefix) == prefix then t[k:sub(#prefix + 1)] = v end end
  for k, v in pairs(meta) do if k:sub(1, #prefix) == prefix then m[k:sub(#prefix + 1)] = v end end
  return t, m
end

--- io.pack_f64(array) -> i32 tensor [n, 2]: the exact bits of a Lua array of doubles
function M.pack_f64(a)
  local n = #a
  if n == 0 then return T().zeros({ 0, 2 }, "i32") end
  local d = ffi.new("double[?]", n)
  for i = 1, n do d[i - 1] = a[i] end
  local w = ffi.cast("int32_t *", d)
  local out = {}
  for i = 0, 2 * n - 1 do out[i + 1] = w[i] end
  return T().fromtable(out, "i32"):view({ n, 2 })
end

--- io.unpack_f64(t) -> the Lua array pack_f64 was given
function M.unpack_f64(t)
  local n = t:shape()[1]
  if n == 0 then return {} end
  local flat = t:contiguous():view({ 2 * n }):totable()
  local w = ffi.new("int32_t[?]", 2 * n, flat)
  local d = ffi.cast("double *", w)
  local out = {}
  for i = 1, n do out[i] = d[i - 1] end
  return out
end

--- io.put_numbers(meta, key, array) / io.get_numbers(meta, key) -> array (or nil): a short
--- array of numbers as metadata entries key.n, key.1, key.2, ... (exact doubles)
function M.put_numbers(meta, key, a)
  if a == nil then return end
  meta[key .. ".n"] = #a
  for i, v in ipairs(a) do meta[key .. "." .. i] = v end
end

function M.get_numbers(meta, key)
  local n = meta[key .. ".n"]
  if n == nil then return nil end
  local a = {}
  for i = 1, n do a[i] = meta[key .. "." .. i] end
  return a
end

local COLUMNS = { "user", "item", "time", "event", "category" }

--- io.put_events(tensors, meta, prefix, ev) — an event table's columns and sizes, for models
--- that score from the training events themselves (decayed profiles, per-user clocks)
function M.put_events(tensors, meta, prefix, ev)
  for _, c in ipairs(COLUMNS) do if ev[c] then tensors[prefix .. c] = ev[c] end end
  meta[prefix .. "n_users"], meta[prefix .. "n_items"] = ev.n_users, ev.n_items
  meta[prefix .. "n_categories"] = ev.n_categories
end

--- io.get_events(tensors, meta, prefix) -> the event table put_events stored
function M.get_events(tensors, meta, prefix)
  local ev = {}
  for _, c in ipairs(COLUMNS) do ev[c] = tensors[prefix .. c] end
  ev.n = ev.user:numel()
  ev.n_users, ev.n_items = meta[prefix .. "n_users"], meta[prefix .. "n_items"]
  ev.n_categories = meta[prefix .. "n_categories"]
  return ev
end

return M
