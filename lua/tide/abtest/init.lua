-- tide.abtest — experiment design and analysis, and evaluating strategies before a live test.
--   assignment:  assign, unit, srm                         (assign.lua, engine/ab_assign.c)
--   effects:     welch, proportions, ratio                 (stats.lua)
--   bootstrap:   bootstrap (percentile + BCa, seeded, C)   (bootstrap.lua, engine/ab_boot.c)
--   variance:    cuped                                     (cuped.lua)
--   multiplicity: holm, bh, bonferroni, adjust             (multiple.lua)
--   planning:    power.n_means, mde_means, power_means, n_proportions, mde_proportions
--   peeking:     sequential.new{tau=} (always-valid p-values, confidence sequences)
--   before a live test: simulate (tide.sim replicates with the true effect), offpolicy
--     (replay, IPS, SNIPS, DR), uplift (T- and X-learners, Qini, AUUC, uplift@k)
--   experiment files: experiment.load / experiment.run, report_section (experiment.lua)
-- Sub-modules load on first use.
local M = {}

local assign = require("tide.abtest.assign")
local stats = require("tide.abtest.stats")
local multiple = require("tide.abtest.multiple")
M.assign, M.unit, M.srm = assign.assign, assign.unit, assign.srm
M.welch, M.proportions, M.ratio = stats.welch, stats.proportions, stats.ratio
M.holm, M.bh, M.bonferroni, M.adjust = multiple.holm, multiple.bh, multiple.bonferroni, multiple.adjust

--- abtest.bootstrap(a, b, opts) — see tide.abtest.bootstrap
function M.bootstrap(...) return require("tide.abtest.bootstrap").bootstrap(...) end
--- abtest.cuped(y_a, x_a, y_b, x_b, opts) — see tide.abtest.cuped
function M.cuped(...) return require("tide.abtest.cuped").cuped(...) end
--- abtest.offpolicy{...} — see tide.abtest.offpolicy
function M.offpolicy(...) return require("tide.abtest.offpolicy").estimate(...) end
--- abtest.simulate(cfg, opts) — see tide.abtest.simulate
function M.simulate(...) return require("tide.abtest.simulate").simulate(...) end
--- abtest.report_section(results) — see tide.abtest.experiment
function M.report_section(...) return require("tide.abtest.experiment").report_section(...) end

local lazy = { power = "tide.abtest.power", sequential = "tide.abtest.sequential",
               uplift = "tide.abtest.uplift", experiment = "tide.abtest.experiment" }
setmetatable(M, { __index = function(t, k)
  local path = lazy[k]
  if not path then return nil end
  local mod = require(path)
  rawset(t, k, mod)
  return mod
end })

return M
