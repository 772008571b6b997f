-- test_clv_cli.lua — `tide clv fit` / `tide clv predict` end to end on a CSV made from the
-- CDNOW sample: the saved model reloads exactly and predicts what the library predicts; bad
-- invocations fail with a message naming the problem.
local tide = require "tide"
local check = require "check"
local cmd = require "tide.cli.clv"
local clv = tide.clv
local t = {}

local base = os.tmpname()
os.remove(base)
local function slurp(p) local f = assert(io.open(p, "rb")); local s = f:read("*a"); f:close(); return s end

-- CDNOW_sample.txt as "cust,day,amount" (YYYYMMDD dates)
local function make_csv()
  local path = base .. "_tx.csv"
  local out = { "cust,day,amount" }
  for l in io.lines("examples/data/cdnow/CDNOW_sample.txt") do
    local _, c, d, _, v = l:match("^%s*(%d+)%s+(%d+)%s+(%d+)%s+(%d+)%s+([%d.]+)")
    out[#out + 1] = c .. "," .. d .. "," .. v
  end
  local f = assert(io.open(path, "w")); f:write(table.concat(out, "\n"), "\n"); f:close()
  return path
end

function t.fit_then_predict()
  local csv, model, pred = make_csv(), base .. ".clv", base .. "_pred.csv"
  check.eq(cmd.run({ "fit", "--data", csv, "--customer", "cust", "--date", "day", "--value", "amount",
    "--calibration-end", "1997-09-30", "--time-format", "ymd", "--model", "bgnbd", "--out", model, "--quiet" }), 0)
  local m, extra = clv.load(model)
  check.eq(m.kind, "bgnbd")
  check.eq(extra.spend.kind, "gammagamma")
  check.near(m:params().r, 0.243, 2e-3, "BG/NBD r on CDNOW")
  check.eq(extra.meta.unit, "week")
  check.eq(cmd.run({ "predict", "--model", model, "--data", csv, "--horizon", "39", "--time-format", "ymd",
    "--discount", "0.001", "--out", pred, "--quiet" }), 0)
  local lines = {}
  for l in slurp(pred):gmatch("[^\n]+") do lines[#lines + 1] = l end
  check.eq(lines[1], "customer,p_alive,expected,value")
  check.eq(#lines, 2358)
  -- the library on the same summary
  local ev = tide.data.read_events(csv, { user = "cust", time = "day", price = "amount", time_format = "ymd" })
  local s = clv.summary(ev, { calibration_end = "1997-09-30" })
  local v = clv.value(m, extra.spend, s, { weeks = 39, discount = 0.001 })
  local c, pa, ex, val = lines[2]:match("^([^,]+),([^,]+),([^,]+),([^,]+)$")
  check.eq(c, s.customer[1])
  check.near(tonumber(pa), m:p_alive(s.frequency[1], s.recency[1], s.T[1]), 1e-6)
  check.near(tonumber(ex), m:conditional_expected(39, s.frequency[1], s.recency[1], s.T[1]), 1e-6)
  check.near(tonumber(val), v[1], 1e-4)
  -- Pareto/NBD without a value column: empty value field
  check.eq(cmd.run({ "fit", "--data", csv, "--customer", "cust", "--date", "day", "--model", "paretonbd",
    "--calibration-end", "19970930", "--time-format", "ymd", "--out", model, "--quiet" }), 0)
  check.eq(cmd.run({ "predict", "--model", model, "--data", csv, "--horizon", "10", "--time-format", "ymd", "--out", pred, "--quiet" }), 0)
  check.truthy(slurp(pred):match("\n0001,[%d.]+,[%d.]+,\n"), "empty value column")
  for _, p in ipairs({ csv, model, pred }) do os.remove(p) end
end

-- The default --model auto keeps the converged count model with the highest log-likelihood
-- (each has four parameters); on CDNOW the three fit and the library's fits decide
function t.auto_keeps_the_best_fit()
  local csv, model = make_csv(), base .. "_auto.clv"
  check.eq(cmd.run({ "fit", "--data", csv, "--customer", "cust", "--date", "day", "--calibration-end", "1997-09-30",
    "--time-format", "ymd", "--out", model, "--quiet" }), 0)
  local ev = tide.data.read_events(csv, { user = "cust", time = "day", price = "amount", time_format = "ymd" })
  local s = clv.summary(ev, { calibration_end = "1997-09-30" })
  local best, ll = nil, -math.huge
  for _, kind in ipairs({ "bgnbd", "paretonbd", "mbgnbd" }) do
    local m = clv.model(kind):fit(s)
    if m.ll > ll then best, ll = kind, m.ll end
  end
  local m = clv.load(model)
  check.eq(m.kind, best, "the highest log-likelihood")
  check.near(m.ll, ll, 1e-9 * math.abs(ll))
  for _, p in ipairs({ csv, model }) do os.remove(p) end
end

-- A log where every customer buys alike has no heterogeneity for BG/NBD to find: the fit does
-- not converge. By default that is an error naming the CLI's way out (not the library's
-- strict=false); --no-strict keeps the end point, and predict warns that it did.
function t.unconverged_fit()
  local csv, model, pred = base .. "_flat.csv", base .. "_flat.clv", base .. "_flat_pred.csv"
  local out = { "c,d" }
  for c = 1, 10 do for w = 0, 7 do out[#out + 1] = ("c%d,2024-01-%02d"):format(c, 1 + w * 3 + c % 3) end end
  local f = assert(io.open(csv, "w")); f:write(table.concat(out, "\n"), "\n"); f:close()
  local ok, err = pcall(cmd.run, { "fit", "--data", csv, "--customer", "c", "--date", "d", "--calibration-end", "2024-01-31",
    "--out", model, "--quiet" })
  check.truthy(not ok and tostring(err):find("no count model converged", 1, true), "auto: none converged: " .. tostring(err))
  local args = { "fit", "--data", csv, "--customer", "c", "--date", "d", "--calibration-end", "2024-01-31", "--model", "bgnbd",
    "--out", model, "--quiet" }
  ok, err = pcall(cmd.run, args)
  check.truthy(not ok and tostring(err):find("did not converge", 1, true) and tostring(err):find("--no-strict keeps it", 1, true),
    "one model refuses, naming --no-strict: " .. tostring(err))
  args[#args + 1] = "--no-strict"
  check.eq(cmd.run(args), 0)
  local m = clv.load(model)
  check.eq(m.converged, false, "saved as not converged")
  check.eq(cmd.run({ "predict", "--model", model, "--data", csv, "--horizon", "4", "--out", pred, "--quiet" }), 0)
  for _, p in ipairs({ csv, model, pred }) do os.remove(p) end
end

function t.bad_invocations()
  check.errors(function() cmd.run({ "train" }) end, "expected fit or predict")
  check.errors(function() cmd.run({ "fit", "--data", "x.csv" }) end, "--customer is required")
  check.errors(function() cmd.run({ "fit", "--data", "x.csv", "--customer", "c", "--date", "d", "--out", "m",
    "--calibration-end", "2020-01-01", "--model", "nope" }) end, "--model must be")
  check.errors(function() cmd.run({ "fit", "--data", "/nonexistent.csv", "--customer", "c", "--date", "d", "--out", "m",
    "--calibration-end", "2020-01-01" }) end, "nonexistent")
  check.errors(function() cmd.run({ "predict", "--model", "/nonexistent.clv", "--data", "x", "--horizon", "3" }) end, "nonexistent")
  check.errors(function() cmd.run({ "predict", "--model", "m", "--data", "x", "--horizon", "soon" }) end, "--horizon must be a number")
  check.truthy(cmd.help:find("tide clv fit", 1, true) and cmd.help:find("tide clv predict", 1, true), "help text")
end

return t
