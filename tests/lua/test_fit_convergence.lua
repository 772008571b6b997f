-- test_fit_convergence.lua — decay and Hawkes fits say whether they converged and why not;
-- an estimate that left the finite range is flagged or refused, never returned as a number.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"

local tests = {}

local function sim_events(seed)
  local cols = U.simulate(300, 60, function(r) local u = r(); return (-math.log(u) / 0.3) ^ (1 / 0.7) end, seed)
  return U.events(cols)
end

function tests.decay_fit_reports_convergence()
  local ev = sim_events(5)
  local f = tide.decay.fit(ev, { family = "weibull", per = "global", t_end = 60 * 86400 })
  check.eq(f.converged, true, "a well-posed global fit converges")
  check.eq(f.reason, nil, "no reason when converged")
  check.eq(f.convergence.converged, 1, "one series")
  local p = f:params(1)
  check.eq(p.status, "converged", "params status")
  check.eq(p.converged, true, "params converged")
  -- one iteration cannot reach the optimum of a two-parameter law from the automatic start
  local g = tide.decay.fit(ev, { family = "weibull", per = "global", t_end = 60 * 86400, max_iter = 1 })
  check.eq(g.converged, false, "max_iter = 1 does not converge")
  check.truthy(g.reason and g.reason:find("1 of 1 series did not converge (1 max_iter)", 1, true), tostring(g.reason))
  check.eq(g:params(1).status, "max_iter", "per-series reason")
  check.eq(g.convergence.max_iter, 1, "counted")
  local path = os.tmpname()
  g:save(path)
  local back = tide.decay.load(path)
  os.remove(path)
  check.eq(back.converged, false, "a reloaded fit still says it did not converge")
  check.eq(back.reason, g.reason, "same reason after reload")
end

function tests.per_user_fit_counts_reasons()
  local ev = sim_events(9)
  local f = tide.decay.fit(ev, { family = "weibull", per = "user", t_end = 60 * 86400, max_iter = 2 })
  local total = 0
  for _, n in pairs(f.convergence) do total = total + n end
  check.eq(total, f.n_series, "every series has a reason")
  check.eq(f.converged, (f.convergence.converged or 0) + (f.convergence.no_returns or 0) == f.n_series, "flag matches counts")
  check.truthy(not f.converged and f.reason:find("did not converge", 1, true), "2 iterations are not enough for all users")
end

function tests.hawkes_reports_convergence()
  local truth = { mu = 0.05, alpha = 0.5, beta = 1.0 }
  local t = tide.decay.hawkes.simulate(truth, 3000, 4)
  local h = tide.decay.hawkes.fit(t, { t0 = 0, t1 = 3000 })
  check.eq(h.converged, h.reason == "converged", "flag and reason agree")
  check.truthy(h.reason == "converged" or h.reason == "line_search_failed" or h.reason == "max_iter", h.reason)
  check.truthy(h.converged, "a simulated Hawkes log is fitted to convergence: " .. h.reason)
  check.truthy(h.alpha == h.alpha and h.beta == h.beta, "finite estimate")
  local path = os.tmpname()
  h:save(path)
  local back = tide.decay.load(path)
  os.remove(path)
  check.eq(back.reason, h.reason, "reason survives save/load")
  check.eq(back.converged, h.converged, "flag survives save/load")
end

function tests.lbfgs_reports_non_convergence()
  local x, info = tide.lbfgs.minimize(function(v) return (v[1] - 3) ^ 2, { 2 * (v[1] - 3) } end, { 0 },
    { max_iter = 1, gtol = 1e-300, ftol = 0 })
  check.truthy(info.status == "converged" or not info.converged, "status and flag agree")
  local _, bad = tide.lbfgs.minimize(function(v) return -v[1], { -1 } end, { 0 }, { max_iter = 5 })
  check.eq(bad.converged, false, "an unbounded objective does not converge: " .. bad.status)
  check.truthy(x ~= nil, "")
end

return tests
