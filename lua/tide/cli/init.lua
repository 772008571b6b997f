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

-- What --schema means on every command that reads a log: a preset name, a schema .lua file
-- or inline key=col pairs (tide.data.schema.parse).
function M.schema(s) return require("tide.data.schema").parse(s, "--schema") end

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
