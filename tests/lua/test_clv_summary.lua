-- test_clv_summary.lua — tide.clv.summary: the CDNOW summary files rebuilt from the raw
-- transactions (sample and master), a hand-worked log, and bad input.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "clv_util"
local clv = tide.clv
local tests = {}

-- lifetimes' cdnow_customers_summary.csv: ID, frequency, recency, T as printed (2 decimals)
local function published_rows()
  local rows = {}
  local f = assert(io.open(U.DIR .. "cdnow_customers_summary.csv"))
  f:read("*l")
  for l in f:lines() do
    local id, x, r, T = l:match("^(%d+),(%d+),([%d.]+),([%d.]+)")
    rows[tonumber(id)] = { tonumber(x), r, T }
  end
  f:close()
  return rows
end

-- "30.4" -> "30.40": the CSV drops trailing zeros ("0.0")
local function two(s) return ("%.2f"):format(tonumber(s)) end

function tests.sample_reproduces_the_published_summary()
  local s = clv.summary(U.sample_events(), { calibration_end = "1997-09-30" })
  local pub, zbar = published_rows(), U.cdnow().monetary
  check.eq(s.n, 2357)
  for i = 1, s.n do
    local id = tonumber(s.customer[i])
    local want = pub[id]
    check.eq(s.frequency[i], want[1], "frequency of " .. id)
    check.eq(("%.2f"):format(s.recency[i]), two(want[2]), "recency of " .. id)
    check.eq(("%.2f"):format(s.T[i]), two(want[3]), "T of " .. id)
    -- zbar is printed half-up to cents; prices are read as f32
    check.truthy(math.abs(s.monetary[i] - zbar[id]) <= 0.005 + 1e-5, ("zbar of %d: %.4f vs %.2f"):format(id, s.monetary[i], zbar[id]))
  end
end

function tests.master_gives_the_same_customers()
  -- CDNOW_sample.txt column 1 is the master customer id of each sample customer
  local map = {}
  for l in io.lines(U.DIR .. "CDNOW_sample.txt") do
    local master, sample = l:match("^%s*(%d+)%s+(%d+)")
    map[tonumber(master)] = tonumber(sample)
  end
  local ev = tide.data.read_events(U.DIR .. "CDNOW_master.txt.gz", "cdnow")
  local s = clv.summary(ev, { calibration_end = "1997-09-30", observation_end = "1998-06-30" })
  check.eq(s.n, 23570, "all master customers")
  local pub, seen = published_rows(), 0
  for i = 1, s.n do
    local sid = map[tonumber(s.customer[i])]
    if sid then
      seen = seen + 1
      check.eq(s.frequency[i], pub[sid][1])
      check.eq(("%.2f"):format(s.recency[i]), two(pub[sid][2]))
      check.eq(("%.2f"):format(s.T[i]), two(pub[sid][3]))
    end
  end
  check.eq(seen, 2357)
end

function tests.hand_worked_log()
  -- customer a: first 2024-01-01, two orders on 01-05 (one purchase day, values summed),
  -- 01-15, then 02-10 in the holdout; b: one order only; c: first order after the cut (left out)
  local tx = { customer = { "a", "a", "a", "a", "a", "b", "c" },
               date = { "2024-01-01", "2024-01-05", "20240105", "2024-01-15T10:00:00Z", "2024-02-10", "2024-01-08", "2024-02-01" },
               value = { 10, 5, 7, 30, 8, 99, 1 } }
  local s = clv.summary(tx, { calibration_end = "2024-01-31", observation_end = "2024-02-29", unit = "day" })
  check.eq(s.n, 2)
  check.eq(s.customer[1], "a"); check.eq(s.customer[2], "b")
  check.all_near(s.frequency, { 2, 0 }, 0)
  check.all_near(s.recency, { 14, 0 }, 0)
  check.all_near(s.T, { 30, 23 }, 0)
  check.all_near(s.monetary, { (12 + 30) / 2, 0 }, 1e-15)
  check.all_near(s.frequency_holdout, { 1, 0 }, 0)
  check.all_near(s.monetary_holdout, { 8, 0 }, 0)
  check.all_near(s.duration_holdout, { 29, 29 }, 0)
  local w = clv.summary(tx, { calibration_end = "2024-01-31" })
  check.near(w.T[1], 30 / 7, 1e-15, "weeks")
  check.eq(w.frequency_holdout, nil)
  -- epoch seconds work as dates; default calibration end = the last transaction day
  local e = clv.summary({ customer = { 1, 1 }, date = { 0, 86400 * 3 } }, { unit = "day" })
  check.all_near({ e.frequency[1], e.recency[1], e.T[1], e.monetary[1] }, { 1, 3, 3, 0 }, 0)
end

function tests.bad_input()
  local tx = { customer = { 1 }, date = { "2024-01-01" } }
  check.errors(function() clv.summary(tx, { calibration_end = "soon" }) end, "'soon' is not a date")
  check.errors(function() clv.summary(tx, { cutoff = 1 }) end, "unknown option 'cutoff'")
  check.errors(function() clv.summary(tx, { unit = "month" }) end, "'day' or 'week'")
  check.errors(function() clv.summary(tx, { calibration_end = "2024-02-01", observation_end = "2024-01-15" }) end, "before calibration_end")
  check.errors(function() clv.summary({ customer = {}, date = {} }) end, "no transactions")
  check.errors(function() clv.summary({ customer = { 1, 2 }, date = { "2024-01-01" } }) end, "2 customers but 1 dates")
  check.errors(function() clv.summary(tx, { calibration_end = "2023-01-01" }) end, "no customer made a first purchase")
  check.errors(function() clv.summary({ customer = { 1 }, date = { true } }) end, "date[1] must be a date string")
  check.errors(function() clv.summary("tx.csv") end, "must be an event table")
  check.errors(function() clv.summary({ customer = { 1 }, date = { 0 }, value = { 0 / 0 } }) end, "value[1] is NaN")
end

return tests
