-- tide.data.formats — the two log layouts that are not one-event-per-delimited-row:
--   seqlines : "user item item item ..." per line (S3-Rec / FMLP-Rec Amazon files), items in
--              chronological order; time = position within the file
--   jsonl    : one JSON object per line (Amazon review dumps), fields picked by the schema
-- Both are small public sets, so they are read line by line in Lua (gzip inflated whole by the
-- engine, core.io.read_all: a truncated file is an error) and built with from_columns; large
-- logs go through the native CSV reader.
local json = require "tide.data.json"

local M = {}

-- Line iterator over a string
local function lines_of(text)
  local pos = 1
  return function()
    if pos > #text then return nil end
    local e = text:find("\n", pos, true) or #text + 1
    local line = text:sub(pos, e - 1)
    pos = e + 1
    return line
  end
end

-- Line iterator and closer over a plain or gzip file, or a plain stream (pipe, /dev/stdin),
-- whose sniffed first bytes cannot be put back.
local function open_lines(path)
  local f = io.open(path, "rb")
  if not f then error(("read_events: %s: cannot open"):format(path), 3) end
  local magic = f:read(2)
  if magic == nil then f:close(); error(("read_events: %s: empty file"):format(path), 3) end
  local seekable = f:seek("set", 0) ~= nil
  if magic == "\31\139" then
    f:close()
    if not seekable then
      error(("read_events: %s: gzip from a pipe is read by the csv format only; decompress it first (zcat)"):format(path), 3)
    end
    local ok, text = pcall(require("tide").core.io.read_all, path)
    if not ok then error(("read_events: %s"):format((tostring(text):gsub("^[^\n]-read_all: ", ""))), 3) end
    return lines_of(text), function() return true end
  end
  if seekable then return f:lines(), function() f:close() return true end end
  -- a stream cannot give the sniffed bytes back: these formats are small, so read it whole
  local text = magic .. (f:read("*a") or "")
  f:close()
  return lines_of(text), function() return true end
end

local function finish(cols, path, dropped, lines, status, fn)
  if #cols.user == 0 then error(("read_events: %s: no valid rows"):format(path), 3) end
  local ev = require("tide.data").from_columns(cols)
  local nd = 0
  for _, v in pairs(dropped) do nd = nd + v end
  ev.stats = { lines = lines, kept = ev.n, dropped = dropped, n_dropped = nd, first_bad = "", path = path }
  return ev
end

function M.seqlines(path, s)
  local it, close = open_lines(path)
  local cols = { user = {}, item = {}, time = {}, event = {} }
  local code = require("tide.data.schema").event_code(s.event_default or "buy", s.event_map)
  local lines, pos, dropped = 0, 0, { field_count = 0 }
  for line in it do
    lines = lines + 1
    local u, rest = line:match("^%s*(%S+)%s+(.-)%s*$")
    if not u then
      if line:match("%S") then dropped.field_count = dropped.field_count + 1 end
    else
      for item in rest:gmatch("%S+") do
        pos = pos + 1
        local k = #cols.user + 1
        cols.user[k], cols.item[k], cols.time[k], cols.event[k] = u, item, pos, code
      end
    end
  end
  return finish(cols, path, dropped, lines, close())
end

function M.jsonl(path, s)
  local it, close = open_lines(path)
  local want = { "user", "item", "time", "category", "price", "dwell", "rating", "value", "text", "event" }
  local cols = { user = {}, item = {}, time = {} }
  local lines, dropped = 0, { bad_json = 0, empty_id = 0, bad_timestamp = 0 }
  local code = require("tide.data.schema").event_code(s.event_default or "buy", s.event_map)
  cols.event = {}
  for _, f in ipairs(want) do if s[f] and not cols[f] then cols[f] = {} end end
  for line in it do
    lines = lines + 1
    if line:match("%S") then
      local ok, obj = pcall(json.decode, line)
      if not ok or type(obj) ~= "table" then dropped.bad_json = dropped.bad_json + 1
      else
        local u, i, tm = obj[s.user], obj[s.item], tonumber(obj[s.time])
        if u == nil or u == "" or i == nil or i == "" then dropped.empty_id = dropped.empty_id + 1
        elseif not tm then dropped.bad_timestamp = dropped.bad_timestamp + 1
        else
          local k = #cols.user + 1
          cols.user[k], cols.item[k], cols.time[k] = tostring(u), tostring(i), tm
          cols.event[k] = code
          for _, f in ipairs({ "price", "dwell", "rating", "value" }) do
            if s[f] then cols[f][k] = tonumber(obj[s[f]]) or 0 / 0 end
          end
          if s.category then cols.category[k] = tostring(obj[s.category] or "?") end
          if s.text then cols.text[k] = type(obj[s.text]) == "string" and obj[s.text] or "" end
        end
      end
    end
  end
  return finish(cols, path, dropped, lines, close())
end

return M
