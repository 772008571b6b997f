-- calibration.lua — how well tide.abtest's intervals and estimators do what they claim, on
-- simulated data with a known truth (takes about half a minute):
--   1. coverage of nominal 95 % intervals (Welch, bootstrap percentile, BCa) over R simulated
--      two-arm experiments with skewed (exponential) outcomes and a known difference;
--   2. CUPED: bias and variance of the estimate against the plain difference (ρ² = 0.64);
--   3. simulator recovery: a strategy treating everyone, estimate vs true effect.
-- Run: luajit examples/experiments/calibration.lua [R]   (from the repository root)
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local ab, T = tide.abtest, tide.tensor
local R = tonumber(arg and arg[1]) or 2000

local function cover(na, nb, B)
  local hit, n = { welch = 0, percentile = 0, bca = 0 }, 0
  for k = 1, R do
    T.manual_seed(100000 + k)
    local u = T.rand(na + nb):totable()
    local a, b = {}, {}
    for i = 1, na do a[i] = -math.log(1 - u[i]) end
    for i = 1, nb do b[i] = 0.3 - math.log(1 - u[na + i]) end
    local w, bs = ab.welch(a, b), ab.bootstrap(a, b, { replicates = B, seed = k })
    n = n + 1
    if w.lo <= 0.3 and 0.3 <= w.hi then hit.welch = hit.welch + 1 end
    if bs.percentile.lo <= 0.3 and 0.3 <= bs.percentile.hi then hit.percentile = hit.percentile + 1 end
    if bs.bca.lo <= 0.3 and 0.3 <= bs.bca.hi then hit.bca = hit.bca + 1 end
  end
  local se = math.sqrt(0.95 * 0.05 / n)
  print(("coverage, n = %d vs %d, Exp(1) outcomes, %d experiments, B = %d (binomial se %.4f):"):format(na, nb, n, B, se))
  for _, k in ipairs({ "welch", "percentile", "bca" }) do print(("  %-10s %.4f"):format(k, hit[k] / n)) end
end

cover(80, 60, 999)
cover(20, 15, 999)

do -- CUPED
  local n, reps, raw, adj, vr = 200, 1000, {}, {}, 0
  for k = 1, reps do
    T.manual_seed(500000 + k)
    local z = T.randn(4 * n):totable()
    local ya, xa, yb, xb = {}, {}, {}, {}
    for i = 1, n do
      xa[i], xb[i] = z[i], z[n + i]
      ya[i] = 2 + 0.8 * xa[i] + 0.6 * z[2 * n + i]
      yb[i] = 2.25 + 0.8 * xb[i] + 0.6 * z[3 * n + i]
    end
    local r = ab.cuped(ya, xa, yb, xb)
    raw[k], adj[k], vr = r.raw.estimate, r.estimate, vr + r.variance_reduction / reps
  end
  local util = require "tide.abtest.util"
  local m0, v0 = util.mean_var(raw)
  local m1, v1 = util.mean_var(adj)
  print(("CUPED (rho^2 = 0.64, true effect 0.25, %d experiments of %d per arm):"):format(reps, n))
  print(("  plain  mean %.4f  var %.3e\n  CUPED  mean %.4f  var %.3e  (ratio %.3f; mean within-sample reduction %.3f)")
    :format(m0, v0, m1, v1, v1 / v0, vr))
end

do -- simulator recovery
  local res = ab.simulate({ users = 3000, seed = 7, churn = true }, { replicates = 40, effect = 0.5,
    strategies = { everyone = function(u) return u end, none = function() return {} end },
    metrics = { "retention", "reactivation", "visits" } })
  print("simulator recovery (3000 users, 40 replicates, incentive effect 0.5, 30-day window):")
  for _, r in ipairs(res.rows) do
    print(("  %-9s %-13s estimate %8.4f [%8.4f, %8.4f]  true %8.4f  per-replicate coverage %.2f")
      :format(r.strategy, r.metric, r.estimate, r.lo, r.hi, r.true_effect, r.coverage))
  end
end
