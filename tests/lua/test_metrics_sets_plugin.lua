-- test_metrics_sets_plugin.lua — the calibrated expected-F1 cut (tide.metrics.sets_plugin via
-- sets.calibrate / sets.select{calibration}): recovery of planted chances, the cut against a
-- brute force over every subset, ties and k, bad input, and that it carries from a validation
-- draw to a test draw better than the validation window's best empirical cut.
local check = require "check"
require "tide"
local S = require "tide.metrics.sets"

local tests = {}

-- one candidate per user (key 1) with score s[i]; labels drawn with chance p[i]
local function one_each(s)
  local c = {}
  for i = 1, #s do c[i] = { { 1, s[i] } } end
  return c
end
local function draw(p)
  local t, n = {}, 0
  for i = 1, #p do if math.random() < p[i] then t[i] = { [1] = true }; n = n + 1 end end
  t.n = n
  return t
end

function tests.calibrate_recovers_planted_chances()
  math.randomseed(11)
  local a, b, s, p = 0.15, 0.8, {}, {}
  for i = 1, 20000 do
    s[i] = 0.5 - math.log(1 - math.random()) -- >= 0.5: the fit measures scores from their minimum s0
    p[i] = 1 - math.exp(-(a + b * s[i]))
  end
  local c = S.calibrate(one_each(s), draw(p), { k = 1, link = "cloglog" })
  check.truthy(c.converged, "converged")
  check.eq(c.n, 20000, "candidates")
  check.eq(c.n_out, 0, "every true pair is a candidate")
  -- the planted linear predictor a + b·s, compared where the scores lie (0.5 … 3.5)
  for _, x in ipairs({ 0.5, 1, 2, 3.5 }) do
    check.near(c.a + c.b * (x - c.s0), a + b * x, 0.05, ("η at score %g"):format(x))
  end
  check.near(c.b, b, 0.05, "slope")
end

function tests.isotonic_calibration_is_the_monotone_rate()
  -- hand-worked pool adjacent violators: scores 1 … 7 with outcomes 0 1 0 0 1 1 and a tie at 7
  -- (one act of two, pooled first) give the blocks {1} 0, {2, 3, 4} 1/3, {5, 6, 7, 7} 3/4;
  -- knots (as sklearn keeps them: the ends of each constant run) in score − s0, s0 = 1
  local s, y = { 1, 2, 3, 4, 5, 6, 7, 7 }, { false, true, false, false, true, true, true, false }
  local truth = { n = 0 }
  for i = 1, #s do if y[i] then truth[i] = { [1] = true } end end
  local c = S.calibrate(one_each(s), truth, { k = 1 })
  check.eq(c.link, "isotonic", "default link")
  check.eq(c.s0, 1, "lowest score")
  local kx, ky = { 0, 1, 3, 4, 6 }, { 0, 1 / 3, 1 / 3, 0.75, 0.75 }
  check.eq(#c.kx, #kx, "five knots")
  for i = 1, #kx do
    check.near(c.kx[i], kx[i], 1e-6, "knot x " .. i); check.near(c.ky[i], ky[i], 1e-6, "knot y " .. i)
  end
  -- new scores: 0.5 (below the knots: 0), 3.5 (inside the 1/3 run), 9 (above: 3/4)
  local got = S.select({ [1] = { { 1, 0.5 } }, [2] = { { 1, 3.5 } }, [3] = { { 1, 9 } } }, { k = 1, calibration = c })
  check.near(got.expected_f1, 2 * 0.75 / (1 + 0 + 1 / 3 + 0.75), 1e-6, "only the 0.75 pair: 2·0.75 / (1 + Σp)")
  check.truthy(got[3][1] and not got[2][1] and not got[1][1], "the chosen pair")
  check.errors(function() S.calibrate(one_each(s), truth, { link = "probit" }) end, "link must be isotonic or cloglog")
  check.errors(function() S.select(one_each(s), { calibration = { kx = { 1 }, ky = {}, s0 = 0, n_out = 0 } }) end, "same length")
end

function tests.the_cut_is_the_best_subset_by_expected_f1()
  -- chances 1 − exp(−(0.2 + 0.5·(s − 1))) of 8 candidates of 3 users, 2 true pairs elsewhere:
  -- every one of the 2^8 subsets is scored by 2·Σp_S / (|S| + Σp_all + n_out), independently
  -- of the module's top-n scan
  local cands = { [1] = { { 10, 1 }, { 11, 4 }, { 12, 2.5 } }, [2] = { { 10, 3 }, { 13, 1.5 } },
                  [3] = { { 14, 6 }, { 15, 0.2 + 1 }, { 16, 2 } } }
  local cal = { a = 0.2, b = 0.5, s0 = 1, n_out = 2 }
  local flat, tot = {}, cal.n_out
  for u, list in pairs(cands) do
    for _, c in ipairs(list) do
      local p = 1 - math.exp(-(cal.a + cal.b * math.max(c[2] - cal.s0, 0)))
      flat[#flat + 1] = { u, c[1], p }; tot = tot + p
    end
  end
  local best, best_mask = -1, 0
  for mask = 1, 2 ^ #flat - 1 do
    local n, sp, m = 0, 0, mask
    for i = 1, #flat do
      if m % 2 == 1 then n, sp = n + 1, sp + flat[i][3] end
      m = math.floor(m / 2)
    end
    if 2 * sp / (n + tot) > best then best, best_mask = 2 * sp / (n + tot), mask end
  end
  local got = S.select(cands, { k = math.huge, calibration = cal })
  check.near(got.expected_f1, best, 1e-12, "expected F1 of the chosen set")
  local m = best_mask
  for i = 1, #flat do
    check.eq(got[flat[i][1]][flat[i][2]] == true, m % 2 == 1, ("pair (%d, %d) chosen as the brute force does"):format(flat[i][1], flat[i][2]))
    m = math.floor(m / 2)
  end
  -- k = 1: only each user's best candidate may be chosen
  local one = S.select(cands, { k = 1, calibration = cal })
  check.truthy(not one[1][12] and not one[3][16], "beyond each user's top 1")
  check.truthy(one.n <= 3, "at most one per user")
end

function tests.ties_stay_together_and_bad_input_is_named()
  local cands = { [1] = { { 1, 2 } }, [2] = { { 1, 2 } }, [3] = { { 1, 0 } } }
  local got = S.select(cands, { k = 1, calibration = { a = 0.1, b = 1, s0 = 0, n_out = 0 } })
  check.eq(got[1][1] == true, got[2][1] == true, "equal chances are kept or dropped together")
  check.errors(function() S.select(cands, { calibration = 3 }) end, "calibration must be a table")
  check.errors(function() S.select(cands, { calibration = { a = 0 / 0, b = 1, s0 = 0, n_out = 0 } }) end, "calibration.a must be a number")
  check.errors(function() S.calibrate(cands, { n = 0 }, { k = 1 }) end, "need both acting and idle candidates")
  check.errors(function() S.calibrate({}, { n = 0 }) end, "no candidates")
  check.errors(function() S.calibrate({ [1] = { { 1, 0 / 0 } } }, { n = 0 }) end, "non-NaN score")
end

function tests.carries_better_than_the_best_empirical_cut_on_a_weak_signal()
  -- 2,000 pairs whose chances differ little (η = 0.15 + s, s ~ Exp(mean 0.1)): the F1 curve is
  -- flat, so the validation window's best cut is mostly noise. Over 60 (validation, test) label
  -- draws with the same scores, the calibrated cut must come within 0.005 of the best expected
  -- F1 the true chances allow (top-n by p), and not below the empirical cut carried by threshold.
  math.randomseed(2)
  local s, p = {}, {}
  for i = 1, 2000 do s[i] = -math.log(1 - math.random()) * 0.1; p[i] = 1 - math.exp(-(0.15 + s[i])) end
  local sorted, tot = {}, 0
  for i = 1, #p do sorted[i] = p[i]; tot = tot + p[i] end
  table.sort(sorted, function(x, y) return x > y end)
  local opt, acc = 0, 0
  for n = 1, #sorted do acc = acc + sorted[n]; opt = math.max(opt, 2 * acc / (n + tot)) end
  local cands, R, emp, plug = one_each(s), 60, 0, { cloglog = 0, isotonic = 0 }
  for _ = 1, R do
    local val, test = draw(p), draw(p)
    local sel = S.sweep(cands, val, { ks = { 1 } })
    emp = emp + S.prf(S.select(cands, { k = 1, threshold = sel.threshold }), test).f1 / R
    for link in pairs(plug) do
      local cal = S.calibrate(cands, val, { k = 1, link = link })
      plug[link] = plug[link] + S.prf(S.select(cands, { k = 1, calibration = cal }), test).f1 / R
    end
  end
  for link, f in pairs(plug) do
    check.truthy(f > opt - 0.005, ("%s: calibrated cut %.4f within 0.005 of the optimum %.4f"):format(link, f, opt))
    check.truthy(f >= emp, ("%s: calibrated cut %.4f >= best empirical cut %.4f"):format(link, f, emp))
  end
end

return tests
