-- test_abtest_coverage.lua — intervals that must cover the truth: 400 simulated experiments
-- with a known true difference, Welch, bootstrap percentile and BCa each within a binomial
-- tolerance of 95 % (a wrong bootstrap — one arm's variance only, pooled resampling, a swapped
-- sign, a missing bias correction on skewed data at these sizes — falls outside it); the
-- general-statistic bootstrap agrees with the C fast path; CUPED is unbiased and removes about
-- ρ² of the variance; the always-valid sequential test keeps its level under peeking while
-- naive peeking does not.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local ab = tide.abtest
local T = tide.tensor
local tests = {}

-- skewed arms: Exp(1) control, 0.3 + Exp(1) treatment
local function experiment(k, na, nb)
  T.manual_seed(1000 + k)
  local u = T.rand(na + nb):totable()
  local a, b = {}, {}
  for i = 1, na do a[i] = -math.log(1 - u[i]) end
  for i = 1, nb do b[i] = 0.3 - math.log(1 - u[na + i]) end
  return a, b
end

function tests.coverage_welch_percentile_bca()
  local R, truth = 400, 0.3
  local hit = { welch = 0, pct = 0, bca = 0 }
  for k = 1, R do
    local a, b = experiment(k, 80, 60)
    local w = ab.welch(a, b)
    local bs = ab.bootstrap(a, b, { replicates = 999, seed = k })
    check.truthy(bs.percentile.lo < bs.estimate and bs.estimate < bs.percentile.hi, "estimate inside percentile")
    check.truthy(bs.bca.lo < bs.estimate and bs.estimate < bs.bca.hi, "estimate inside BCa")
    check.truthy(w.lo < w.estimate and w.estimate < w.hi, "estimate inside Welch")
    if w.lo <= truth and truth <= w.hi then hit.welch = hit.welch + 1 end
    if bs.percentile.lo <= truth and truth <= bs.percentile.hi then hit.pct = hit.pct + 1 end
    if bs.bca.lo <= truth and truth <= bs.bca.hi then hit.bca = hit.bca + 1 end
  end
  -- 3 binomial standard deviations around 0.95 at R = 400: ±0.033
  local tol = 3 * math.sqrt(0.95 * 0.05 / R)
  for name, h in pairs(hit) do
    check.truthy(math.abs(h / R - 0.95) <= tol, ("%s coverage %.3f outside 0.95 ± %.3f"):format(name, h / R, tol))
  end
end

function tests.general_stat_matches_fast_path()
  local a, b = experiment(7, 40, 30)
  local fast = ab.bootstrap(a, b, { replicates = 500, seed = 3 })
  local function mean(x, idx) local s = 0 for _, i in ipairs(idx) do s = s + x[i] end return s / #idx end
  local gen = ab.bootstrap(#a, #b, { replicates = 500, seed = 3, stat = function(ia, ib) return mean(b, ib) - mean(a, ia) end })
  -- the index sets come from the same per-arm Philox streams, so the replicates coincide
  for _, k in ipairs({ "estimate", "se", "z0", "accel" }) do check.near(gen[k], fast[k], 1e-9, k) end
  check.near(gen.bca.lo, fast.bca.lo, 1e-9); check.near(gen.percentile.hi, fast.percentile.hi, 1e-9)
  -- a ratio statistic (a median here) runs and brackets its estimate
  local med = ab.bootstrap(#a, #b, { replicates = 300, seed = 1, jackknife = false, stat = function(ia, ib)
    local x = {} for j, i in ipairs(ib) do x[j] = b[i] end table.sort(x) return x[math.ceil(#x / 2)] end })
  check.eq(med.accel, 0)
  check.truthy(med.percentile.lo <= med.estimate and med.estimate <= med.percentile.hi, "median inside")
  check.errors(function() ab.bootstrap(a, b, { replicates = 1 }) end, "'replicates' must be an integer >= 2")
  check.errors(function() ab.bootstrap(#a, #b, { stat = function() return 0 / 0 end }) end, "stat returned nan")
  check.errors(function() ab.bootstrap(a, b, { stat = function() return 1 end }) end, "must be the arm sizes")
  check.errors(function() ab.bootstrap({ 1, 2 }, { 1, 0 / 0 }) end, "b[2] must be a finite number")
end

function tests.cuped_unbiased_and_reduces_variance()
  -- Y = 2 + 0.8 X + e + 0.25 treat, X ~ N(0, 1), e ~ N(0, 0.6^2): ρ² = .64 / (.64 + .36) = .64
  local R, n, est_raw, est_adj, vr = 200, 200, {}, {}, 0
  for k = 1, R do
    T.manual_seed(50 + k)
    local z = T.randn(4 * n):totable()
    local ya, xa, yb, xb = {}, {}, {}, {}
    for i = 1, n do
      xa[i], xb[i] = z[i], z[n + i]
      ya[i] = 2 + 0.8 * xa[i] + 0.6 * z[2 * n + i]
      yb[i] = 2.25 + 0.8 * xb[i] + 0.6 * z[3 * n + i]
    end
    local r = ab.cuped(ya, xa, yb, xb)
    est_raw[k], est_adj[k] = r.raw.estimate, r.estimate
    vr = vr + r.variance_reduction / R
    check.truthy(r.lo < r.estimate and r.estimate < r.hi, "estimate inside its interval")
  end
  local mv = require("tide.abtest.util").mean_var -- mean and variance (n − 1)
  local m1, v1 = mv(est_adj)
  local _, v0 = mv(est_raw)
  check.truthy(math.abs(m1 - 0.25) < 3 * math.sqrt(v1 / R), ("CUPED mean %.4f vs 0.25"):format(m1))
  check.near(vr, 0.64, 0.05, "variance reduction ≈ ρ²")
  check.truthy(v1 / v0 < 0.45 and v1 / v0 > 0.25, ("variance of the estimate shrinks to %.2f (≈ .36)"):format(v1 / v0))
  check.errors(function() ab.cuped({ 1, 2 }, { 1, 1 }, { 1, 2 }, { 1, 1 }) end, "covariate is constant")
  check.errors(function() ab.cuped({ 1, 2 }, { 1 }, { 1, 2 }, { 1, 1 }) end, "x_a needs at least 2")
end

function tests.sequential_keeps_level_under_peeking()
  -- null: both arms N(0, 1); 20 looks after batches of 50 per arm; 300 experiments
  local R, looks, batch, alpha = 300, 20, 50, 0.05
  local fp_seq, fp_naive = 0, 0
  for k = 1, R do
    T.manual_seed(9000 + k)
    local z = T.randn(looks, 2 * batch):totable()
    local mon = ab.sequential.new { tau = 0.2, alpha = alpha }
    local a, b, naive = {}, {}, false
    for l = 1, looks do
      local ba, bb = {}, {}
      for i = 1, batch do ba[i], bb[i] = z[l][i], z[l][batch + i]; a[#a + 1], b[#b + 1] = ba[i], bb[i] end
      mon:update(ba, bb)
      if ab.welch(a, b).p < alpha then naive = true end
    end
    if mon:state().rejected then fp_seq = fp_seq + 1 end
    if naive then fp_naive = fp_naive + 1 end
  end
  check.truthy(fp_seq / R <= alpha + 2 * math.sqrt(alpha * (1 - alpha) / R), ("always-valid FPR %.3f"):format(fp_seq / R))
  check.truthy(fp_naive / R > 0.12, ("naive peeking FPR %.3f should be inflated (about .2 at 20 looks)"):format(fp_naive / R))
  -- and it detects a real effect: δ = 0.3 within 20 looks in most runs
  local found = 0
  for k = 1, 40 do
    T.manual_seed(7000 + k)
    local z = T.randn(looks, 2 * batch):totable()
    local mon = ab.sequential.new { tau = 0.2 }
    for l = 1, looks do
      local ba, bb = {}, {}
      for i = 1, batch do ba[i], bb[i] = z[l][i], 0.3 + z[l][batch + i] end
      mon:update(ba, bb)
    end
    local st = mon:state()
    if st.rejected then found = found + 1 end
    check.truthy(st.lo <= st.hi, "confidence sequence non-empty")
  end
  check.truthy(found >= 34, "power of the sequential test " .. found .. "/40")
  check.errors(function() ab.sequential.new {} end, "'tau'")
  -- batches may be empty or uneven; a large common offset does not change the answer
  local m1, m2 = ab.sequential.new { tau = 1 }, ab.sequential.new { tau = 1 }
  m1:update({}, { 1e6 + 1, 1e6 + 2 })
  local s1 = m1:update({ 1e6 + 0.5, 1e6 + 0.1, 1e6 + 0.7 }, { 1e6 + 1.5 })
  m2:update({}, { 1, 2 })
  local s2 = m2:update({ 0.5, 0.1, 0.7 }, { 1.5 })
  check.near(s1.estimate, s2.estimate, 1e-9); check.near(s1.se, s2.se, 1e-9); check.near(s1.p, s2.p, 1e-9)
  -- the closed form at one look: Λ = sqrt(s²/(s²+τ²)) exp(τ² Δ² / (2 s² (s² + τ²)))
  local w = ab.welch({ 0.5, 0.1, 0.7 }, { 1, 2, 1.5 })
  local s2v, t2 = w.se ^ 2, 1
  check.near(s2.p, math.min(1, 1 / (math.sqrt(s2v / (s2v + t2)) * math.exp(t2 * w.estimate ^ 2 / (2 * s2v * (s2v + t2))))), 1e-12)
  check.errors(function() m1:update({ 0 / 0 }, {}) end, "a_batch[1] must be a finite number")
end

return tests
