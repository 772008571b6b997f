-- tide.data — columnar event tables: reading logs, building tables from columns, subsets,
-- per-user CSR sequences. Contract: lua/tide/doc/data.md. Cleaning lives in tide.data.clean,
-- splits in tide.split, schemas and presets in tide.data.schema.
local tide = require "tide"
local D = tide.core.data
local T = tide.tensor
local S = require "tide.data.schema"

local M = { EVENT = S.EVENT, EVENT_NAMES = S.EVENT_NAMES, WEIGHTS = S.WEIGHTS, presets = S.presets }

-- Columns every event table may carry: name -> dtype.
M.COLUMNS = { user = "i32", item = "i32", event = "i32", time = "i64", category = "i32",
              price = "f32", dwell = "f32", rating = "f32", value = "f32" }
local ORDER = { "user", "item", "event", "time", "category", "price", "dwell", "rating", "value" }
M.ORDER = ORDER

local Events = {}
Events.__index = Events
M.Events = Events

local function strip(msg)
  return (tostring(msg):gsub("^[^:]*%.lua:%d+: ", ""))
end

-- Wraps plain column fields into an event table (sets the metatable and the counts).
function M.wrap(ev)
  ev.n = ev.user:numel()
  ev.n_users = ev.n_users or ev.users:size()
  ev.n_items = ev.n_items or ev.items:size()
  if ev.categories then ev.n_categories = ev.n_categories or ev.categories:size() end
  return setmetatable(ev, Events)
end

-- ---------------------------------------------------------------- reading
local function ref(v, what)
  if type(v) == "string" then return { name = v } end
  if type(v) == "number" and v >= 1 and v == math.floor(v) then return { index = v } end
  error(("read_events: schema.%s must be a column name or a 1-based index, got %s"):format(
    what, tostring(v)), 3)
end

--- read_events(path, schema) -> event table. schema: a table (see tide.data.schema) or a
--- preset name ("taobao", "movielens", "ml1m", "cdnow", "retail", "sasrec", "sim").
--- ev.stats = {lines, bytes, kept, dropped = {reason = count}, n_dropped, blank, quoted_lines
--- (line breaks inside quoted fields), first_bad}.
function M.read_events(path, schema)
  if type(path) ~= "string" then error("read_events: path must be a string, got " .. type(path), 2) end
  local s = S.resolve(schema, "read_events")
  if s.format and s.format ~= "csv" then
    local F = require "tide.data.formats"
    if not F[s.format] then error("read_events: unknown format '" .. tostring(s.format) .. "'", 2) end
    return F[s.format](path, s)
  end
  if s.text then error("read_events: a text column needs format = \"jsonl\"", 2) end
  local interners, cols, slot = {}, {}, {}
  local function add(field, spec)
    cols[#cols + 1] = spec
    slot[field] = #cols
  end
  for _, f in ipairs({ "user", "item", "category", "event" }) do
    if s[f] ~= nil then
      interners[f] = D.interner()
      local c = ref(s[f], f); c.type = "id"; c.intern = interners[f]
      add(f, c)
    end
  end
  if s.time ~= nil then
    local c = ref(s.time, "time"); c.type = "time"; c.time = s.time_format or "auto"
    add("time", c)
  else
    add("time", { type = "line" })
  end
  for _, f in ipairs({ "price", "dwell", "rating", "value" }) do
    if s[f] ~= nil then
      local c = ref(s[f], f); c.type = "float"; c.optional = true
      add(f, c)
    end
  end
  if s.strict and s.event ~= nil then add("line", { type = "line" }) end -- names a bad event's line
  local ok, r = pcall(D.read_csv, path, {
    cols = cols, header = s.header, sep = s.sep, quote = s.quote, whitespace = s.whitespace,
    strict = s.strict, max_rows = s.max_rows, chunk = s.chunk, nfields = s.nfields,
    progress = s.progress })
  if not ok then error("read_events: " .. strip(r):gsub("^read_csv: ", ""), 2) end
  local dropped = {}
  for k, v in pairs(r.bad) do dropped[k] = v end
  local ev = { users = interners.user, time = r.cols[slot.time] }
  ev.user = r.cols[slot.user]
  if slot.item then ev.items, ev.item = interners.item, r.cols[slot.item]
  else -- one item for every row (e.g. CDNOW purchases)
    ev.items = D.interner(); ev.items:add("*")
    ev.item = T.ones({ r.n }, "i32")
  end
  if slot.category then ev.categories, ev.category = interners.category, r.cols[slot.category] end
  for _, f in ipairs({ "price", "dwell", "rating", "value" }) do
    if slot[f] then ev[f] = r.cols[slot[f]] end
  end
  local default = S.event_code(s.event_default or "browse", s.event_map)
  if not default then error("read_events: unknown event_default '" .. tostring(s.event_default) .. "'", 2) end
  if slot.event then
    local E = interners.event
    local codes, unknown, numeric = {}, {}, {}
    for i, name in ipairs(E:names()) do
      if tonumber(name) and not S.mapped(s.event_map, name) then numeric[#numeric + 1] = name end
      codes[i] = S.event_code(name, s.event_map) or 0
      if codes[i] == 0 then unknown[#unknown + 1] = name end
    end
    if #numeric > 0 then error("read_events: " .. S.numeric_codes_message(path, s.event, numeric), 2) end
    ev.event = D.lut(r.cols[slot.event], T.fromtable(#codes > 0 and codes or { 0 }, "i32"))
    ev.event_names = E
    if #unknown > 0 then
      if s.strict then
        local row = D.range_idx(ev.event, 0, 0):get(1) + 1
        error(("read_events: %s: line %d: column '%s': unknown event '%s' (all unknown: %s; map them "
               .. "with schema.event_map)"):format(path, r.cols[slot.line]:get(row), tostring(s.event),
               E:name(r.cols[slot.event]:get(row)), table.concat(unknown, ", ")), 2)
      end
      local keep = D.range_idx(ev.event, 1, 5)
      dropped.unknown_event = r.n - keep:numel()
      M.wrap(ev)
      -- ids seen only in dropped rows must not count in n_users / n_items
      ev = require("tide.data.clean").compact(M.take0(ev, keep))
    end
  else
    ev.event = T.full({ r.n }, default, "i32")
  end
  if s.time_offset and s.time_offset ~= 0 then
    -- naive local timestamps (no zone in the log): shift to UTC, e.g. -3600 for UTC+1
    ev.time = ev.time + s.time_offset
  end
  M.wrap(ev)
  if ev.n == 0 then
    error(("read_events: %s: no valid rows (%d lines; first problem: %s)"):format(
      path, r.lines, r.first_bad ~= "" and r.first_bad or "none"), 2)
  end
  local nd = 0
  for _, v in pairs(dropped) do nd = nd + v end
  ev.stats = { lines = r.lines, bytes = r.bytes, kept = ev.n, dropped = dropped, n_dropped = nd,
               blank = r.blank, quoted_lines = r.quoted_lines, first_bad = r.first_bad, path = path }
  return ev
end

-- ---------------------------------------------------------------- building
local function id_column(v, n, what, nmax)
  if v == nil then return nil end
  if T.is_tensor(v) or (type(v) == "table" and type(v[1]) ~= "string") then
    local t = T.is_tensor(v) and v:contiguous():int() or T.fromtable(v, "i32")
    if t:numel() ~= n then error(("from_columns: %s has %d rows, user has %d"):format(what, t:numel(), n), 3) end
    local lo, hi = D.minmax(t)
    if lo and lo < 1 then error(("from_columns: %s ids must be >= 1, got %d"):format(what, lo), 3) end
    if nmax and hi and nmax < hi then
      error(("from_columns: %s id %d exceeds n_%ss = %d"):format(what, hi, what, nmax), 3)
    end
    return t, D.interner_range(math.max(hi or 0, nmax or 0))
  end
  if type(v) ~= "table" then error("from_columns: " .. what .. " must be a tensor or an array", 3) end
  local I, ids = D.interner(), {}
  for i = 1, #v do ids[i] = I:add(v[i]) end
  if #ids ~= n then error(("from_columns: %s has %d rows, user has %d"):format(what, #ids, n), 3) end
  return T.fromtable(n > 0 and ids or {}, "i32"), I
end

local function num_column(v, n, dt, what)
  if v == nil then return nil end
  local t
  if T.is_tensor(v) then t = v:contiguous():cast(dt)
  elseif type(v) == "table" then t = #v > 0 and T.fromtable(v, dt) or T.zeros({ 0 }, dt)
  else error("from_columns: " .. what .. " must be a tensor or an array", 3) end
  if t:numel() ~= n then error(("from_columns: %s has %d rows, user has %d"):format(what, t:numel(), n), 3) end
  return t
end

--- from_columns{user=, item=, time=, event=, category=, price=, dwell=, rating=, value=, text=}
--- Integer ids (tensor or numbers) are kept as they are (ids 1..max); strings are interned in
--- order of first appearance. event: codes 1..5 or names; default browse. time: default 1..n.
function M.from_columns(c)
  if type(c) ~= "table" then error("from_columns: expected a table of columns", 2) end
  if c.user == nil then error("from_columns: 'user' column is required", 2) end
  local n = T.is_tensor(c.user) and c.user:numel() or #c.user
  local ev = {}
  ev.user, ev.users = id_column(c.user, n, "user", c.n_users)
  if c.item ~= nil then ev.item, ev.items = id_column(c.item, n, "item", c.n_items)
  else ev.items = D.interner_range(1); ev.item = T.ones({ n }, "i32") end
  ev.category, ev.categories = id_column(c.category, n, "category")
  ev.time = c.time ~= nil and num_column(c.time, n, "i64", "time") or T.arange(1, n + 1, 1):long()
  if c.event == nil then ev.event = T.ones({ n }, "i32")
  elseif type(c.event) == "table" and type(c.event[1]) == "string" then
    local codes = {}
    for i = 1, #c.event do
      codes[i] = S.event_code(c.event[i])
      if not codes[i] then error(("from_columns: unknown event '%s' at row %d"):format(c.event[i], i), 2) end
    end
    ev.event = num_column(codes, n, "i32", "event")
  else
    ev.event = num_column(c.event, n, "i32", "event")
    local lo, hi = D.minmax(ev.event)
    if lo and (lo < 1 or hi > 5) then error("from_columns: event codes must be in 1..5", 2) end
  end
  for _, f in ipairs({ "price", "dwell", "rating", "value" }) do ev[f] = num_column(c[f], n, "f32", f) end
  if c.text ~= nil then
    if type(c.text) ~= "table" or #c.text ~= n then error("from_columns: text must be an array of n strings", 2) end
    ev.text = c.text
  end
  return M.wrap(ev)
end

require("tide.data.ops")(M, Events)
return M
