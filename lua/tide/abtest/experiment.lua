-- tide.abtest.experiment — experiment files: a Lua script returning a table that names the
-- population, the strategies, the metrics and the analysis (see FILE_HELP, printed by
-- `tide ab --help`). load() validates every field and reports errors naming the field (a Lua
-- syntax or runtime error in the file keeps its file:line); run() is in experiment_run.lua.
local M = {}

M.FILE_HELP = [[
An experiment file is a Lua script returning a table:

  return {
    name = "winback",                        -- label of the report section (default: file name)
    data = "sim",                            -- "sim" (evaluate strategies on the simulator) or
                                             -- {path = "ab_log.csv", unit = "user_id", arm = "arm",
                                             --  control = "control"} (analyse a live test's log)
    population = {                           -- data = "sim" only
      sim = {users = 3000, seed = 7, churn = true},     -- a tide.sim config
      filter = {min_recency = 7},            -- or function(row) -> bool (row: id, recency,
    },                                       --   frequency, tenure, recent); default everyone
    strategies = {                           -- data = "sim": name = path | function | {select=}
      everyone = "examples/strategies/everyone.lua",    -- paths: as given, else next to the file
      dormant = function(users, ctx) ... end,           -- select(users, ctx) -> ids/set/mask
    },
    metrics = {"retention", "reactivation", "revenue",  -- sim: retention, reactivation, visits,
               guardrails = {"visits"}},     --   revenue; log: column names ({column=, den=}
                                             --   for a ratio metric sum(column)/sum(den))
    analysis = {
      alpha = 0.05,                          -- interval level 1 - alpha, significance level
      correction = "holm",                   -- holm | bh | bonferroni | none (over primary rows)
      replicates = 20, effect = 0.5, window = 30,        -- sim: replicates, incentive, days
      cost = 0, value_per_visit = nil,       -- sim: revenue = value x visits - cost x dose
      cuped = "recent",                      -- sim: a pre-period feature; log: a column; or false
      bootstrap = false,                     -- log: replicates for BCa intervals instead of Welch
                                             --   (of the CUPED-adjusted outcomes with cuped)
      seed = 1,                              -- log: bootstrap seed
      weights = nil,                         -- log: designed arm shares for the SRM check
      sequential = nil,                      -- log: {tau = effect scale, time = "ts", looks = 20}:
                                             --   the always-valid p (p_seq) and confidence sequence
                                             --   (lo_seq, hi_seq) of monitoring in time order
    },
  }
Results: a table (stdout), and with --json PATH a JSON file (written atomically) whose rows are
{name, metric, estimate, lo, hi, p, p_adj, true_effect (sim), guardrail} for the report.]]

local TOP = { name = 1, description = 1, data = 1, population = 1, strategies = 1, metrics = 1, analysis = 1 }
local ANALYSIS = { alpha = 1, correction = 1, replicates = 1, effect = 1, window = 1, cost = 1,
                   value_per_visit = 1, cuped = 1, bootstrap = 1, seed = 1, weights = 1, dormant_days = 1,
                   sequential = 1 }
local SIM_METRICS = { retention = 1, reactivation = 1, visits = 1, revenue = 1 }

local function fail(file, field, msg) error(("%s: field '%s' %s"):format(file, field, msg), 0) end

local function keys(t, allowed, file, prefix)
  for k in pairs(t) do
    if not allowed[k] then
      local names = {}
      for a in pairs(allowed) do names[#names + 1] = a end
      table.sort(names)
      fail(file, prefix .. tostring(k), "is not known (known: " .. table.concat(names, ", ") .. ")")
    end
  end
end

local function dir_of(path) return path:match("^(.*)/[^/]*$") or "." end

local function exists(p) local f = io.open(p, "rb"); if f then f:close() return true end return false end

local function check_metrics(e, file, sim)
  local m = e.metrics
  if type(m) ~= "table" or (#m == 0 and m.guardrails == nil) then fail(file, "metrics", "must be a list of metric names") end
  local out = { primary = {}, guardrails = {} }
  local function one(v, field, list)
    if sim then
      if type(v) ~= "string" or not SIM_METRICS[v] then
        fail(file, field, ("must be one of retention, reactivation, visits, revenue (got %s)"):format(tostring(v)))
      end
      list[#list + 1] = { name = v }
    elseif type(v) == "string" then list[#list + 1] = { name = v, column = v }
    elseif type(v) == "table" and type(v.column) == "string" and (v.den == nil or type(v.den) == "string") then
      list[#list + 1] = { name = v.name or (v.den and v.column .. "/" .. v.den or v.column), column = v.column, den = v.den }
    else fail(file, field, "must be a column name or {column=, den=}") end
  end
  for k, v in pairs(m) do
    if type(k) == "number" then one(v, ("metrics[%d]"):format(k), out.primary)
    elseif k == "guardrails" then
      if type(v) ~= "table" then fail(file, "metrics.guardrails", "must be a list") end
      for i, g in ipairs(v) do one(g, ("metrics.guardrails[%d]"):format(i), out.guardrails) end
    else fail(file, "metrics." .. tostring(k), "is not known (list entries and 'guardrails')") end
  end
  table.sort(out.primary, function(a, b) return a.name < b.name end)
  return out
end

local function check_analysis(a, file, sim)
  if a == nil then a = {} end
  if type(a) ~= "table" then fail(file, "analysis", "must be a table") end
  keys(a, ANALYSIS, file, "analysis.")
  local function num(k, ok, what)
    if a[k] ~= nil and (type(a[k]) ~= "number" or not ok(a[k])) then fail(file, "analysis." .. k, what .. ", got " .. tostring(a[k])) end
  end
  num("alpha", function(v) return v > 0 and v < 1 end, "must be a number in (0, 1)")
  num("replicates", function(v) return v >= 1 and v == math.floor(v) end, "must be an integer >= 1")
  num("effect", function(v) return v > -1 and v < math.huge end, "must be a number > -1")
  num("window", function(v) return v > 0 and v < math.huge end, "must be a positive number of days")
  num("cost", function(v) return v >= 0 end, "must be a number >= 0")
  num("value_per_visit", function(v) return v >= 0 end, "must be a number >= 0")
  num("seed", function(v) return v >= 0 and v == math.floor(v) end, "must be an integer >= 0")
  num("dormant_days", function(v) return v >= 0 end, "must be a number >= 0")
  local c = a.correction or "holm"
  if not ({ holm = 1, bh = 1, bonferroni = 1, none = 1 })[c] then
    fail(file, "analysis.correction", "must be holm, bh, bonferroni or none, got " .. tostring(c))
  end
  local b = a.bootstrap
  if b ~= nil and b ~= false and (type(b) ~= "number" or b < 100 or b ~= math.floor(b)) then
    fail(file, "analysis.bootstrap", "must be false or a number of replicates >= 100")
  end
  if sim and b then fail(file, "analysis.bootstrap", "applies to data from a log (sim intervals come from replicates)") end
  if a.cuped ~= nil and a.cuped ~= false and type(a.cuped) ~= "string" then fail(file, "analysis.cuped", "must be a name or false") end
  if sim and a.cuped and not ({ recency = 1, frequency = 1, tenure = 1, recent = 1 })[a.cuped] then
    fail(file, "analysis.cuped", "must name a pre-period feature: recency, frequency, tenure or recent")
  end
  local sq = a.sequential
  if sq ~= nil and sq ~= false then
    if sim then fail(file, "analysis.sequential", "applies to data from a log") end
    if type(sq) ~= "table" then fail(file, "analysis.sequential", "must be a table {tau=, time=, looks=}") end
    keys(sq, { tau = 1, time = 1, looks = 1 }, file, "analysis.sequential.")
    if type(sq.tau) ~= "number" or not (sq.tau > 0) then fail(file, "analysis.sequential.tau", "must be a positive number (effect scale)") end
    if type(sq.time) ~= "string" then fail(file, "analysis.sequential.time", "must name the log's time column") end
    if sq.looks ~= nil and (type(sq.looks) ~= "number" or sq.looks < 1 or sq.looks ~= math.floor(sq.looks)) then
      fail(file, "analysis.sequential.looks", "must be an integer >= 1")
    end
  end
  if a.weights ~= nil and type(a.weights) ~= "table" then fail(file, "analysis.weights", "must be a table {arm = share}") end
  return a
end

--- experiment.load(path) -> validated experiment table (e.file, e.dir, e.mode = "sim"|"log",
---   e.metric_list = {primary = {...}, guardrails = {...}}); errors name the file and field
function M.load(path)
  if type(path) ~= "string" then error("abtest.experiment.load: path must be a string", 2) end
  local chunk, err = loadfile(path)
  if not chunk then error((tostring(err):gsub("^cannot open ", "cannot open experiment file ")), 0) end
  local ok, e = pcall(chunk)
  if not ok then error(tostring(e), 0) end -- keeps the file:line of a runtime error
  return M.validate(e, path)
end

--- experiment.validate(e, file) -> e, checked (for tables built in code)
function M.validate(e, file)
  file = file or "experiment"
  if type(e) ~= "table" then error(("%s: must return a table, got %s"):format(file, type(e)), 0) end
  keys(e, TOP, file, "")
  if e.name ~= nil and type(e.name) ~= "string" then fail(file, "name", "must be a string") end
  e.name = e.name or file:match("([^/]-)%.lua$") or file
  e.file, e.dir = file, dir_of(file)
  local data = e.data == nil and "sim" or e.data
  if data == "sim" then
    e.mode = "sim"
    local p = e.population
    if type(p) ~= "table" then fail(file, "population", "must be a table {sim = {...}, filter = ...}") end
    keys(p, { sim = 1, filter = 1 }, file, "population.")
    if type(p.sim) ~= "table" or type(p.sim.users) ~= "number" then fail(file, "population.sim", "must be a tide.sim config with 'users'") end
    if p.filter ~= nil and type(p.filter) ~= "table" and type(p.filter) ~= "function" then
      fail(file, "population.filter", "must be a table {min_recency=, max_recency=, min_frequency=} or a function")
    end
    if type(p.filter) == "table" then keys(p.filter, { min_recency = 1, max_recency = 1, min_frequency = 1 }, file, "population.filter.") end
    if type(e.strategies) ~= "table" or next(e.strategies) == nil then fail(file, "strategies", "must name at least one strategy") end
    for name, s in pairs(e.strategies) do
      local f = "strategies." .. tostring(name)
      if type(name) ~= "string" or name == "control" then fail(file, f, "must be a name other than 'control'") end
      if type(s) == "string" then
        local alt = e.dir .. "/" .. s
        if not exists(s) and exists(alt) then e.strategies[name] = alt
        elseif not exists(s) then fail(file, f, "names a file that does not exist: " .. s) end
      elseif type(s) ~= "function" and not (type(s) == "table" and type(s.select) == "function") then
        fail(file, f, "must be a path, a function(users, ctx) or a table with select")
      end
    end
  elseif type(data) == "table" then
    e.mode = "log"
    keys(data, { path = 1, unit = 1, arm = 1, control = 1 }, file, "data.")
    if type(data.path) ~= "string" then fail(file, "data.path", "must be the path of the experiment log (CSV)") end
    if not exists(data.path) and exists(e.dir .. "/" .. data.path) then data.path = e.dir .. "/" .. data.path end
    if not exists(data.path) then fail(file, "data.path", "names a file that does not exist: " .. data.path) end
    if e.strategies ~= nil then fail(file, "strategies", "is for data = 'sim'; a log's arms come from its arm column") end
  else
    fail(file, "data", "must be 'sim' or a table {path=, unit=, arm=, control=}")
  end
  e.metric_list = check_metrics(e, file, e.mode == "sim")
  e.analysis = check_analysis(e.analysis, file, e.mode == "sim")
  return e
end

--- experiment.run(e) -> results (see experiment_run.lua); e: a loaded experiment or a path
function M.run(e) return require("tide.abtest.experiment_run").run(type(e) == "string" and M.load(e) or e) end

--- experiment.report_section(results) -> {title, rows = {{name, metric, estimate, lo, hi, p, p_adj,
---   true_effect, guardrail, label, truth}}} for tide.report's forest plot (label/truth aliases)
function M.report_section(results)
  if type(results) ~= "table" or type(results.rows) ~= "table" then
    error("abtest.report_section: expected the results of experiment.run", 2)
  end
  local rows = {}
  for i, r in ipairs(results.rows) do
    rows[i] = { name = r.name, metric = r.metric, estimate = r.estimate, lo = r.lo, hi = r.hi, p = r.p,
                p_adj = r.p_adj, true_effect = r.true_effect, guardrail = r.guardrail,
                label = r.name .. " · " .. r.metric, truth = r.true_effect }
  end
  return { title = results.name, rows = rows, srm = results.srm, notes = results.notes }
end

return M
