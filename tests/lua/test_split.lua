-- test_split.lua — tide.split: leave-last-out, global time cut, per-user ratio; parts are
-- disjoint, cover the input, share the id space, and never put a later event of a user in
-- train than in valid/test (no leakage). Expected rows are worked out by hand.
local tide = require "tide"
local check = require "check"
local data = tide.data

local function ev4()
  -- user 1: items 1..5 at t = 50,10,40,20,30 (time order: 2,4,5,3,1)
  -- user 2: items 6,7 (too short for leave-last: stays in train)
  -- user 3: items 8,9,10 at t = 3,1,2 (time order: 9,10,8)
  return data.from_columns {
    user = { 1, 1, 1, 1, 1, 2, 2, 3, 3, 3 },
    item = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
    time = { 50, 10, 40, 20, 30, 5, 6, 3, 1, 2 },
  }
end

local t = {}

function t.leave_last()
  local sp = data.split(ev4(), { by = "leave_last" })
  check.all_near(sp.test.item, { 1, 8 })
  check.all_near(sp.test.user, { 1, 3 })
  check.all_near(sp.valid.item, { 3, 10 })
  check.all_near(sp.train.item, { 2, 4, 5, 6, 7, 9 })
  check.eq(sp.train.n_items, 10, "same id space")
  check.eq(sp.train.n + sp.valid.n + sp.test.n, 10)
  check.eq(sp.test.users, sp.train.users, "shared interner")
  -- no valid part: the last event is the test target, everything else trains
  local s2 = require("tide.split").split(ev4(), { by = "leave_last", n_valid = 0 })
  check.eq(s2.valid.n, 0)
  check.all_near(s2.test.item, { 1, 7, 8 })
end

function t.time_cut()
  local sp = data.split(ev4(), { by = "time", at = 30 })
  check.all_near(sp.test.item, { 5, 3, 1 }) -- t = 30, 40, 50
  check.eq(sp.valid.n, 0)
  check.eq(sp.train.n, 7)
  local s2 = data.split(ev4(), { by = "time", at = 40, valid_at = 20 })
  check.all_near(s2.valid.item, { 4, 5 })
  check.all_near(s2.test.item, { 3, 1 })
  -- quantile 0.5 of the 10 times (sorted 1,2,3,5,6,10,20,30,40,50) -> the 5th, 6
  local s3 = data.split(ev4(), { by = "time", quantile = 0.5 })
  check.eq(s3.train.n, 4)
  check.errors(function() data.split(ev4(), { by = "time", quantile = 1.5 }) end, "quantile")
  local s4 = data.split(ev4(), { by = "time", at = "1970-01-01T00:00:30Z" })
  check.all_near(s4.test.item, { 5, 3, 1 })
  check.errors(function() data.split(ev4(), { by = "time", at = "soon" }) end, "cannot parse")
  check.errors(function() data.split(ev4(), { by = "time", at = 10, valid_at = 20 }) end, "valid_at")
end

function t.user_ratio()
  local sp = data.split(ev4(), { by = "user_ratio", ratio = 0.6, valid = 0.2 })
  -- user 1 (5 events): 3 train, 1 valid, 1 test; user 2 (2): 1, 0, 1; user 3 (3): 1, 0, 2
  check.all_near(sp.train.item, { 2, 4, 5, 6, 9 })
  check.all_near(sp.valid.item, { 3 })
  check.all_near(sp.test.item, { 1, 7, 10, 8 })
  check.errors(function() data.split(ev4(), { by = "user_ratio", ratio = 0.9, valid = 0.2 }) end, "sum")
end

function t.no_leakage_on_real_log()
  local p = "../shared/data/taobao-userbehavior/UserBehavior_tail114users.csv"
  local f = io.open(p)
  if not f then print("skip: " .. p) return end
  f:close()
  local ev = data.clean(data.read_events(p, "taobao"))
  for _, by in ipairs({ "leave_last", "user_ratio" }) do
    local sp = data.split(ev, { by = by })
    local last_train = {}
    local u, tm = sp.train.user:totable(), sp.train.time:totable()
    for i = 1, #u do last_train[u[i]] = math.max(last_train[u[i]] or -math.huge, tm[i]) end
    for _, part in ipairs({ "valid", "test" }) do
      local pu, pt = sp[part].user:totable(), sp[part].time:totable()
      for i = 1, #pu do
        check.truthy((last_train[pu[i]] or -math.huge) <= pt[i], by .. ": train event after a " .. part .. " event")
      end
    end
    check.eq(sp.train.n + sp.valid.n + sp.test.n, ev.n, by .. " covers all rows")
  end
end

function t.errors()
  check.errors(function() data.split(ev4(), { by = "random" }) end, "unknown 'by'")
  check.errors(function() require("tide.split").split(nil) end, "expected an event table")
end

return t
