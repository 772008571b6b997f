-- tide.sentiment.ensemble_file — one file for an ensemble of sentiment models (e.g. the
-- "textcnn2" pair or fastText + TextCNN), so it saves and loads like a single model.
-- Layout (little-endian): "TIDEENS1", u32 member count, then per member a u64 byte length and
-- the member's own model file (fastText or tide.checkpoint, each with its own checksums);
-- the lengths must add up to the file size exactly, so truncation or a damaged length is
-- refused before any member is read. Written with the atomic writer (temp, fsync, rename).
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

local function slurp(path)
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local s = f:read("*a")
  f:close()
  return s
end

-- Saves each member through its own :save(tmp, opts) into a temporary file and packs the bytes.
function M.save(path, members, opts)
  if type(path) ~= "string" then error("sentiment.ensemble save: path must be a string", 3) end
  local parts = { M.magic, u_le(#members, 4) }
  for i, m in ipairs(members) do
    if type(m.save) ~= "function" then
      error(("sentiment.ensemble save: member %d has no save method"):format(i), 3)
    end
    local tmp = os.tmpname()
    local ok, err = pcall(m.save, m, tmp, opts)
    local bytes = ok and slurp(tmp)
    os.remove(tmp)
    if not ok then error(("sentiment.ensemble save: member %d: %s"):format(i, tostring(err)), 3) end
    parts[#parts + 1] = u_le(#bytes, 8)
    parts[#parts + 1] = bytes
  end
  require("tide").core.io.write_atomic(path, table.concat(parts))
end

-- Returns the list of members, each loaded by load_member(temp path).
function M.load(path, load_member)
  local s = slurp(path)
  local function bad(why) error(("sentiment.load: %s: %s"):format(path, why), 3) end
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
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write(s:sub(sp[1], sp[2]))
    f:close()
    local ok, m = pcall(load_member, tmp)
    os.remove(tmp)
    if not ok then bad(("member %d: %s"):format(i, tostring(m))) end
    members[i] = m
  end
  return members
end

return M
