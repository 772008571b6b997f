-- tide.data.store — save/load event tables as a prepared dataset (engine/dataset.c: one
-- versioned, CRC-checked binary file, written atomically). Loading skips CSV parsing and id
-- interning entirely: columns are read straight into tensors.
local tide = require "tide"
local D = tide.core.data
local json = require "tide.data.json"
local data = require "tide.data"

local M = {}
local INTERNERS = { "users", "items", "categories", "event_names" }
M.FORMAT = "tide.events"

--- save(ev, path [, extra]): extra is any JSON-encodable table kept as ev.meta on load.
function M.save(ev, path, extra)
  if type(ev) ~= "table" or not ev.user then error("save: expected an event table", 2) end
  if type(path) ~= "string" then error("save: path must be a string", 2) end
  local entries = {}
  for _, f in ipairs(data.ORDER) do
    if ev[f] then entries[#entries + 1] = { name = "col." .. f, tensor = ev[f]:contiguous() } end
  end
  for _, k in ipairs(INTERNERS) do
    if ev[k] then
      local keys, offs = ev[k]:serialize()
      entries[#entries + 1] = { name = "intern." .. k .. ".keys", bytes = keys }
      entries[#entries + 1] = { name = "intern." .. k .. ".offs", tensor = offs }
    end
  end
  if ev.text then
    entries[#entries + 1] = { name = "text", bytes = json.encode(ev.text) }
  end
  local meta = { format = M.FORMAT, n = ev.n, n_users = ev.n_users, n_items = ev.n_items,
                 n_categories = ev.n_categories, sorted = ev.sorted or false,
                 stats = ev.stats, clean_report = ev.clean_report, extra = extra }
  entries[#entries + 1] = { name = "meta", bytes = json.encode(meta) }
  local ok, err = pcall(D.ds_write, path, entries)
  if not ok then error("save: " .. tostring(err):gsub("^ds_write: ", ""), 2) end
end

--- load(path) -> event table (with .meta = the extra table given to save)
function M.load(path)
  if type(path) ~= "string" then error("load: path must be a string", 2) end
  local ok, e = pcall(D.ds_read, path)
  if not ok then error("load: " .. tostring(e):gsub("^ds_read: ", ""), 2) end
  if type(e.meta) ~= "string" then error("load: " .. path .. ": not an event dataset (no meta)", 2) end
  local okm, meta = pcall(json.decode, e.meta)
  if not okm or type(meta) ~= "table" or meta.format ~= M.FORMAT then
    error("load: " .. path .. ": not an event dataset (meta format)", 2)
  end
  local ev = {}
  for _, f in ipairs(data.ORDER) do ev[f] = e["col." .. f] end
  if not ev.user or not ev.item or not ev.time or not ev.event then
    error("load: " .. path .. ": dataset lacks a required column", 2)
  end
  for _, k in ipairs(INTERNERS) do
    local keys, offs = e["intern." .. k .. ".keys"], e["intern." .. k .. ".offs"]
    if keys and offs then ev[k] = D.interner_from(keys, offs) end
  end
  for _, f in ipairs(data.ORDER) do
    if ev[f] and ev[f]:numel() ~= meta.n then
      error(("load: %s: column %s has %d rows, meta says %d"):format(path, f, ev[f]:numel(), meta.n), 2)
    end
  end
  if e.text then ev.text = json.decode(e.text) end
  ev.n_users, ev.n_items, ev.n_categories = meta.n_users, meta.n_items, meta.n_categories
  ev.sorted = meta.sorted or nil
  ev.stats, ev.clean_report, ev.meta = meta.stats, meta.clean_report, meta.extra
  data.wrap(ev)
  for _, p in ipairs({ { "user", "n_users" }, { "item", "n_items" }, { "category", "n_categories" } }) do
    if ev[p[1]] then
      local lo, hi = D.minmax(ev[p[1]])
      if lo and (lo < 1 or hi > ev[p[2]]) then
        error(("load: %s: %s ids outside 1..%d"):format(path, p[1], ev[p[2]]), 2)
      end
    end
  end
  return ev
end

return M
