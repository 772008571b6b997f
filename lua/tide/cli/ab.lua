-- tide ab — run an experiment file: strategies on the simulator, or the analysis of a live
-- test's log; prints a table and optionally writes the results as JSON for the report.
local FILE_HELP = require("tide.abtest.experiment").FILE_HELP

return {
  summary = "run an experiment file: strategy evaluation on the simulator or analysis of an A/B log",
  help = [[usage: tide ab EXPERIMENT.lua [--json PATH] [--report PATH.html] [--replicates N] [--quiet]
  --json PATH       also write the results (rows: name, metric, estimate, lo, hi, p, p_adj,
                    true_effect, guardrail; a log's rows also method, variance_reduction) as
                    JSON, atomically, for tide.report's forest plot
  --report PATH     write an HTML report section (table + forest plot), atomically
  --replicates N    override analysis.replicates (simulator experiments)
  --quiet           no table on stdout

]] .. FILE_HELP,
  run = function(args)
    local cli = require "tide.cli"
    local o = cli.parse(args, { quiet = true })
    local path = o._[1] or error("ab: missing EXPERIMENT.lua (tide ab --help)", 0)
    for k in pairs(o) do
      if k ~= "_" and k ~= "json" and k ~= "report" and k ~= "replicates" and k ~= "quiet" then
        error("ab: unknown option --" .. k .. " (tide ab --help)", 0)
      end
    end
    require "tide"
    local X = require "tide.abtest.experiment"
    local run = require "tide.abtest.experiment_run"
    -- the dispatcher strips a leading "x.lua:N: " as its own source position; an experiment
    -- file's syntax or runtime error must keep it, so load errors are printed here
    local okl, e = pcall(X.load, path)
    if not okl then io.stderr:write("tide ab: " .. tostring(e) .. "\n"); return 1 end
    if o.replicates then
      local r = tonumber(o.replicates)
      if not r or r < 1 or r ~= math.floor(r) then error("ab: --replicates must be an integer >= 1", 0) end
      e.analysis.replicates = r
    end
    local res = run.run(e)
    if not o.quiet then print(run.table(res)) end
    if o.json then
      if o.json == true then error("ab: --json needs a path", 0) end
      run.write_json(res, o.json)
      if not o.quiet then print("wrote " .. o.json) end
    end
    if o.report then
      if o.report == true then error("ab: --report needs a path", 0) end
      local R = require("tide").report.new("tide ab: " .. res.name)
      run.add_to_report(res, R)
      R:save(o.report)
      if not o.quiet then print("wrote " .. o.report) end
    end
    return 0
  end,
}
