-- test_abtest_stats.lua — tide.abtest assignment and fixed-sample statistics against
-- independently computed values: golden arms from an independent Python XXH64
-- (tests/gen/ab_reference.py), scipy 1.10 (Welch, chi-square; tests/gen/ab_stats_reference.py),
-- Newcombe's (1998) published interval, hand-worked Holm/BH adjustments, the classic
-- sample-size example, and simulation checks of power and CUPED.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local ab = tide.abtest
local T = tide.tensor
local tests = {}

local ARMS = { { "a", 0.5 }, { "b", 0.3 }, { "c", 0.2 } }

function tests.assign_golden_and_stable()
  local ids = { 1, 2, 3, 17, 42, 1000, 99999, 123456789 }
  local want = { 2, 0, 2, 2, 1, 2, 1, 1 } -- computed by tests/gen/ab_reference.py
  local arms, codes, names = ab.assign(ids, { salt = "exp-2026-spring", arms = ARMS, holdout = 0.1 })
  check.all_near(codes, want, 0)
  check.eq(names[1], "a")
  for i, c in ipairs(want) do check.eq(arms[i], c == 0 and "holdout" or names[c], "arm of " .. ids[i]) end
  local s = ab.assign({ "alice", "bob", "u-7" }, { salt = "exp-2026-spring", arms = ARMS, holdout = 0.1 })
  check.eq(table.concat(s, ","), "c,c,b")
  check.near(ab.unit("exp-2026-spring", 42), 0.24897904104393087, 1e-15)
  -- the same ids in another order, mixed with others, in a tensor: the same arms
  local opts = { salt = "exp-2026-spring", arms = ARMS, holdout = 0.1 }
  local _, c5 = ab.assign({ 5 }, opts)
  local _, c2 = ab.assign(T.fromtable({ 123456789, 5, 42, 1 }, "i64"), opts)
  check.all_near(c2, { 1, c5:get(1), 1, 2 }, 0)
end

function tests.assign_balanced_chi_square()
  local ids = {}
  for i = 1, 60000 do ids[i] = i end
  local arms = ab.assign(ids, { salt = "balance", arms = { control = 1, treat = 1 }, holdout = 0.2 })
  local cnt = { control = 0, treat = 0, holdout = 0 }
  for _, a in ipairs(arms) do cnt[a] = cnt[a] + 1 end
  local r = ab.srm(cnt, { control = 0.4, treat = 0.4, holdout = 0.2 })
  check.eq(r.df, 2)
  check.truthy(r.p > 1e-3, "shares match the design, p = " .. r.p)
end

function tests.srm_against_scipy()
  local r = ab.srm({ 5040, 4960, 1100 }, { 0.45, 0.45, 0.1 })
  check.near(r.p, 0.6904785504771092, 1e-10)
  check.near(ab.srm({ 100, 120 }, { 1, 1 }).p, 0.1775298524121496, 1e-10)
  check.truthy(ab.srm({ 5300, 4700 }, { 1, 1 }).p < 1e-8, "a 53/47 split of 10k is a mismatch")
  check.errors(function() ab.srm({ 10, -1 }, { 1, 1 }) end, "count of arm 2")
  check.errors(function() ab.srm({ 10 }, { 1 }) end, "at least 2 arms")
end

function tests.assign_errors()
  check.errors(function() ab.assign({ 1 }, { arms = { "a", "b" } }) end, "'salt'")
  check.errors(function() ab.assign({ 1 }, { salt = "s", arms = { a = -1, b = 1 } }) end, "weight of arm 'a'")
  check.errors(function() ab.assign({ 1, 2.5 }, { salt = "s" }) end, "ids[2] = 2.5 is not an integer")
  check.errors(function() ab.assign({ 1, {} }, { salt = "s" }) end, "ids[2] must be an integer or a string")
  check.errors(function() ab.assign({ 1 }, { salt = "s", holdout = 1 }) end, "holdout must be in [0, 1)")
  check.errors(function() ab.assign({ 1 }, { salt = "s", arms = { "a", "holdout" } }) end, "reserved")
  check.errors(function() ab.assign({ 1 }, { salt = "s", seed = 3 }) end, "unknown option 'seed'")
  check.errors(function() ab.assign(T.fromtable({ 1.5 }), { salt = "s" }) end, "i32 or i64")
end

function tests.welch_against_scipy()
  local a = { 3.1, 4.7, 2.2, 5.9, 4.4, 3.8, 6.1, 2.9 }
  local b = { 5.2, 6.8, 4.1, 7.7, 5.5, 6.0, 4.9 }
  local r = ab.welch(a, b)
  check.near(r.t, 2.377999005249322, 1e-12)
  check.near(r.p, 0.03343331951454628, 1e-9)
  check.near(r.df, 12.999531916409287, 1e-12)
  check.near((r.hi - r.lo) / 2, r.se * tide.core.ab.t_ppf(0.975, r.df), 1e-12)
  check.truthy(r.lo < r.estimate and r.estimate < r.hi and r.lo > 0, "interval excludes 0 (p < .05)")
  check.truthy(r.lift.lo < r.lift.estimate and r.lift.estimate < r.lift.hi, "lift inside its interval")
  check.errors(function() ab.welch({ 1 }, b) end, "a needs at least 2 values")
  check.errors(function() ab.welch({ 1, 0 / 0 }, b) end, "a[2] must be a finite number")
  check.errors(function() ab.welch({ 1, 1 }, { 2, 2 }) end, "both arms are constant")
  check.errors(function() ab.welch(a, b, { level = 95 }) end, "level must be a number in (0, 1)")
end

function tests.proportions_newcombe_published()
  -- Newcombe (1998), Stat. Med. 17:873, Table II example (a): 56/70 - 48/80, method 10
  local r = ab.proportions(48, 80, 56, 70)
  check.near(r.estimate, 0.2, 1e-12)
  check.near(r.lo, 0.0524, 5e-4)
  check.near(r.hi, 0.3339, 5e-4)
  local w = ab.proportions(48, 80, 56, 70, { method = "wald" })
  check.near(w.hi - w.estimate, 1.959963984540054 * math.sqrt(0.6 * 0.4 / 80 + 0.8 * 0.2 / 70), 1e-12)
  -- pooled z test: p = 2 Φ(-|z|), z = 0.2 / sqrt(p̄ q̄ (1/80 + 1/70)), p̄ = 104/150
  local pb = 104 / 150
  local z = 0.2 / math.sqrt(pb * (1 - pb) * (1 / 80 + 1 / 70))
  check.near(r.z, z, 1e-12)
  check.near(r.lift.estimate, 0.8 / 0.6 - 1, 1e-12)
  -- the delta-method se of the lift matches the spread of simulated lifts (n = 800 vs 700)
  T.manual_seed(12)
  local u = T.rand(3000, 1500):totable()
  local lifts = {}
  for k = 1, 3000 do
    local xa, xb = 0, 0
    for i = 1, 800 do if u[k][i] < 0.6 then xa = xa + 1 end end
    for i = 801, 1500 do if u[k][i] < 0.8 then xb = xb + 1 end end
    lifts[k] = (xb / 700) / (xa / 800) - 1
  end
  local m, v = 0, 0
  for _, l in ipairs(lifts) do m = m + l / #lifts end
  for _, l in ipairs(lifts) do v = v + (l - m) ^ 2 / (#lifts - 1) end
  local d = ab.proportions(480, 800, 560, 700).lift
  check.truthy(math.abs(d.se / math.sqrt(v) - 1) < 0.06, ("delta se %.5f vs simulated %.5f"):format(d.se, math.sqrt(v)))
  check.errors(function() ab.proportions(90, 80, 1, 10) end, "exceed")
  check.errors(function() ab.proportions(1, 10, 1, 10, { method = "exact" }) end, "method must be")
end

function tests.ratio_delta_method()
  local r = ab.ratio({ 10, 0, 5, 20, 7, 3 }, { 2, 1, 1, 4, 2, 1 }, { 12, 4, 9, 30, 2, 8, 6 }, { 2, 1, 2, 5, 1, 2, 1 })
  check.near(r.ratio_a, 4.090909090909091, 1e-12)
  check.near(r.ratio_b, 5.071428571428571, 1e-12)
  check.near(r.se, 0.784736106948196, 1e-12)
  check.near(r.p, 0.21148611269427797, 1e-10)
  -- the delta-method se against the spread of the ratio difference over 2000 simulated tests
  -- (per user: visits 1..3, revenue = visits x U(1, 3) plus a per-user U(0, 4), 150 per arm)
  T.manual_seed(8)
  local u = T.rand(2000, 4, 300):totable()
  local diffs, ses = {}, 0
  for k = 1, 2000 do
    local ya, xa, yb, xb = {}, {}, {}, {}
    for i = 1, 150 do
      xa[i] = 1 + math.floor(3 * u[k][1][i]); ya[i] = xa[i] * (1 + 2 * u[k][2][i]) + 4 * u[k][3][i]
      xb[i] = 1 + math.floor(3 * u[k][1][150 + i]); yb[i] = xb[i] * (1 + 2 * u[k][2][150 + i]) + 4 * u[k][4][i]
    end
    local q = ab.ratio(ya, xa, yb, xb)
    diffs[k], ses = q.estimate, ses + q.se / 2000
  end
  local m, v = 0, 0
  for _, d in ipairs(diffs) do m = m + d / 2000 end
  for _, d in ipairs(diffs) do v = v + (d - m) ^ 2 / 1999 end
  check.truthy(math.abs(ses / math.sqrt(v) - 1) < 0.06, ("delta se %.4f vs simulated sd %.4f"):format(ses, math.sqrt(v)))
  check.errors(function() ab.ratio({ 1, 2 }, { 0, 0 }, { 1, 2 }, { 1, 1 }) end, "denominator sums to 0")
  check.errors(function() ab.ratio({ 1, 2, 3 }, { 1, 1 }, { 1, 2 }, { 1, 1 }) end, "lengths differ")
end

function tests.holm_bh_hand_worked()
  -- sorted p .01 .03 .04 .2, m = 4. Holm: 4(.01)=.04, 3(.03)=.09, max(.09, 2(.04))=.09, .2
  check.all_near(ab.holm({ 0.01, 0.04, 0.03, 0.2 }), { 0.04, 0.09, 0.09, 0.2 }, 1e-15)
  -- BH from the top: .2, min(.2, .04*4/3), min(.0533, .03*4/2), .01*4
  check.all_near(ab.bh({ 0.01, 0.04, 0.03, 0.2 }), { 0.04, 0.16 / 3, 0.16 / 3, 0.2 }, 1e-15)
  check.all_near(ab.bonferroni({ 0.3, 0.01 }), { 0.6, 0.02 }, 1e-15)
  check.all_near(ab.holm({ 0.5, 0.9 }), { 1, 1 }, 1e-15) -- 2(.5) capped at 1, then monotone
  -- properties on random p-values: p <= BH <= Holm <= Bonferroni (i (m - i + 1) >= m), and the
  -- adjustment keeps the order of the raw p-values
  T.manual_seed(77)
  for _ = 1, 50 do
    local p = T.rand(12):totable()
    for i = 1, 4 do p[i] = p[i] * 1e-3 end
    local h, b, f = ab.holm(p), ab.bh(p), ab.bonferroni(p)
    for i = 1, 12 do
      check.truthy(p[i] <= b[i] + 1e-15 and b[i] <= h[i] + 1e-15 and h[i] <= f[i] + 1e-15, "p <= BH <= Holm <= Bonferroni")
      for j = 1, 12 do
        if p[i] < p[j] then check.truthy(h[i] <= h[j] and b[i] <= b[j], "order kept") end
      end
    end
  end
  check.errors(function() ab.holm({ 0.1, 1.5 }) end, "p[2] = 1.5 is not in [0, 1]")
  check.errors(function() ab.adjust({ 0.1 }, "sidak") end, "method must be")
end

function tests.power_formulas()
  local P = ab.power
  -- the textbook case: σ = 1, δ = 0.2, α = .05, power .8 -> 392.4 -> 393 per arm
  local na, nb, exact = P.n_means { sd = 1, delta = 0.2 }
  check.eq(na, 393); check.eq(nb, 393)
  check.near(exact, 2 * (1.959963984540054 + 0.8416212335729143) ^ 2 / 0.04, 1e-12)
  check.near(P.mde_means { sd = 1, n = exact }, 0.2, 1e-12)
  check.near(P.power_means { sd = 1, delta = 0.2, n = exact }, 0.8, 1e-3) -- other tail ~ 1e-5
  local n = P.n_proportions { p = 0.3, delta = 0.1 }
  check.near(P.mde_proportions { p = 0.3, n = select(2, P.n_proportions { p = 0.3, delta = 0.1 }) }, 0.1, 1e-9)
  -- simulated power at the computed n: 1500 experiments, rates .3 vs .4, pooled z test
  T.manual_seed(5)
  local u = T.rand(1500, 2 * n):totable()
  local hits = 0
  for e = 1, 1500 do
    local xa, xb, row = 0, 0, u[e]
    for i = 1, n do if row[i] < 0.3 then xa = xa + 1 end end
    for i = n + 1, 2 * n do if row[i] < 0.4 then xb = xb + 1 end end
    if ab.proportions(xa, n, xb, n).p < 0.05 then hits = hits + 1 end
  end
  local sd = math.sqrt(0.8 * 0.2 / 1500)
  check.truthy(math.abs(hits / 1500 - 0.8) < 3.5 * sd, ("simulated power %.3f vs 0.8"):format(hits / 1500))
  check.errors(function() P.n_means { sd = 1 } end, "'delta' must be a positive number")
  check.errors(function() P.n_proportions { p = 1.2, delta = 0.1 } end, "'p' must be a rate")
  check.errors(function() P.n_means { sd = 1, delta = 1, alhpa = 0.1 } end, "unknown option 'alhpa'")
end

return tests
