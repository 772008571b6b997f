-- tide.sentiment.ensemble_file — one file for an ensemble of sentiment models (e.g. the
-- "textcnn2" pair or fastText + TextCNN), so it saves and loads like a single model.
-- Layout (little-endian): "TIDEENS1", u32 member count, then per member a u64 byte length and
-- the member's own model file (fastText or tide.checkpoint, each with its own checksums);
-- the lengths must add up to the file size exactly, so truncation or a damaged length is
-- refused before any member is read. Written with the atomic writer (temp, fsync, rename).
-- Members are serialised and parsed in memory (m:to_bytes(opts) / from_bytes(s, name)): a
-- member's bytes are exactly the file its own :save(path, opts) writes, so no temporary files.
local M = {}
M.magic = "TIDEENS1"

local function u_le(v, bytes)
  local t = {}
  for i = 1, bytes do t[i] = string.char(v % 256); v = math.floor(v / 256) end
  return table.concat(t)
end

local function read_le(s, pos, bytes)
  local v = 0
  for i = bytes, 1, -1 do v = v * 256 + s:byte(pos + i - 1) end
  return v
end

-- The ensemble file's bytes. A member that is itself an ensemble (has .members but no
-- to_bytes) is packed as a nested ensemble file, which from_bytes dispatches on like any model.
function M.to_bytes(members, opts)
  local parts = { M.magic, u_le(#members, 4) }
  for i, m in ipairs(members) do
    local ok, bytes
    if type(m) == "table" and type(m.to_bytes) == "function" then
      ok, bytes = pcall(m.to_bytes, m, opts)
    elseif type(m) == "table" and type(m.members) == "table" then
      ok, bytes = pcall(M.to_bytes, m.members, opts)
    else
      error(("sentiment.ensemble save: member %d has no save method (to_bytes)"):format(i), 3)
    end
    if not ok then error(("sentiment.ensemble save: member %d: %s"):format(i, tostring(bytes)), 3) end
    parts[#parts + 1] = u_le(#bytes, 8)
    parts[#parts + 1] = bytes
  end
  return table.concat(parts)
end

function M.save(path, members, opts)
  if type(path) ~= "string" then error("sentiment.ensemble save: path must be a string", 3) end
  local s = M.to_bytes(members, opts)
  require("tide").core.io.write_atomic(path, s)
end

-- The members of the ensemble in the bytes s (errors name `name`), each parsed by
-- member_from_bytes(bytes, member_name).
function M.from_bytes(s, name, member_from_bytes)
  local function bad(why) error(("sentiment.load: %s: %s"):format(name, why), 3) end
  if #s < 12 or s:sub(1, 8) ~= M.magic then bad("not a tide sentiment ensemble file") end
  local n, pos, members = read_le(s, 9, 4), 13, {}
  if n < 1 then bad("the ensemble has no members") end
  local spans = {}
  for i = 1, n do
    if pos + 8 - 1 > #s then bad(("truncated at member %d of %d"):format(i, n)) end
    local len = read_le(s, pos, 8)
    if len > #s - (pos + 7) then bad(("truncated: member %d needs %d bytes"):format(i, len)) end
    spans[i] = { pos + 8, pos + 7 + len }
    pos = pos + 8 + len
  end
  if pos ~= #s + 1 then bad(("%d trailing bytes after the last member"):format(#s + 1 - pos)) end
  for i, sp in ipairs(spans) do
    local ok, m = pcall(member_from_bytes, s:sub(sp[1], sp[2]), ("%s (member %d)"):format(name, i))
    if not ok then bad(("member %d: %s"):format(i, tostring(m))) end
    members[i] = m
  end
  return members
end

-- Returns the list of members of the ensemble file at path.
function M.load(path, member_from_bytes)
  local f, err = io.open(path, "rb")
  if not f then error(("sentiment.load: %s"):format(tostring(err)), 2) end
  local s = f:read("*a")
  f:close()
  local members = M.from_bytes(s, path, member_from_bytes)
  return members
end

return M
