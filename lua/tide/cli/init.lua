-- tide.cli — dispatch for scripts/tide. Commands are modules tide.cli.<name> returning
-- {summary = one line, help = full usage text, run = function(args) -> exit code}.
local M = {}

local known = { "prep", "run", "train", "eval", "recommend", "ab", "report", "sentiment",
                "decay", "sim", "clv", "activation" }

local function load_command(name)
  if not name:match("^[%w_]+$") then return nil end
  local ok, mod = pcall(require, "tide.cli." .. name)
  if ok then return mod end
  if not tostring(mod):find("not found", 1, true) then error(mod, 0) end
  return nil
end

local function usage()
  local lines = { "usage: tide <command> [options]   (tide <command> --help for details)", "",
                  "commands:" }
  for _, name in ipairs(known) do
    local cmd = load_command(name)
    if cmd then lines[#lines + 1] = ("  %-10s %s"):format(name, cmd.summary or "") end
  end
  return table.concat(lines, "\n")
end

-- Parses "--key value", "--key=value" and "--flag" into a table; positionals in order.
function M.parse(args, flags)
  flags = flags or {}
  local out, i = { _ = {} }, 1
  while i <= #args do
    local a = args[i]
    local k, v = a:match("^%-%-([%w%-_]+)=(.*)$")
    if k then out[k] = v
    elseif a:match("^%-%-[%w%-_]+$") then
      k = a:sub(3)
      if flags[k] or args[i + 1] == nil or args[i + 1]:match("^%-%-") then out[k] = true
      else out[k] = args[i + 1]; i = i + 1 end
    else out._[#out._ + 1] = a end
    i = i + 1
  end
  return out
end

-- What --schema means on every command that reads a log: a preset name (tide.data.schema),
-- a Lua file returning a schema table ("my_schema.lua"), or inline pairs
-- "user=customer,item=sku,time=when,sep=;" (numbers are 1-based field indices, with
-- header=false; true / false are booleans; sep=tab is a tab).
function M.schema(s)
  if type(s) ~= "string" then return s end
  if s:match("%.lua$") then
    local chunk, err = loadfile(s)
    if not chunk then error("--schema: " .. tostring(err), 0) end
    local ok, t = pcall(chunk)
    if not ok or type(t) ~= "table" then
      error(("--schema: %s must return a schema table%s"):format(s, ok and "" or ": " .. tostring(t)), 0)
    end
    return t
  end
  if not s:find("=", 1, true) then return s end
  local t = {}
  for pair in s:gmatch("[^,]+") do
    local k, v = pair:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if not k or v == "" then error(("--schema: '%s' is not key=column (in '%s')"):format(pair, s), 0) end
    if v == "true" then v = true elseif v == "false" then v = false
    elseif k == "sep" and v == "tab" then v = "\t" else v = tonumber(v) or v end
    t[k] = v
  end
  return t
end

function M.main(args)
  local name = args[1]
  if not name or name == "--help" or name == "-h" or name == "help" then
    print(usage()); return name and 0 or 1
  end
  local cmd = load_command(name)
  if not cmd then
    io.stderr:write("tide: unknown command '" .. name .. "'\n" .. usage() .. "\n"); return 1
  end
  local rest = { unpack(args, 2) }
  if rest[1] == "--help" or rest[1] == "-h" then print(cmd.help or cmd.summary); return 0 end
  -- a failing user script (tide run) gets a traceback; other commands print the message only
  local handler = function(e)
    if name == "run" or os.getenv("TIDE_TRACEBACK") then return debug.traceback(tostring(e), 2) end
    -- the message names the user's file, line or option; our own source position is noise
    return (tostring(e):gsub("^[^\n]-%.lua:%d+: ", ""))
  end
  io.stdout:flush()
  local ok, rc = xpcall(cmd.run, handler, rest)
  io.stdout:flush()
  if not ok then io.stderr:write("tide " .. name .. ": " .. tostring(rc) .. "\n"); return 1 end
  return rc or 0
end

return M
