-- test_data_time_format.lua — strptime-style time_format patterns in the CSV reader (dates
-- without a year completed by default_year, day-first dates, month names) and the hint that a
-- bad_timestamp error now carries. Expected epochs from Python:
-- calendar.timegm(datetime.fromisoformat(s).timetuple()).
local tide = require "tide"
local check = require "check"
local P = tide.core.data.parse_time
local t = {}

function t.patterns_parse_to_utc_epochs()
  check.eq(P("3-15", "%m-%d", 2011), 1300147200)
  check.eq(P("12-1", "%m-%d", 2011), 1322697600)
  check.eq(P("04/07/1999 13:05:09", "%d/%m/%Y %H:%M:%S"), 931093509)
  check.eq(P("29 feb 2024", "%d %b %Y"), 1709164800)
  check.eq(P("1 January 68", "%d %B %y"), 3092601600) -- POSIX: 00-68 -> 20xx
  check.eq(P("1 Jan 69", "%d %b %y"), -31536000)    -- 69-99 -> 19xx
  check.eq(P("100%-3-15", "100%%-%m-%d", 2011), 1300147200)
  check.eq(P("3-15  ", "%m-%d ", 2011), 1300147200, "a blank matches a run of blanks")
  -- not dates
  check.eq(P("2-30", "%m-%d", 2011), nil)
  check.eq(P("29 feb 2023", "%d %b %Y"), nil)
  check.eq(P("3-15x", "%m-%d", 2011), nil)
  check.eq(P("13-01", "%m-%d", 2011), nil)
  check.eq(P("3-15 24:00", "%m-%d %H:%M", 2011), nil)
end

function t.pattern_errors_are_named()
  check.errors(function() P("3-15", "%m-%d") end, "has no year")
  check.errors(function() P("3-15", "%m-%q", 2011) end, "unsupported directive '%q'")
  check.errors(function() P("3-15", "%") end, "unsupported directive")
end

function t.reader_reads_dates_without_a_year()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write("user,item,date\n1,2,3-15\n1,3,3-16\n2,2,12-01\n")
  f:close()
  local ok, err = pcall(tide.data.read_events, path, { user = "user", item = "item", time = "date" })
  check.truthy(not ok and err:find("bad_timestamp", 1, true) and err:find('time_format = "%m-%d", default_year', 1, true),
    "the error suggests the option: " .. tostring(err))
  local ev = tide.data.read_events(path, { user = "user", item = "item", time = "date", time_format = "%m-%d", default_year = 2011 })
  local tm = ev.time:totable()
  check.eq(tm[1], 1300147200); check.eq(tm[2], 1300147200 + 86400); check.eq(tm[3], 1322697600)
  check.errors(function() tide.data.read_events(path, { user = "user", item = "item", time = "date", time_format = "%m-%d" }) end,
    "give default_year")
  check.errors(function() tide.data.read_events(path, { user = "user", item = "item", time = "date", time_format = "mdy" }) end,
    "strptime-style pattern")
  check.errors(function() tide.data.read_events(path, { user = "user", item = "item", time = "date", time_format = "%m-%d",
    default_year = "2011x" }) end, "default_year must be a number")
  os.remove(path)
end

return t
