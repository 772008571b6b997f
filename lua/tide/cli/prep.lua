-- tide prep IN --schema S --out DATASET — read a behaviour log, clean it and write a
-- prepared dataset (binary, checksummed, atomic) plus a JSON summary next to it.
local help = [[
usage: tide prep IN --schema PRESET|SCHEMA.lua --out DATASET [options]
Reads the log IN (CSV/TSV/any separator, plain or gzip), cleans it and writes DATASET (a
prepared dataset: load it with tide.data.load) and DATASET.summary.json.

schema:
  --schema NAME       preset: taobao, movielens, ml1m, cdnow, retail, sasrec, sim
  --schema FILE.lua   a Lua file returning a schema table (see tide.data.schema)
  --schema key=col,.. inline: "user=customer,item=sku,event=action,time=when,sep=;"
  --user/--item/--event/--time/--category/--price/--dwell/--rating/--value COL
                      override one column (header name, or 1-based index with --no-header)
  --sep C  --no-header  --whitespace  --time-format auto|epoch|epoch_ms|iso|ymd
  --strict            stop at the first malformed row (file:line: column: reason)
  --max-rows N        read at most N valid rows
cleaning (tide.data.clean; what it removes is printed per reason before writing):
  --dedupe            drop exact duplicates (same user, item, event, second and every other
                      column); off by default: same-second repeats are often real events
                      (--no-dedupe, the default, is still accepted)
  --burst SECONDS     drop repeats of (user, item, event) within SECONDS (near duplicates)
  --bots Q            drop users above quantile Q of events per user (e.g. 0.999)
  --kcore K           iterative K-core on users and items
  --time-from T --time-to T   keep this time window (epoch seconds or ISO 8601)
  --no-compact        keep the original id space after filtering
output:
  --out PATH          dataset path (required)   --summary PATH  (default PATH.summary.json)
  --quiet             print nothing (the summary is still written; wall_seconds in it are
                      elapsed time of the read and of the whole run)
  --progress / --no-progress   progress line while reading (default: on when stderr is a TTY)]]

local function isatty()
  local ok, ffi = pcall(require, "ffi")
  if not ok then return false end
  pcall(ffi.cdef, "int isatty(int fd);")
  local ok2, r = pcall(function() return ffi.C.isatty(2) end)
  return ok2 and r == 1
end

local function num(v, what)
  local n = tonumber(v)
  if not n then error(("prep: --%s expects a number, got '%s'"):format(what, tostring(v)), 0) end
  return n
end

local function time_arg(v, what)
  if v == nil then return nil end
  local n = tonumber(v) or require("tide").core.data.parse_time(v)
  if not n then error(("prep: --%s: cannot parse time '%s'"):format(what, v), 0) end
  return n
end

local function build_schema(a)
  local s
  local name = a.schema
  if type(name) ~= "string" then error("prep: --schema is required (a preset name, a .lua file or key=col,...)", 0) end
  s = require("tide.cli").schema(name)
  if type(s) == "string" then s = { preset = s } end
  for _, f in ipairs({ "user", "item", "event", "time", "category", "price", "dwell", "rating", "value" }) do
    if a[f] then s[f] = tonumber(a[f]) or a[f] end
  end
  if a.sep then s.sep = a.sep == "\\t" and "\t" or a.sep end
  if a["no-header"] then s.header = false end
  if a.whitespace then s.whitespace = true end
  if a["time-format"] then s.time_format = a["time-format"] end
  if a.strict then s.strict = true end
  if a["max-rows"] then s.max_rows = num(a["max-rows"], "max-rows") end
  local prog = a.progress
  if a["no-progress"] then prog = false elseif prog == nil then prog = isatty() end
  s.progress = prog and not a.quiet or nil
  return s
end

-- "prep: removed N of M rows (x%): reason n, ..." — every drop, by the reader or the cleaner,
-- said out loud before anything is written.
local function removed_report(report)
  local reasons, total = {}, 0
  for k, v in pairs(report.dropped) do
    if v > 0 then reasons[#reasons + 1] = k; total = total + v end
  end
  if total == 0 then return "prep: nothing removed\n" end
  table.sort(reasons, function(x, y)
    local a, b = report.dropped[x], report.dropped[y]
    return a > b or (a == b and x < y)
  end)
  local parts = {}
  for k, r in ipairs(reasons) do parts[k] = ("%s %d"):format(r, report.dropped[r]) end
  local seen = report.kept + total
  return ("prep: removed %d of %d rows (%.1f%%): %s\n"):format(total, seen, 100 * total / seen,
    table.concat(parts, ", "))
end

local function write_atomic(path, text)
  local ok, err = pcall(require("tide").core.io.write_atomic, path, text)
  if not ok then error("prep: " .. tostring(err), 0) end
end

local function run(args)
  local cli = require "tide.cli"
  local a = cli.parse(args, { ["no-header"] = true, whitespace = true, strict = true, quiet = true,
                              dedupe = true, ["no-dedupe"] = true, ["no-compact"] = true,
                              progress = true, ["no-progress"] = true })
  local input = a._[1]
  if not input then error("prep: missing input file (tide prep IN --schema S --out DATASET)", 0) end
  if type(a.out) ~= "string" then error("prep: --out DATASET is required", 0) end
  local tide = require "tide"
  local data, json = tide.data, require "tide.data.json"
  local wall = tide.core.io.wall -- elapsed time: os.clock() is CPU time of this process only
  local t0 = wall()
  local okr, ev = pcall(data.read_events, input, build_schema(a))
  if not okr then error((tostring(ev):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
  local t_read = wall() - t0
  if a.dedupe and a["no-dedupe"] then error("prep: --dedupe and --no-dedupe contradict each other", 0) end
  local copts = { dedupe = a.dedupe == true, compact = not a["no-compact"] }
  if a.burst then copts.burst = num(a.burst, "burst") end
  if a.bots then copts.bots = { quantile = num(a.bots, "bots") } end
  if a.kcore then copts.kcore = num(a.kcore, "kcore") end
  if a["time-from"] or a["time-to"] then
    copts.time = { time_arg(a["time-from"], "time-from"), time_arg(a["time-to"], "time-to") }
  end
  local clean, report = data.clean(ev, copts)
  if not a.quiet then io.stderr:write(removed_report(report)) end
  local summary = require("tide.data.summary").summary(clean, report)
  summary.rows_read = report.input
  summary.wall_seconds = { read = t_read, total = wall() - t0 }
  summary.schema = a.schema
  summary.dataset = a.out
  data.save(clean, a.out, { summary = summary })
  local spath = type(a.summary) == "string" and a.summary or (a.out .. ".summary.json")
  local text = json.encode(summary, "  ") .. "\n"
  write_atomic(spath, text)
  if not a.quiet then io.write(text) end
  return 0
end

return { summary = "clean a behaviour log into a prepared dataset + JSON summary", help = help, run = run }
