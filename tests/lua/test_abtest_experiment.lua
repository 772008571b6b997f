-- test_abtest_experiment.lua — experiment files and `tide ab`: the example file runs and its
-- results reach the report section and a JSON file (exact round trip of the rows); a log
-- experiment reproduces tide.abtest's own functions on the same columns and checks the sample
-- ratio; bad files and fields give errors naming the file and the field or line.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local ab = tide.abtest
local X = require "tide.abtest.experiment"
local run = require "tide.abtest.experiment_run"
local json = require "tide.data.json"
local tests = {}

local tmp = os.tmpname()

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

function tests.example_file_runs_and_reports()
  local e = X.load("examples/experiments/winback.lua")
  e.analysis.replicates = 2
  local res = run.run(e)
  check.eq(res.mode, "sim")
  check.eq(#res.rows, 3 * 4) -- 3 strategies x (3 primary + 1 guardrail)
  local nadj = 0
  for _, r in ipairs(res.rows) do
    check.truthy(r.lo <= r.estimate and r.estimate <= r.hi, r.name .. " " .. r.metric .. ": estimate inside")
    check.truthy(type(r.true_effect) == "number", "true effect known")
    if r.guardrail then check.eq(r.metric, "visits"); check.eq(r.p_adj, nil) else nadj = nadj + 1; check.truthy(r.p_adj >= r.p, "p_adj >= p") end
  end
  check.eq(nadj, 9)
  local sec = ab.report_section(res)
  check.eq(sec.title, "winback")
  check.eq(sec.rows[1].label, sec.rows[1].name .. " · " .. sec.rows[1].metric)
  check.eq(sec.rows[1].truth, sec.rows[1].true_effect)
  -- the section feeds tide.report's forest plot as is (it refuses an estimate outside [lo, hi])
  local R = tide.report.new("ab")
  R:forest { title = sec.title, rows = sec.rows }
  check.truthy(R:html():find("everyone", 1, true), "forest plot drawn")
  local txt = run.table(res)
  check.truthy(txt:find("everyone", 1, true) and txt:find("(guardrail)", 1, true), "table lists rows")
  run.write_json(res, tmp .. ".json")
  local doc = json.decode(io.open(tmp .. ".json"):read("*a"))
  check.eq(doc.format, "tide.abtest.results/1")
  check.eq(#doc.rows, #res.rows)
  for i, r in ipairs(res.rows) do
    for _, k in ipairs({ "estimate", "lo", "hi", "p", "true_effect" }) do check.eq(doc.rows[i][k], r[k], k) end
  end
  os.remove(tmp .. ".json")
end

-- a live-test log: 3 arms, a metric, a ratio metric, a pre-period covariate
local function log_file(rows_per_arm, shift)
  local lines = { "user_id,arm,revenue,orders,pre_revenue" }
  local T = tide.tensor
  T.manual_seed(4)
  local z = T.randn(3 * rows_per_arm, 3):totable()
  local arms = { "control", "coupon", "banner" }
  for k = 1, 3 * rows_per_arm do
    local a = arms[(k - 1) % 3 + 1]
    local pre = 10 + 3 * z[k][1]
    local rev = 5 + pre + 1.5 * z[k][2] + (a == "coupon" and shift or 0)
    lines[#lines + 1] = ("%d,%s,%.6f,%d,%.6f"):format(k, a, rev, 1 + (k * 7) % 5, pre)
  end
  return write(tmp .. ".csv", table.concat(lines, "\n") .. "\n")
end

local function log_experiment(extra)
  local e = { name = "live", data = { path = log_file(200, 1.0), arm = "arm" },
              metrics = { "revenue", { column = "revenue", den = "orders" }, guardrails = { "orders" } },
              analysis = { alpha = 0.1, correction = "bh" } }
  for k, v in pairs(extra or {}) do e.analysis[k] = v end
  return X.validate(e, "live.lua")
end

function tests.log_experiment_matches_direct_calls()
  local res = run.run(log_experiment())
  check.eq(res.mode, "log")
  check.truthy(res.srm and res.srm.p > 0.5, "equal arms pass the SRM check")
  -- recompute the coupon rows directly from the CSV columns
  local cols = { control = { r = {}, o = {} }, coupon = { r = {}, o = {} } }
  local first = true
  for line in io.lines(tmp .. ".csv") do
    if first then first = false else
      local _, a, r, o = line:match("^([^,]*),([^,]*),([^,]*),([^,]*)")
      if cols[a] then table.insert(cols[a].r, tonumber(r)); table.insert(cols[a].o, tonumber(o)) end
    end
  end
  local w = ab.welch(cols.control.r, cols.coupon.r, { level = 0.9 })
  local q = ab.ratio(cols.control.r, cols.control.o, cols.coupon.r, cols.coupon.o, { level = 0.9 })
  local got = {}
  for _, r in ipairs(res.rows) do got[r.name .. "/" .. r.metric] = r end
  check.near(got["coupon/revenue"].estimate, w.estimate, 1e-12)
  check.near(got["coupon/revenue"].lo, w.lo, 1e-12)
  check.near(got["coupon/revenue/orders"].hi, q.hi, 1e-12)
  check.truthy(got["coupon/orders"].guardrail and got["coupon/orders"].p_adj == nil, "guardrail not adjusted")
  local adj = ab.bh({ got["banner/revenue"].p, got["banner/revenue/orders"].p, got["coupon/revenue"].p, got["coupon/revenue/orders"].p })
  check.near(got["coupon/revenue"].p_adj, adj[3], 1e-12)
  -- CUPED on the pre-period column narrows the interval; the bootstrap gives BCa bounds
  local cu = run.run(log_experiment({ cuped = "pre_revenue" }))
  for _, r in ipairs(cu.rows) do
    if r.name == "coupon" and r.metric == "revenue" then
      check.truthy(r.hi - r.lo < 0.7 * (w.hi - w.lo), "CUPED interval narrower")
      check.truthy(r.lo < 1.0 and 1.0 < r.hi, "CUPED covers the planted shift")
    end
  end
  local bs = run.run(log_experiment({ bootstrap = 500, seed = 3 }))
  local b = ab.bootstrap(cols.control.r, cols.coupon.r, { replicates = 500, seed = 3, level = 0.9 })
  for _, r in ipairs(bs.rows) do
    if r.name == "coupon" and r.metric == "revenue" then check.near(r.lo, b.bca.lo, 1e-12) end
  end
  check.truthy(run.table(res):find("sample-ratio check", 1, true), "table reports SRM")
  check.truthy(run.table(res):find("intervals by: Welch; delta-method ratio", 1, true), "table names its methods")
  -- CUPED with the bootstrap: BCa bounds of the adjusted outcomes (the bootstrap used to be
  -- dropped silently when CUPED was on)
  local cb = run.run(log_experiment({ cuped = "pre_revenue", bootstrap = 500, seed = 3 }))
  local pre = { control = {}, coupon = {} }
  first = true
  for line in io.lines(tmp .. ".csv") do
    if first then first = false else
      local a, x = line:match("^[^,]*,([^,]*),[^,]*,[^,]*,([^,]*)")
      if pre[a] then table.insert(pre[a], tonumber(x)) end
    end
  end
  local aa, ab2 = require("tide.abtest.cuped").adjust(cols.control.r, pre.control, cols.coupon.r, pre.coupon)
  local cbb = ab.bootstrap(aa, ab2, { replicates = 500, seed = 3, level = 0.9 })
  for _, r in ipairs(cb.rows) do
    if r.name == "coupon" and r.metric == "revenue" then
      check.near(r.lo, cbb.bca.lo, 1e-12)
      check.near(r.hi, cbb.bca.hi, 1e-12)
      check.eq(r.method, "BCa bootstrap (500) interval, Welch p, CUPED on 'pre_revenue'")
      check.truthy(r.variance_reduction > 0.5, "CUPED's variance reduction is reported")
    end
  end
  check.truthy(run.table(cb):find("CUPED cut the outcome variance by", 1, true), "table reports CUPED's reduction")
  -- always-valid monitoring replayed in time order (user_id as the clock): wider than Welch,
  -- and with one look it is the closed-form mixture test on the whole sample
  local sq = run.run(log_experiment({ sequential = { tau = 1, time = "user_id", looks = 10 } }))
  local one = run.run(log_experiment({ sequential = { tau = 1, time = "user_id", looks = 1 } }))
  for i, r in ipairs(sq.rows) do
    if r.metric == "revenue" then
      check.truthy(r.lo_seq <= r.estimate and r.estimate <= r.hi_seq, "estimate in the confidence sequence")
      check.truthy(r.hi_seq - r.lo_seq > r.hi - r.lo, "a confidence sequence is wider than a fixed-n interval")
      check.truthy(r.p_seq <= one.rows[i].p_seq + 1e-12, "more looks: running minimum")
      if r.name == "coupon" then
        local w2, t2 = w.se ^ 2, 1
        local lr = math.sqrt(w2 / (w2 + t2)) * math.exp(t2 * w.estimate ^ 2 / (2 * w2 * (w2 + t2)))
        check.near(one.rows[i].p_seq, math.min(1, 1 / lr), 1e-9, "one look = the closed form")
      end
    elseif r.metric == "revenue/orders" then
      check.eq(r.p_seq, nil, "no sequential test for a ratio metric")
    end
  end
end

local function load_err(text, pattern)
  local p = write(tmp .. "_bad.lua", text)
  check.errors(function() X.load(p) end, pattern)
end

function tests.bad_files_name_the_field_or_line()
  local base = 'population = { sim = { users = 50 } }, strategies = { s = function(u) return u end }, '
  load_err("return {\n  name = 'x',\n  metrics = {\n}}}\n", tmp .. "_bad.lua:4:")          -- syntax
  load_err("local a = nil\nreturn { name = a.b }\n", tmp .. "_bad.lua:2:")                   -- runtime
  load_err("return 3", "must return a table")
  load_err("return {" .. base .. "metrics = {'retention'}, strategis = {} }", "field 'strategis' is not known")
  load_err("return {" .. base .. "metrics = {'retention', 'profit'} }", "field 'metrics[2]' must be one of retention")
  load_err("return {" .. base .. "metrics = {'retention'}, analysis = {alpha = 2} }", "field 'analysis.alpha' must be a number in (0, 1)")
  load_err("return {" .. base .. "metrics = {'retention'}, analysis = {correction = 'fdr'} }", "field 'analysis.correction'")
  load_err("return {" .. base .. "metrics = {'retention'}, analysis = {replicats = 2} }", "field 'analysis.replicats' is not known")
  load_err("return {" .. base .. "metrics = {'retention'}, analysis = {bootstrap = 1000} }", "field 'analysis.bootstrap' applies to data from a log")
  load_err("return {" .. base .. "metrics = {'retention'}, analysis = {cuped = 'revenue'} }", "field 'analysis.cuped'")
  load_err("return { population = { sim = { users = 50 } }, strategies = { s = 'nope/missing.lua' }, metrics = {'retention'} }",
    "field 'strategies.s' names a file that does not exist")
  load_err("return { population = { sim = {} }, strategies = { s = 1 }, metrics = {'retention'} }", "field 'population.sim'")
  load_err("return { data = { path = '/nonexistent.csv' }, metrics = {'x'} }", "field 'data.path' names a file that does not exist")
  load_err("return { data = 'warehouse', metrics = {'x'} }", "field 'data' must be 'sim' or a table")
  load_err("return {" .. base .. "metrics = {'retention'}, analysis = {sequential = {tau = 1, time = 't'}} }", "field 'analysis.sequential' applies to data from a log")
  check.errors(function() X.load("/nonexistent/exp.lua") end, "cannot open experiment file")
  -- log data: a bad cell names the file and line, a missing column names the field
  local p = write(tmp .. "_log.csv", "user_id,arm,revenue\n1,control,3\n2,treat,4\n3,control,abc\n4,treat,5\n")
  check.errors(function() run.run(X.validate({ data = { path = p }, metrics = { "revenue" } }, "e.lua")) end,
    tmp .. "_log.csv:4: column 'revenue' = 'abc' is not a number")
  check.errors(function() run.run(X.validate({ data = { path = p }, metrics = { "spend" } }, "e.lua")) end, "_log.csv: no column 'spend' (named by field 'metrics')")
  check.errors(function() run.run(X.validate({ data = { path = p, control = "ctl" }, metrics = { "revenue" } }, "e.lua")) end,
    "field 'data.control': arm 'ctl' does not occur")
  local p2 = write(tmp .. "_dup.csv", "user_id,arm,revenue\n1,control,3\n2,treat,4\n1,treat,5\n")
  check.errors(function() run.run(X.validate({ data = { path = p2, unit = "user_id" }, metrics = { "revenue" } }, "e.lua")) end,
    tmp .. "_dup.csv:4: unit '1' already appeared on line 2")
  check.errors(function() run.run(X.validate({ data = { path = p2, unit = "uid" }, metrics = { "revenue" } }, "e.lua")) end,
    "no column 'uid' (named by field 'data.unit')")
  os.remove(tmp .. "_bad.lua"); os.remove(p); os.remove(p2)
end

function tests.cli_ab()
  local cmd = require "tide.cli.ab"
  check.truthy(cmd.help:find("analysis = {", 1, true) and cmd.help:find("--json", 1, true), "--help explains the file")
  local out = tmp .. "_cli.json"
  check.eq(cmd.run({ "examples/experiments/winback.lua", "--replicates", "1", "--quiet", "--json", out }), 0)
  check.eq(json.decode(io.open(out):read("*a")).name, "winback")
  os.remove(out)
  check.eq(cmd.run({ "examples/experiments/winback.lua", "--replicates", "1", "--quiet", "--report", out .. ".html" }), 0)
  local html = io.open(out .. ".html"):read("*a")
  check.truthy(html:find("Experiment: winback", 1, true) and html:find("<svg", 1, true), "report section with a plot")
  os.remove(out .. ".html")
  check.errors(function() cmd.run({}) end, "missing EXPERIMENT.lua")
  -- through the dispatcher, a syntax error keeps the experiment file's line
  local bad = write(tmp .. "_syntax.lua", "return {\n  metrics = { 'retention'\n}\n")
  local errf = tmp .. "_stderr"
  local rc = os.execute(("scripts/tide ab %s 2> %s"):format(bad, errf))
  check.truthy(rc ~= 0 and rc ~= true, "non-zero exit")
  check.truthy(io.open(errf):read("*a"):find(bad .. ":4:", 1, true), "stderr names file:line")
  os.remove(bad); os.remove(errf)
  check.errors(function() cmd.run({ "examples/experiments/winback.lua", "--replicate", "1" }) end, "unknown option --replicate")
  check.errors(function() cmd.run({ "examples/experiments/winback.lua", "--replicates", "0" }) end, "--replicates must be")
end

return tests
