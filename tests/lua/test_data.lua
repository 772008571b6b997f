-- test_data.lua — tide.data: read_events (schemas, presets, event mapping, bad rows, file
-- errors), from_columns, subset/filter/time_window, sort, sequences (CSR), sessions, clean
-- (each reason), compaction, save/load round trip and corrupt datasets.
local tide = require "tide"
local check = require "check"
local data = tide.data
local T = tide.tensor

local created = {} -- temp files, removed after each test (see the end of this file)
local function tmpfile(content, suffix)
  local base = os.tmpname()
  os.remove(base)
  local p = base .. (suffix or ".csv")
  local f = assert(io.open(p, "wb")); f:write(content); f:close()
  created[#created + 1] = p
  return p
end

local function gz(content)
  local p = tmpfile(content)
  assert(os.execute("gzip -f -n " .. p) == 0)
  created[#created + 1] = p .. ".gz"
  return p .. ".gz"
end

local LOG = "user_id,item_id,behavior,timestamp,price\n" ..
            "u1,i1,pv,100,1.5\n" ..
            "u2,i2,buy,50,2\n" ..
            "u1,i2,cart,90,3\n" ..
            "u1,i1,pv,100,1.5\n" ..      -- exact duplicate
            "u2,i3,fav,60,\n" ..         -- missing price -> NaN (optional column)
            "u3,i1,pv,oops,1\n"          -- bad timestamp
local SCHEMA = { user = "user_id", item = "item_id", event = "behavior", time = "timestamp",
                 price = "price", time_format = "epoch" }

local t = {}

function t.read_events_basic()
  local ev = data.read_events(tmpfile(LOG), SCHEMA)
  check.eq(ev.n, 5, "rows")
  check.eq(ev.n_users, 2, "users (u3 only in a bad row)")
  check.eq(ev.n_items, 3, "items")
  check.eq(ev.user:dtype(), "i32", "user dtype")
  check.eq(ev.time:dtype(), "i64", "time dtype")
  check.eq(ev.users:name(1), "u1")
  check.eq(ev.users:id("u2"), 2)
  check.eq(ev.users:id("zz"), nil)
  check.eq(ev.users:size(), 2)
  -- pv -> browse(1), buy -> 5, cart -> 3, fav -> 4
  check.all_near(ev.event, { 1, 5, 3, 1, 4 })
  check.all_near(ev.time, { 100, 50, 90, 100, 60 })
  check.truthy(ev.price:get(5) ~= ev.price:get(5), "empty price is NaN")
  check.eq(ev.stats.dropped.bad_timestamp, 1)
  check.eq(ev.stats.kept, 5)
  check.truthy(ev.stats.first_bad:find("line 7", 1, true), ev.stats.first_bad)
end

function t.time_formats_and_offset()
  local p = tmpfile("u,i,t\na,x,2017-11-28T14:01:34+08:00\nb,y,2017-11-28 06:01:34\nc,z,1511848894\n")
  local ev = data.read_events(p, { user = "u", item = "i", time = "t" })
  check.all_near(ev.time, { 1511848894, 1511848894, 1511848894 }, 0, "zone, naive, epoch")
  local ev2 = data.read_events(p, { user = "u", item = "i", time = "t", time_offset = -3600 })
  check.all_near(ev2.time, { 1511845294, 1511845294, 1511845294 }, 0)
  local ymd = data.read_events(tmpfile("u i d\n1 1 20000229\n"), { user = "u", item = "i", time = "d",
                                       sep = " ", time_format = "ymd" })
  check.eq(ymd.time:get(1), 951782400) -- date -u -d 2000-02-29 +%s
end

function t.read_events_gzip_tsv_noheader()
  local p = gz("a\tx\t1\nb\ty\t2\na\ty\t3\n")
  local ev = data.read_events(p, { user = 1, item = 2, time = 3, header = false, sep = "\t" })
  check.eq(ev.n, 3); check.eq(ev.n_users, 2)
  check.all_near(ev.event, { 1, 1, 1 }, 0, "default event is browse")
  local ev2 = data.read_events(p, { user = 1, item = 2, header = false, sep = "\t",
                                    event_default = "buy" })
  check.all_near(ev2.time, { 1, 2, 3 }, 0, "no time column: line numbers")
  check.all_near(ev2.event, { 5, 5, 5 })
end

function t.event_map_and_unknown()
  local p = tmpfile("u,i,e,t\n1,1,view,1\n1,2,weird,2\n1,3,order,3\n2,1,x9,4\n")
  local ev = data.read_events(p, { user = "u", item = "i", event = "e", time = "t" })
  check.eq(ev.n, 2, "unknown events dropped")
  check.eq(ev.stats.dropped.unknown_event, 2)
  check.all_near(ev.event, { 1, 5 })
  local ev2 = data.read_events(p, { user = "u", item = "i", event = "e", time = "t",
                                    event_map = { weird = "cart", x9 = 4 } })
  check.eq(ev2.n, 4)
  check.all_near(ev2.event, { 1, 3, 5, 4 })
  local err = check.errors(function()
    data.read_events(p, { user = "u", item = "i", event = "e", time = "t", strict = true })
  end, "line 3: column 'e': unknown event 'weird'")
  check.truthy(err:find(p, 1, true) and err:find("weird, x9", 1, true), err)
  local ev3 = data.read_events(p, { user = "u", item = "i", event = "e", time = "t", event_map = { weird = 9 } })
  check.eq(ev3.stats.dropped.unknown_event, 2, "a code outside 1..5 is not an event")
end

-- Issue 13 item 4: a behaviour column of numbers (0/1/2/3) was read as Tide's own codes (1 =
-- browse .. 5 = buy) with no map: buys became browses, 0 rows were dropped as unknown, no
-- warning. Numbers now need schema.event_map; the error lists the values found.
function t.numeric_event_codes_need_a_map()
  local p = tmpfile("u,i,e,t\n1,1,0,1\n1,2,3,2\n2,1,1,3\n2,2,2,4\n3,3,3,5\n")
  local s = { user = "u", item = "i", event = "e", time = "t" }
  local err = check.errors(function() data.read_events(p, s) end, "numeric event codes")
  check.truthy(err:find("0, 1, 2, 3", 1, true) and err:find("event_map", 1, true) and err:find(p, 1, true), err)
  s.event_map = { ["0"] = "browse", ["1"] = "cart", ["2"] = "fav", ["3"] = "buy" }
  local ev = data.read_events(p, s)
  check.eq(ev.n, 5)
  check.all_near(ev.event, { 1, 5, 3, 4, 5 })
  s.event_map = { [0] = "browse", [1] = "cart", [2] = "fav" } -- number keys work; 3 unmapped
  check.errors(function() data.read_events(p, s) end, "numeric event codes (3)")
end

-- Issue 13 item 6: users and items seen only in rows dropped as unknown_event were still
-- counted in n_users / n_items (ids were interned before the event was checked).
function t.unknown_event_rows_leave_no_ids()
  local p = tmpfile("u,i,e,t\nghost,gi,dance,1\na,x,buy,2\nb,y,pv,3\nghost2,x,jump,4\na,y,cart,5\n")
  local ev = data.read_events(p, { user = "u", item = "i", event = "e", time = "t" })
  check.eq(ev.n, 3)
  check.eq(ev.stats.dropped.unknown_event, 2)
  check.eq(ev.n_users, 2, "ghost users are not counted")
  check.eq(ev.n_items, 2, "gi is not counted")
  check.eq(ev.users:size(), 2)
  check.eq(ev.users:name(1), "a")
  check.eq(ev.items:name(1), "x")
  check.all_near(ev.user, { 1, 2, 1 })
  check.all_near(ev.item, { 1, 2, 2 })
end

-- Issue 13 item 6: pipes and /dev/stdin were "empty file" (csv) or lost their first bytes
-- (jsonl, whose gzip sniff reopened the path).
function t.read_events_from_a_pipe()
  local function fifo(content)
    local p = tmpfile("")
    os.remove(p)
    assert(os.execute("mkfifo " .. p) == 0)
    local src = tmpfile(content, ".src")
    assert(os.execute(("(cat %s > %s) &"):format(src, p)) == 0)
    return p
  end
  local ev = data.read_events(fifo(LOG), SCHEMA)
  check.eq(ev.n, 5)
  check.eq(ev.n_users, 2)
  local jl = '{"u":"a","i":"x","t":5}\n{"u":"b","i":"y","t":6}\n'
  local ej = data.read_events(fifo(jl), { user = "u", item = "i", time = "t", format = "jsonl" })
  check.eq(ej.n, 2)
  check.eq(ej.users:name(1), "a")
end

-- The Lua-read formats (seqlines, jsonl) and the sentiment readers inflated gzip through
-- `gzip -dc` in io.popen, whose close reports no status in LuaJIT: a truncated file read as a
-- shorter one. They now inflate through the engine (core.io.read_all): a truncated file is an
-- error naming it, and a whole one reads exactly as its plain text.
function t.truncated_gzip_is_an_error_everywhere()
  local lines, jl, csv = {}, {}, { "label,review" }
  for i = 1, 3000 do
    lines[i] = ("u%d i1 i2 i%d"):format(i, i)
    jl[i] = ('{"u":"u%d","i":"x%d","t":%d}'):format(i, i % 97, i)
    csv[i + 1] = ("%d,review %d of a product"):format(i % 2, i)
  end
  local sl, js, cs = gz(table.concat(lines, "\n") .. "\n"), gz(table.concat(jl, "\n") .. "\n"), gz(table.concat(csv, "\n") .. "\n")
  local io_ = tide.core.io
  check.eq(io_.read_all(sl), table.concat(lines, "\n") .. "\n", "read_all inflates")
  check.eq(io_.read_all(tmpfile("plain\n")), "plain\n", "and reads plain files")
  check.eq(data.read_events(sl, { format = "seqlines", user = 1 }).n, 9000)
  check.eq(data.read_events(js, { format = "jsonl", user = "u", item = "i", time = "t" }).n, 3000)
  check.eq(tide.sentiment.io.read_csv(cs).n, 3000)
  local function cut(p)
    local f = assert(io.open(p, "rb")); local b = f:read("*a"); f:close()
    return tmpfile(b:sub(1, math.floor(#b / 2)), ".gz")
  end
  check.errors(function() io_.read_all(cut(sl)) end, "truncated gzip")
  check.errors(function() data.read_events(cut(sl), { format = "seqlines", user = 1 }) end, "truncated gzip")
  check.errors(function() data.read_events(cut(js), { format = "jsonl", user = "u", item = "i", time = "t" }) end, "truncated gzip")
  check.errors(function() tide.sentiment.io.read_csv(cut(cs)) end, "truncated gzip")
  check.errors(function() tide.sentiment.io.read_amazon(cut(js)) end, "truncated gzip")
end

function t.read_events_errors()
  check.errors(function() data.read_events("/nonexistent/x.csv", SCHEMA) end, "/nonexistent/x.csv")
  check.errors(function() data.read_events(tmpfile(""), SCHEMA) end, "empty file")
  check.errors(function() data.read_events(tmpfile("user_id,item_id\n1,2\n"), SCHEMA) end,
    "missing column 'behavior'")
  check.errors(function() data.read_events(tmpfile(LOG), { user = "user_id", bogus = 1 }) end,
    "unknown schema key 'bogus'")
  check.errors(function() data.read_events(tmpfile(LOG), "nosuchpreset") end, "unknown schema preset")
  check.errors(function() data.read_events(42, SCHEMA) end, "path must be a string")
  check.errors(function() data.read_events(tmpfile("user_id,item_id,behavior,timestamp,price\n"), SCHEMA) end,
    "no valid rows")
  local strict = {}
  for k, v in pairs(SCHEMA) do strict[k] = v end
  strict.strict = true
  local p = tmpfile(LOG)
  local err = check.errors(function() data.read_events(p, strict) end, "line 7")
  check.truthy(err:find("timestamp", 1, true) and err:find(p, 1, true), err)
  -- truncated gzip
  local g = gz(LOG:rep(2000))
  local f = io.open(g, "rb"); local bytes = f:read("*a"); f:close()
  local g2 = tmpfile(bytes:sub(1, #bytes - 40), ".csv.gz")
  check.errors(function() data.read_events(g2, SCHEMA) end, "truncated gzip")
end

function t.each_malformed_kind_counted()
  local p = tmpfile("u,i,t,p\nok,a,1,1\nx,b,2\nx,c,3x,1\nx,d,4,1.2.3\nx,\195\40,5,1\n,e,6,1\n" ..
                    "x,f,,1\nx,\"g\"z,8,1\nok,h,9,2\nx,\"open,10,1\n")
  local ev = data.read_events(p, { user = "u", item = "i", time = "t", value = "p" })
  local d = ev.stats.dropped
  check.eq(ev.n, 2)
  check.eq(d.field_count, 1); check.eq(d.bad_timestamp, 1); check.eq(d.invalid_utf8, 1)
  check.eq(d.empty_id, 1); check.eq(d.missing_value, 1); check.eq(d.unterminated_quote, 2)
  -- value is optional (NaN when empty) so "1.2.3" is the one bad number
  check.eq(d.bad_number, 1)
end

function t.presets_on_shared_data()
  local base = "../shared/data/"
  local cases = {
    { "taobao-userbehavior/UserBehavior_tail114users.csv", "taobao", 10000, 114 },
    { "movielens-latest-small/ratings.csv.gz", "movielens", 100836, 610 },
    { "cdnow/CDNOW_master.txt", "cdnow", 69659, 23570 },
    { "movielens-1m/ratings_head_users1-20.dat", "ml1m", 2524, 20 },
    { "uci-online-retail/online_retail.csv.gz", "retail", 406829, 4372 },
  }
  for _, c in ipairs(cases) do
    local f = io.open(base .. c[1])
    if f then
      f:close()
      local ev = data.read_events(base .. c[1], c[2])
      check.eq(ev.n, c[3], c[1] .. " rows")
      check.eq(ev.n_users, c[4], c[1] .. " users")
    else
      print("skip: " .. base .. c[1] .. " not present")
    end
  end
end

function t.from_columns_and_sequences()
  local ev = data.from_columns { user = { 2, 1, 2, 1, 2 }, item = { 5, 1, 3, 2, 5 },
                                 time = { 30, 20, 10, 10, 20 }, event = { "pv", "buy", 3, "cart", "fav" } }
  check.eq(ev.n, 5); check.eq(ev.n_users, 2); check.eq(ev.n_items, 5)
  check.eq(ev.users:name(2), "2", "integer ids keep their value")
  local s = data.sequences(ev)
  check.all_near(s.offsets, { 0, 2, 5 })
  -- user 1: (t10, item2), (t20, item1); user 2: (t10,3), (t20,5), (t30,5)
  check.all_near(s.item, { 2, 1, 3, 5, 5 })
  check.all_near(s.time, { 10, 20, 10, 20, 30 })
  check.all_near(s.event, { 3, 5, 3, 4, 1 })
  check.eq(s.offsets:dtype(), "i64")
  local sv = data.from_columns { user = { "b", "a", "b" }, item = { "x", "y", "x" } }
  check.eq(sv.users:name(1), "b", "strings interned in order of appearance")
  check.all_near(sv.user, { 1, 2, 1 })
  check.all_near(sv.time, { 1, 2, 3 })
  local tv = data.from_columns { user = T.fromtable({ 1, 3 }, "i32"), item = T.fromtable({ 1, 1 }, "i32"),
                                 n_users = 4 }
  check.eq(tv.n_users, 4, "n_users given explicitly")
  check.errors(function() data.from_columns { user = { 1, 2 }, item = { 1 } } end, "item has 1 rows")
  check.errors(function() data.from_columns { user = { 0, 1 } } end, "must be >= 1")
  check.errors(function() data.from_columns { user = { 1 }, event = { 9 } } end, "1..5")
  check.errors(function() data.from_columns { user = { 1 }, event = { "dance" } } end, "unknown event")
  check.errors(function() data.from_columns { item = { 1 } } end, "'user' column is required")
  check.errors(function() data.from_columns { user = { 3 }, n_users = 2 } end, "exceeds")
end

function t.subset_filter_window_sort()
  local ev = data.from_columns { user = { 1, 2, 1, 2 }, item = { 1, 2, 3, 4 }, time = { 4, 3, 2, 1 },
                                 price = { 1, 2, 3, 4 }, text = { "a", "b", "c", "d" } }
  local s = data.subset(ev, { 4, 1 })
  check.eq(s.n, 2); check.all_near(s.item, { 4, 1 }); check.eq(s.text[1], "d")
  check.eq(s.n_users, 2, "same id space")
  check.errors(function() data.subset(ev, { 5 }) end, "1..4")
  local f = data.filter(ev, ev.price:gt(2))
  check.all_near(f.item, { 3, 4 })
  local w = data.time_window(ev, 2, 3)
  check.all_near(w.item, { 2, 3 })
  local so = ev:sort()
  check.all_near(so.user, { 1, 1, 2, 2 }); check.all_near(so.time, { 2, 4, 1, 3 })
  check.eq(so.text[1], "c")
  local cu, ci = data.counts(ev)
  check.all_near(cu, { 2, 2 }); check.all_near(ci, { 1, 1, 1, 1 })
  check.all_near(data.weights(ev), { 1, 1, 1, 1 })
  local ev2 = data.from_columns { user = { 1, 1, 1 }, event = { "buy", "cart", "pv" } }
  check.all_near(ev2:weights(), { 5, 3, 1 })
  check.all_near(data.weights(ev2, { 0.5, 0, 0, 0, 2 }), { 2, 0, 0.5 })
end

function t.sessions()
  local ev = data.from_columns { user = { 1, 1, 1, 2, 2 }, item = { 1, 2, 3, 1, 2 },
                                 time = { 0, 100, 5000, 10, 20 } }
  local sid, s, ns = data.sessions(ev, { gap = 1800 })
  check.eq(ns, 3)
  check.all_near(sid, { 1, 1, 2, 3, 3 })
  check.eq(s.n_sessions, 3)
end

function t.clean_reasons()
  local ev = data.from_columns {
    user  = { 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3 },
    item  = { 1, 1, 1, 2, 1, 2, 1, 2, 3, 1, 2, 3, 1, 2 },
    event = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
    time  = { 10, 10, 15, 20, 5, 6, 1, 2, 3, 100, 200, 300, 400, 500 },
    price = { 1, 1, 1, 1, 0 / 0, 1, 1, 1, 1, 1, 1, 1, 1, 1e9 },
  }
  local c, rep = data.clean(ev, { burst = 10, ranges = { price = { 0, 1000 } } })
  check.eq(rep.dropped.missing_value, 1, "NaN price")
  check.eq(rep.dropped.out_of_range, 1, "price 1e9")
  check.eq(rep.dropped.duplicate, 1, "exact repeat")
  check.eq(rep.dropped.burst, 1, "user 1 item 1 at t15 within 10 s of t10")
  check.eq(rep.kept, 10)
  check.eq(c.n, 10)
  -- bots: user 3 has far more events than the others
  local c2, rep2 = data.clean(ev, { bots = { max = 4 } })
  check.eq(rep2.bot_users, 1)
  check.eq(c2.n_users, 2, "ids compacted after removing the bot")
  check.eq(c2.users:name(2), "2")
  -- k-core 2: user 2 (2 events on items 1, 2) stays; check an independent count
  local c3, rep3 = data.clean(ev, { kcore = { user = 3, item = 1 }, dedupe = false })
  check.eq(rep3.dropped.kcore, 2, "user 2 has only 2 events")
  check.eq(c3.n_users, 2)
  local w = data.clean(ev, { time = { 6, 300 }, dedupe = false })
  check.eq(w.n, 8) -- times 10,10,15,20,6,100,200,300
  check.errors(function() data.clean(ev, { require = { "dwell" } }) end, "required column 'dwell'")
  -- same user, item, event and second but a different amount: two transactions, both kept
  local tx = data.from_columns { user = { 1, 1, 1 }, time = { 5, 5, 5 }, event = { 5, 5, 5 }, price = { 10, 12, 10 } }
  local ctx, rtx = data.clean(tx)
  check.eq(ctx.n, 2); check.eq(rtx.dropped.duplicate, 1)
  check.errors(function() data.clean({}, {}) end, "expected an event table")
end

function t.save_load_round_trip()
  local ev = data.read_events(tmpfile(LOG), SCHEMA)
  local c = data.clean(ev)
  local p = tmpfile("", ".tds")
  c:save(p, { note = "hi" })
  local l = data.load(p)
  check.eq(l.n, c.n); check.eq(l.n_users, c.n_users); check.eq(l.n_items, c.n_items)
  check.all_near(l.user, c.user:totable()); check.all_near(l.time, c.time:totable())
  check.all_near(l.event, c.event:totable())
  check.eq(l.users:name(2), c.users:name(2))
  check.eq(l.items:id("i3"), c.items:id("i3"))
  check.eq(l.meta.note, "hi")
  check.eq(l.stats.dropped.bad_timestamp, 1)
  check.eq(l.clean_report.dropped.duplicate, 1)
  -- corrupt: flip one byte in the middle, then truncate
  local f = io.open(p, "rb"); local b = f:read("*a"); f:close()
  local mid = math.floor(#b / 2)
  local bad = tmpfile(b:sub(1, mid - 1) .. string.char((b:byte(mid) + 1) % 256) .. b:sub(mid + 1), ".tds")
  check.errors(function() data.load(bad) end, "corrupt")
  check.errors(function() data.load(tmpfile(b:sub(1, #b - 9), ".tds")) end, "truncated")
  check.errors(function() data.load(tmpfile(LOG, ".tds")) end, "not a Tide dataset")
  check.errors(function() data.load("/nonexistent.tds") end, "cannot open")
  os.remove(p)
end

function t.interner_api()
  local D = tide.core.data
  local I = D.interner()
  check.eq(I:add("x"), 1); check.eq(I:add(7), 2); check.eq(I:id("7"), 2); check.eq(I:id(7), 2)
  check.eq(#I, 2)
  local keys, offs = I:serialize()
  local J = D.interner_from(keys, offs)
  check.eq(J:name(2), "7")
  check.eq(tostring(J), "Interner(2 ids)")
  J:free(); J:free()
  check.errors(function() J:size() end, "freed")
  check.errors(function() I:id({}) end, "string or number")
  check.eq(D.parse_time("2017-11-28T06:01:34Z"), 1511848894)
  check.eq(D.parse_time("nope"), nil)
end

-- random and mutated inputs through the whole Lua path: an error or a table, never a crash
function t.fuzz_read_events()
  local seedlog = "user_id,item_id,behavior,timestamp,price\nu1,\"i,1\",pv,100,1.5\nu2,i2,buy,50,2\r\n"
  local x = 12345
  local function rnd(n) x = (x * 1103515245 + 12345) % 2147483648; return x % n end
  local alpha = { "a", "1", ",", '"', "\n", "\r", ".", "-", "pv", "\255", "\195\169", ":", " " }
  for iter = 1, 300 do
    local s
    if iter % 2 == 0 then
      local parts = {}
      for i = 1, rnd(60) do parts[i] = alpha[rnd(#alpha) + 1] end
      s = table.concat(parts)
    else
      s = seedlog
      for _ = 1, 1 + rnd(4) do
        local pos = rnd(#s) + 1
        s = s:sub(1, pos - 1) .. alpha[rnd(#alpha) + 1] .. s:sub(pos + 1)
      end
    end
    local p = tmpfile(s)
    local ok, ev = pcall(data.read_events, p, { user = "user_id", item = "item_id", event = "behavior",
                                                time = "timestamp", price = "price", strict = iter % 3 == 0 })
    if ok then
      check.truthy(ev.n >= 1 and ev.user:numel() == ev.n)
      local lo, hi = tide.core.data.minmax(ev.user)
      check.truthy(lo >= 1 and hi <= ev.n_users)
    else
      check.truthy(type(ev) == "string" and ev:find("read_events", 1, true), tostring(ev))
    end
    os.remove(p)
  end
end

for name, fn in pairs(t) do
  t[name] = function()
    local ok, err = pcall(fn)
    for _, p in ipairs(created) do os.remove(p) end
    created = {}
    if not ok then error(err, 0) end
  end
end

return t
