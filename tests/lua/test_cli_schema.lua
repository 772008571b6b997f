-- test_cli_schema.lua — what --schema means on every command that reads a log (tide.cli.schema,
-- tide.data.schema.parse, which tide.data.read_events and train configs also apply):
-- a preset name, a schema .lua file, or inline key=col pairs; and that a user's own log with
-- its own column names reads the same through each form and through the commands.
local tide = require "tide"
local check = require "check"
local cli = require "tide.cli"
local tests = {}

local base = os.tmpname()
local function spit(p, s) local f = assert(io.open(p, "w")); f:write(s); f:close(); return p end

function tests.forms()
  check.eq(cli.schema("taobao"), "taobao", "a preset name passes through")
  local t = cli.schema("user=customer, item=sku,time=3,header=false,sep=tab,event_default=buy")
  check.eq(t.user, "customer"); check.eq(t.item, "sku"); check.eq(t.time, 3, "a number is a field index")
  check.eq(t.header, false, "booleans"); check.eq(t.sep, "\t", "sep=tab"); check.eq(t.event_default, "buy")
  local f = spit(base .. "_s.lua", 'return { user = "customer", time = "when", sep = ";" }')
  check.eq(cli.schema(f).sep, ";", "a .lua file returns its table")
  spit(base .. "_bad.lua", "return 42")
  check.errors(function() cli.schema(base .. "_bad.lua") end, "must return a schema table")
  check.errors(function() cli.schema(base .. "_none.lua") end, "cannot open")
  check.errors(function() cli.schema("user=customer,item") end, "'item' is not key=column")
  os.remove(f); os.remove(base .. "_bad.lua")
end

-- a user's log with its own names reads alike inline and from a file, and the commands that used
-- to take only a preset (recommend, decay) accept it
function tests.own_log_through_the_commands()
  local log = spit(base .. "_log.csv", table.concat({ "customer;sku;action;when",
    "a;x;pv;1700000000", "a;y;buy;1700003600", "b;x;pv;1700007200", "b;y;pv;1700010800", "a;x;cart;1700090000",
    "b;y;buy;1700200000" }, "\n") .. "\n")
  local inline = "user=customer,item=sku,event=action,time=when,sep=;"
  local e1 = tide.data.read_events(log, cli.schema(inline))
  local f = spit(base .. "_own.lua", 'return { user = "customer", item = "sku", event = "action", time = "when", sep = ";" }')
  local e2 = tide.data.read_events(log, cli.schema(f))
  check.eq(e1.n, 6); check.eq(e2.n, 6)
  check.eq(tide.data.read_events(log, inline).n, 6, "the library reads the string itself (configs: tide train)")
  check.eq(tide.data.read_events(log, f).n, 6, "and a schema file's path")
  local t1, t2 = e1.time:totable(), e2.time:totable()
  for i = 1, 6 do check.eq(tostring(t1[i]), tostring(t2[i]), "same rows") end
  local out = base .. "_rec.csv"
  local p = print
  print = function() end
  local ok, rc = pcall(require("tide.cli.recommend").run, { "--data", log, "--schema", inline, "--k", "2", "--out", out })
  print = p
  check.truthy(ok and rc == 0, "recommend reads the log: " .. tostring(rc))
  local n = 0
  for _ in io.lines(out) do n = n + 1 end
  check.eq(n, 1 + 2 * 2, "a header and two rows for each of the two users")
  for _, q in ipairs({ log, f, out }) do os.remove(q) end
end

return tests
