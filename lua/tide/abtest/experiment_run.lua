-- tide.abtest.experiment_run — runs a validated experiment (tide.abtest.experiment): on the
-- simulator (strategies, replicates, true effects) or on a live test's log (arms from a
-- column, SRM check, Welch / bootstrap BCa / CUPED / delta-method ratio per arm and metric);
-- multiple-comparison adjustment over the primary rows; a plain-text table; JSON output.
local stats = require("tide.abtest.stats")
local multiple = require("tide.abtest.multiple")
local csv = require("tide.abtest.log")
local read_csv, column, numeric = csv.read, csv.column, csv.numeric

local M = {}

local function names(list) local t = {} for i, m in ipairs(list) do t[i] = m.name end return t end

local function adjust(rows, method)
  local p, idx = {}, {}
  for i, r in ipairs(rows) do
    if not r.guardrail and r.p == r.p then p[#p + 1] = r.p; idx[#idx + 1] = i end
  end
  if #p == 0 then return end
  local adj = multiple.adjust(p, method)
  for k, i in ipairs(idx) do rows[i].p_adj = adj[k] end
end

local function run_sim(e)
  local a, ml = e.analysis, e.metric_list
  local metrics, primary, guard = names(ml.primary), {}, {}
  for _, m in ipairs(metrics) do primary[m] = true end
  for _, g in ipairs(ml.guardrails) do
    if not primary[g.name] then guard[g.name] = true; metrics[#metrics + 1] = g.name end
  end
  local res = require("tide.abtest.simulate").simulate(e.population.sim, {
    strategies = e.strategies, replicates = a.replicates or 20, effect = a.effect, window = a.window,
    population = e.population.filter, cost = a.cost, value_per_visit = a.value_per_visit,
    metrics = metrics, level = 1 - (a.alpha or 0.05), cuped = a.cuped or nil, dormant_days = a.dormant_days,
    salt = e.name })
  local rows = {}
  for _, r in ipairs(res.rows) do
    rows[#rows + 1] = { name = r.strategy, metric = r.metric, estimate = r.estimate, lo = r.lo, hi = r.hi,
                        p = r.p, true_effect = r.true_effect, coverage = r.coverage,
                        treated_share = r.treated_share, guardrail = guard[r.metric] or false }
  end
  return { rows = rows, replicates = res.replicates, users = res.users,
           notes = ("%d simulator replicates of %d users; effect = %g, window = %g days; intervals over replicates")
             :format(res.replicates, math.floor(res.users + 0.5), res.effect, res.window) }
end

local function run_log(e)
  local d, a, ml = e.data, e.analysis, e.metric_list
  local cols, n = read_csv(d.path)
  local armc = column(cols, d.arm or "arm", "data.arm")
  if d.unit then -- one row per randomisation unit: a repeated id means a broken export
    local ids, seen = column(cols, d.unit, "data.unit"), {}
    for i = 1, n do
      if seen[ids[i]] then
        error(("%s:%d: unit '%s' already appeared on line %d (one row per unit)"):format(d.path, cols._line[i], ids[i], seen[ids[i]]), 0)
      end
      seen[ids[i]] = cols._line[i]
    end
  end
  local control = d.control or "control"
  local by, order = {}, {}
  for i = 1, n do
    local k = armc[i]
    if not by[k] then by[k] = {}; order[#order + 1] = k end
    table.insert(by[k], i)
  end
  if not by[control] then error(("%s: field 'data.control': arm '%s' does not occur in %s"):format(e.file, control, d.path), 0) end
  table.sort(order)
  local counts, shares = {}, {}
  for _, k in ipairs(order) do counts[k] = #by[k]; shares[k] = a.weights and a.weights[k] or 1 end
  for _, k in ipairs(order) do
    if type(shares[k]) ~= "number" then error(("%s: field 'analysis.weights' has no share for arm '%s'"):format(e.file, k), 0) end
  end
  local srm = #order >= 2 and require("tide.abtest.assign").srm(counts, shares) or nil
  local level = 1 - (a.alpha or 0.05)
  local rows = {}
  local all = {}
  for _, m in ipairs(ml.primary) do all[#all + 1] = { m = m, guard = false } end
  for _, m in ipairs(ml.guardrails) do all[#all + 1] = { m = m, guard = true } end
  for _, k in ipairs(order) do
    if k ~= control then
      for _, it in ipairs(all) do
        local m = it.m
        local ya, yb = numeric(cols, m.column, "metrics", by[control]), numeric(cols, m.column, "metrics", by[k])
        local col = function(name, field, arm) return numeric(cols, name, field, by[arm]) end
        local ok, r = pcall(function()
          if m.den then
            local q = stats.ratio(ya, col(m.den, "metrics", control), yb, col(m.den, "metrics", k), { level = level })
            q.method = "delta-method ratio"
            return q
          end
          local w, ua, ub = nil, ya, yb
          if a.cuped then -- the bootstrap below resamples the adjusted outcomes
            w = require("tide.abtest.cuped").cuped(ya, col(a.cuped, "analysis.cuped", control), yb,
              col(a.cuped, "analysis.cuped", k), { level = level })
            ua, ub = w.adjusted_a, w.adjusted_b
          else
            w = stats.welch(ya, yb, { level = level })
          end
          w.method = "Welch"
          if a.bootstrap then
            local bs = require("tide.abtest.bootstrap").bootstrap(ua, ub, { replicates = a.bootstrap, seed = a.seed or 1, level = level })
            w.lo, w.hi, w.method = bs.bca.lo, bs.bca.hi, ("BCa bootstrap (%d) interval, Welch p"):format(a.bootstrap)
          end
          if a.cuped then w.method = ("%s, CUPED on '%s'"):format(w.method, a.cuped) end
          return w
        end)
        if not ok then error(("%s: arm '%s', metric '%s': %s"):format(e.file, k, m.name, tostring(r)), 0) end
        local row = { name = k, metric = m.name, estimate = r.estimate, lo = r.lo, hi = r.hi, p = r.p,
                      guardrail = it.guard, n_a = #by[control], n_b = #by[k], method = r.method,
                      variance_reduction = r.variance_reduction }
        if a.sequential and not m.den then
          local sq = require("tide.abtest.sequential").replay(a.sequential, col(a.sequential.time, "analysis.sequential.time", control),
            ya, col(a.sequential.time, "analysis.sequential.time", k), yb, a.alpha or 0.05)
          row.p_seq, row.lo_seq, row.hi_seq, row.looks = sq.p, sq.lo, sq.hi, sq.looks
        end
        rows[#rows + 1] = row
      end
    end
  end
  return { rows = rows, srm = srm, arms = counts,
           notes = ("%d units from %s; control arm '%s'"):format(n, d.path, control) }
end

--- run(e) -> {name, mode, rows = {{name, metric, estimate, lo, hi, p, p_adj, true_effect?,
---   guardrail, ...}}, srm (log), notes, alpha, correction}
function M.run(e)
  local res = e.mode == "sim" and run_sim(e) or run_log(e)
  res.name, res.mode, res.alpha = e.name, e.mode, e.analysis.alpha or 0.05
  res.correction = e.analysis.correction or "holm"
  adjust(res.rows, res.correction)
  return res
end

local function fmt(v, w)
  if v == nil then return ("%" .. w .. "s"):format("-") end
  if v ~= v then return ("%" .. w .. "s"):format("nan") end
  return ("%" .. w .. "s"):format(("%.4g"):format(v))
end

--- table(results) -> plain-text table (one line per arm/strategy and metric)
function M.table(res)
  local sim = res.mode == "sim"
  local lines = { ("experiment %s (%s)"):format(res.name, res.notes or res.mode),
    ("%-16s %-13s %10s %10s %10s %9s %9s%s"):format("arm", "metric", "estimate", "lo", "hi", "p",
      "p_adj", sim and "      true  covered" or "") }
  for _, r in ipairs(res.rows) do
    local flag = r.guardrail and (r.hi < 0 and "  GUARDRAIL HARMED" or "  (guardrail)") or
      ((r.p_adj or 1) < res.alpha and "  *" or "")
    lines[#lines + 1] = ("%-16s %-13s %s %s %s %s %s%s%s"):format(r.name, r.metric, fmt(r.estimate, 10), fmt(r.lo, 10),
      fmt(r.hi, 10), fmt(r.p, 9), fmt(r.p_adj, 9),
      sim and (" " .. fmt(r.true_effect, 9) .. ("  %6.0f%%"):format(100 * (r.coverage or 0))) or "", flag)
    if r.p_seq then
      lines[#lines] = lines[#lines] .. ("  [always-valid p %.3g, CS %.4g..%.4g]"):format(r.p_seq, r.lo_seq, r.hi_seq)
    end
  end
  if res.srm then
    lines[#lines + 1] = ("sample-ratio check: chi2 = %.3f, df = %d, p = %.3g%s"):format(res.srm.chi2, res.srm.df, res.srm.p,
      res.srm.p < 0.001 and "  MISMATCH: do not trust these results" or "")
  end
  lines[#lines + 1] = ("%d%% intervals; p_adj: %s over primary metrics; * significant at alpha = %g")
    :format(math.floor(100 * (1 - res.alpha) + 0.5), res.correction, res.alpha)
  local methods, vr = {}, {}
  for _, r in ipairs(res.rows) do
    if r.method and not methods[r.method] then methods[r.method] = true; methods[#methods + 1] = r.method end
    if r.variance_reduction then vr[#vr + 1] = r.variance_reduction end
  end
  if #methods > 0 then lines[#lines + 1] = "intervals by: " .. table.concat(methods, "; ") end
  if #vr > 0 then
    table.sort(vr)
    lines[#lines + 1] = ("CUPED cut the outcome variance by %.1f%% to %.1f%% (per arm and metric)")
      :format(100 * vr[1], 100 * vr[#vr])
  end
  return table.concat(lines, "\n")
end

--- add_to_report(results, R): a section with the notes, the table and a forest plot of the
---   rows (estimate, interval, the simulator's true effect when known) on a tide.report
function M.add_to_report(res, R)
  local sec = require("tide.abtest.experiment").report_section(res)
  R:section("Experiment: " .. tostring(res.name))
  if res.notes then R:text(res.notes) end
  R:pre(M.table(res))
  local rows = {}
  for _, r in ipairs(sec.rows) do
    if r.estimate == r.estimate and r.lo == r.lo and r.hi == r.hi then rows[#rows + 1] = r end
  end
  if #rows > 0 then R:forest { title = "effects (treatment - control)", rows = rows } end
  return R
end

--- write_json(results, path): the report rows and settings as JSON, written atomically
function M.write_json(res, path)
  local json = require("tide.data.json")
  local clean = function(v) return (type(v) == "number" and (v ~= v or math.abs(v) == math.huge)) and nil or v end
  local rows = {}
  for i, r in ipairs(res.rows) do
    rows[i] = {}
    for k, v in pairs(r) do rows[i][k] = clean(v) end
  end
  local doc = { format = "tide.abtest.results/1", name = res.name, mode = res.mode, alpha = res.alpha,
                correction = res.correction, notes = res.notes, srm = res.srm, rows = rows }
  local ok, err = pcall(require("tide").core.io.write_atomic, path, json.encode(doc, "  ") .. "\n")
  if not ok then error("abtest: cannot write " .. path .. ": " .. tostring(err), 0) end
  return path
end

return M
