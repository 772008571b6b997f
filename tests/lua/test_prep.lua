-- test_prep.lua — `tide prep` end to end on every bundled example set (and the simulator
-- logs): the dataset loads back with the summary's counts, the summary JSON parses, and bad
-- invocations fail with a clear message.
local tide = require "tide"
local check = require "check"
local json = require "tide.data.json"
local prep = require "tide.cli.prep"

local function exists(p) local f = io.open(p) if f then f:close() end return f ~= nil end
local function slurp(p) local f = assert(io.open(p, "rb")); local s = f:read("*a"); f:close(); return s end

local base = os.tmpname()
os.remove(base)

local sets = {
  { "examples/data/sim/sim_exponential.csv.gz", "sim" },
  { "examples/data/sim/sim_power.csv.gz", "sim" },
  { "examples/data/cdnow/CDNOW_master.txt.gz", "cdnow" },
  { "examples/data/uci-online-retail/online_retail.csv.gz", "retail" },
  { "examples/data/movielens-latest-small/ratings.csv.gz", "movielens" },
  { "examples/data/taobao-userbehavior/UserBehavior_slice.csv", "taobao" },
  { "examples/data/amazon-all-beauty-5core/All_Beauty_5_slice.json.gz", "amazon" },
}

local t = {}

function t.prep_every_bundled_set()
  local ran = 0
  for i, s in ipairs(sets) do
    if exists(s[1]) then
      local out = base .. "_" .. i .. ".tds"
      local rc = prep.run({ s[1], "--schema", s[2], "--out", out, "--quiet", "--burst", "2" })
      check.eq(rc, 0, s[1])
      local summary = json.decode(slurp(out .. ".summary.json"))
      local ev = tide.data.load(out)
      check.eq(ev.n, summary.rows, s[1] .. " rows")
      check.eq(ev.n_users, summary.users, s[1] .. " users")
      check.eq(ev.meta.summary.rows, summary.rows, s[1] .. " summary kept in the dataset")
      local typed = 0
      for _, v in pairs(summary.events_by_type) do typed = typed + v end
      check.eq(typed, summary.rows, s[1] .. " events by type add up")
      check.eq(summary.rows + summary.rows_dropped, summary.rows_read + (summary.dropped.field_count or 0)
        + (summary.dropped.empty_id or 0) + (summary.dropped.bad_timestamp or 0)
        + (summary.dropped.bad_number or 0) + (summary.dropped.missing_value or 0)
        + (summary.dropped.unterminated_quote or 0) + (summary.dropped.invalid_utf8 or 0)
        + (summary.dropped.unknown_event or 0) + (summary.dropped.bad_json or 0)
        + (summary.dropped.nul_byte or 0), s[1] .. " accounting")
      os.remove(out); os.remove(out .. ".summary.json")
      ran = ran + 1
    else
      print("skip: " .. s[1] .. " not present")
    end
  end
  check.truthy(ran > 0 or not exists("examples/data"), "no bundled set found")
end

function t.prep_options_and_errors()
  local src = "examples/data/taobao-userbehavior/UserBehavior_slice.csv"
  if not exists(src) then print("skip: " .. src) return end
  local out = base .. "_opt.tds"
  check.eq(prep.run({ src, "--schema", "taobao", "--out", out, "--quiet", "--kcore", "2", "--bots", "0.95",
                      "--time-from", "2017-11-25T00:00:00Z", "--summary", out .. ".json" }), 0)
  local s = json.decode(slurp(out .. ".json"))
  check.truthy(s.time_min >= 1511568000, "time window applied")
  check.truthy((s.dropped.kcore or 0) + (s.dropped.bot or 0) + (s.dropped.out_of_range or 0) > 0)
  os.remove(out); os.remove(out .. ".json")
  check.errors(function() prep.run({ src, "--schema", "taobao" }) end, "--out")
  check.errors(function() prep.run({ "--schema", "taobao", "--out", out }) end, "missing input")
  check.errors(function() prep.run({ src, "--out", out }) end, "--schema is required")
  check.errors(function() prep.run({ "/nonexistent.csv", "--schema", "taobao", "--out", out }) end, "cannot open")
  check.errors(function() prep.run({ src, "--schema", "taobao", "--out", out, "--kcore", "x" }) end,
    "expects a number")
  check.errors(function() prep.run({ src, "--schema", "nope", "--out", out }) end, "unknown schema preset")
  check.truthy(prep.help:find("--schema", 1, true))
end

-- Issue 13 item 5: dedupe was on by default and removed half of a log whose same-day repeats
-- are real purchases. It is opt-in (--dedupe) and what is removed is printed per reason;
-- item 6: the summary's times are wall seconds (were CPU seconds named `seconds`).
function t.prep_dedupe_opt_in_and_report()
  local src = base .. "_dup.csv"
  local f = assert(io.open(src, "wb"))
  f:write("user_id,item_id,behavior,timestamp\n")
  for k = 1, 10 do f:write(("u%d,i1,buy,20240101\nu%d,i1,buy,20240101\n"):format(k, k)) end
  f:write("u1,i2,dance,20240102\n")
  f:close()
  local schema = base .. "_dup_schema.lua"
  f = assert(io.open(schema, "wb"))
  f:write('return { user = "user_id", item = "item_id", event = "behavior", time = "timestamp", time_format = "ymd" }\n')
  f:close()
  local out = base .. "_dup.tds"
  local err, stderr = "", io.stderr
  local function run(extra)
    err = ""
    io.stderr = { write = function(_, s) err = err .. s end }
    io.output(out .. ".stdout")
    local args = { src, "--schema", schema, "--out", out }
    for _, x in ipairs(extra) do args[#args + 1] = x end
    local ok, rc = pcall(prep.run, args)
    io.stderr = stderr
    io.output():close(); io.output(io.stdout)
    os.remove(out .. ".stdout")
    if not ok then error(rc, 0) end
    return json.decode(slurp(out .. ".summary.json"))
  end
  local s = run({})
  check.eq(s.rows, 20, "same-day repeats kept without --dedupe")
  check.eq(s.dropped.duplicate or 0, 0)
  check.truthy(err:find("removed 1 of 21 rows", 1, true) and err:find("unknown_event 1", 1, true), err)
  check.eq(s.seconds, nil, "no CPU seconds under an ambiguous name")
  check.truthy(s.wall_seconds.read >= 0 and s.wall_seconds.total >= s.wall_seconds.read, "wall seconds")
  s = run({ "--dedupe" })
  check.eq(s.rows, 10)
  check.eq(s.dropped.duplicate, 10)
  check.truthy(err:find("removed 11 of 21 rows (52.4%): duplicate 10, unknown_event 1", 1, true), err)
  check.truthy(prep.help:find("--dedupe", 1, true))
  check.errors(function() prep.run({ src, "--schema", schema, "--out", out, "--dedupe", "--no-dedupe" }) end,
    "contradict")
  for _, p in ipairs({ src, schema, out, out .. ".summary.json" }) do os.remove(p) end
end

return t
