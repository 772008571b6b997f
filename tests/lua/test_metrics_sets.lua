-- test_metrics_sets.lua — set-based evaluation (labels of a window, precision / recall / F1 of
-- pair sets, top-k + threshold selection and its validation sweep) and the decayed
-- repeat-interest recommender that feeds it, against hand counts and closed forms.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local S = require "tide.metrics.sets"

local tests = {}
local DAY = 86400

local function log()
  -- user 1 buys item 1 (t 1) and item 2 (t 5); user 2 browses item 1 (t 2), buys item 3 (t 6)
  return tide.data.from_columns{ user = { 1, 2, 1, 2 }, item = { 1, 1, 2, 3 }, event = { "buy", "browse", "buy", "buy" },
                                 time = { 1, 2, 5, 6 } }
end

function tests.labels_are_the_pairs_acted_on_in_the_window()
  local l = S.labels(log(), 2, 7, { target = "buy" })
  check.eq(l.n, 2, "two buy pairs in [2, 7)")
  check.truthy(l[1][2] and l[2][3] and not l[1][1], "user 1 item 2, user 2 item 3; t = 1 is outside")
  check.eq(S.labels(log(), 0, 10).n, 4, "any event")
  check.errors(function() S.labels(log(), 5, 5) end, "t0 < t1")
  check.errors(function() S.labels(log(), 0, 1, { target = "refund" }) end, "unknown target event 'refund'")
end

function tests.prf_counts_by_hand()
  local truth = { [1] = { [2] = true, [7] = true }, [2] = { [3] = true } }
  local pred = { [1] = { [2] = true, [5] = true }, [3] = { [1] = true } }
  local r = S.prf(pred, truth)
  check.eq(r.tp, 1, "tp"); check.eq(r.n_pred, 3, "predicted"); check.eq(r.n_true, 3, "true")
  check.near(r.precision, 1 / 3, 1e-12, "precision"); check.near(r.recall, 1 / 3, 1e-12, "recall")
  check.near(r.f1, 1 / 3, 1e-12, "F1")
  check.eq(S.prf({}, truth).precision, 0, "empty prediction: precision 0, not NaN")
end

function tests.select_keeps_top_k_above_threshold_and_sweep_finds_the_best()
  local cands = { [1] = { { 5, 0.1 }, { 2, 0.9 }, { 7, 0.5 } }, [2] = { { 3, 0.8 }, { 4, 0.2 } } }
  local sel = S.select(cands, { k = 2, threshold = 0.3 })
  check.eq(sel.n, 3, "user 1: items 2, 7; user 2: item 3")
  check.truthy(sel[1][2] and sel[1][7] and sel[2][3] and not sel[1][5], "top-2 above 0.3")
  local truth = { [1] = { [2] = true }, [2] = { [3] = true } }
  local best = S.sweep(cands, truth, { ks = { 1, 2, 3 }, thresholds = { 0, 0.6 } })
  check.eq(best.k, 1, "k = 1 keeps exactly the true pairs"); check.near(best.f1, 1, 1e-12, "perfect F1")
  check.eq(#best.grid, 6, "every (k, threshold) tried")
end

function tests.exact_sweep_finds_the_best_cut_by_hand()
  -- user 1: items 1 (.9, true), 2 (.8), 3 (.7, true); user 2: items 4 (.85), 5 (.6, true). With
  -- every candidate (k >= 3) the cuts give F1 = 2·TP / (n + 3): .5, .4, 1/3, 4/7, 6/8.
  local cands = { [1] = { { 1, 0.9 }, { 2, 0.8 }, { 3, 0.7 } }, [2] = { { 4, 0.85 }, { 5, 0.6 } } }
  local truth = { [1] = { [1] = true, [3] = true }, [2] = { [5] = true } }
  local best = S.sweep(cands, truth, { ks = { 1, 2, 3 } })
  check.eq(best.k, 3, "k = 3"); check.eq(best.threshold, 0.6, "cut below the last candidate")
  check.near(best.f1, 0.75, 1e-12, "F1 6/8")
  check.near(best.precision, 0.6, 1e-12, "precision 3/5"); check.near(best.recall, 1, 1e-12, "recall 3/3")
  check.near(best.grid[1][3], 0.5, 1e-12, "k = 1: the best cut keeps item 1 only (2/4)")
  check.near(best.grid[2][3], 4 / 7, 1e-12, "k = 2: all four (4/7)")
  check.near(best.share, 1, 1e-12, "the choice keeps every pooled top-3 candidate")
  -- the share rule: keep the best ceil(0.4 · 5) = 2 pooled candidates, whatever the score scale
  local scaled = { [1] = {}, [2] = {} }
  for u, list in pairs(cands) do for i, c in ipairs(list) do scaled[u][i] = { c[1], 10 * c[2] - 3 } end end
  for _, cs in ipairs({ cands, scaled }) do
    local sel = S.select(cs, { k = 3, share = 0.4 })
    check.eq(sel.n, 2, "two pairs"); check.truthy(sel[1][1] and sel[2][4], "items 1 (.9) and 4 (.85)")
  end
  check.eq(S.select(cands, { k = 1, share = 0.5 }).n, 1, "k = 1 pools two candidates, keeps one")
  check.errors(function() S.select(cands, { share = 0 }) end, "share must be a number in (0, 1]")
  check.errors(function() S.select(cands, { k = 1, share = 0.5, threshold = 0.3 }) end, "give threshold or share, not both")
  -- ties stay together across users, and inside a user the lower key ranks first (as select)
  local tie = { [1] = { { 2, 0.5 }, { 1, 0.5 } } }
  local tb = S.sweep(tie, { [1] = { [1] = true } }, { ks = { 1, 2 } })
  check.eq(tb.k, 1, "top-1 of a tie is key 1"); check.near(tb.f1, 1, 1e-12, "perfect")
  check.near(tb.grid[2][3], 2 / 3, 1e-12, "k = 2 can only take both tied candidates")
  check.errors(function() S.sweep(cands, truth, { ks = { 0 } }) end, "ks must hold numbers >= 1")
  check.errors(function() S.sweep({ [1] = { { 1, 0 / 0 }, { 2, 0.5 } } }, truth) end, "sets.sweep: cands[1][1] must be")
  check.errors(function() S.select({ [2] = { { 1, 0.5 }, { 2, "x" } } }, { k = 1 }) end, "sets.select: cands[2][2]")
  check.errors(function() S.select({ [2] = 5 }) end, "cands[2] must be a list")
  check.errors(function() S.sweep({}, truth) end, "no candidates")
end

function tests.exact_sweep_equals_brute_force_over_every_threshold()
  math.randomseed(3)
  for _ = 1, 5 do
    local cands, truth = {}, {}
    for u = 1, 12 do
      cands[u], truth[u] = {}, {}
      for key = 1, math.random(1, 8) do
        cands[u][#cands[u] + 1] = { key, math.floor(math.random() * 20) / 20 } -- ties on purpose
        if math.random() < 0.3 then truth[u][key] = true end
      end
      if math.random() < 0.2 then truth[u][99] = true end -- a true pair no method can rank
    end
    local ks = { 1, 2, 3, math.huge }
    local all = {}
    for _, list in pairs(cands) do for _, c in ipairs(list) do all[#all + 1] = c[2] end end
    local brute = S.sweep(cands, truth, { ks = ks, thresholds = all }) -- every candidate score
    local exact = S.sweep(cands, truth, { ks = ks })
    check.near(exact.f1, brute.f1, 1e-12, "same best F1")
    local again = S.prf(S.select(cands, { k = exact.k, threshold = exact.threshold }), truth)
    check.near(again.f1, exact.f1, 1e-12, "the chosen (k, threshold) reproduces its F1")
  end
end

function tests.bootstrap_interval_of_an_f1_difference()
  local truth, perfect, half = {}, {}, {}
  for u = 1, 40 do
    truth[u], perfect[u], half[u] = { [1] = true, [2] = true }, { [1] = true, [2] = true }, { [1] = true, [3] = true }
  end
  -- perfect: F1 1; half: tp 40, 80 predicted, 80 true -> F1 0.5; every user alike, so every
  -- resample gives the same difference
  local b = S.bootstrap(perfect, half, truth, { n = 200 })
  check.near(b.diff, 0.5, 1e-12, "F1 difference"); check.near(b.lo, 0.5, 1e-12, "lo"); check.near(b.hi, 0.5, 1e-12, "hi")
  check.eq(b.share_le0, 0, "never <= 0")
  local same = S.bootstrap(half, half, truth, { n = 50 })
  check.eq(same.diff, 0, "a method against itself"); check.eq(same.share_le0, 1, "all replicates are 0")
  -- users differ: half of them perfect under a, all half-right under b
  local mixed = {}
  for u = 1, 40 do mixed[u] = u <= 20 and perfect[u] or half[u] end
  local m1 = S.bootstrap(mixed, half, truth, { n = 300, seed = 7 })
  local m2 = S.bootstrap(mixed, half, truth, { n = 300, seed = 7 })
  check.near(m1.diff, S.prf(mixed, truth).f1 - 0.5, 1e-12, "point estimate is the plain difference")
  check.truthy(m1.lo < m1.diff and m1.diff < m1.hi and m1.lo > 0, ("interval [%g, %g]"):format(m1.lo, m1.hi))
  check.eq(m1.lo, m2.lo, "same seed, same interval")
  check.errors(function() S.bootstrap(mixed, half, truth, { n = 2 }) end, "n must be a number >= 10")
  check.errors(function() S.bootstrap(mixed, half, truth, { level = 1 }) end, "level must be in (0, 1)")
  check.errors(function() S.bootstrap({}, {}, {}) end, "no users")
end

function tests.interest_model_scores_are_expected_buys_from_the_response_kernel()
  -- a fixed law: one browse of item 1 at day 0 by user 1; score at day 3 over 7 days
  local ev = tide.data.from_columns{ user = { 1, 2 }, item = { 1, 2 }, event = { "browse", "buy" }, time = { 0, 3 * DAY } }
  local law = setmetatable({ family = "exponential", k = 1, mu = 0.01, weights = { browse = 0.4, buy = 0.2 },
                             theta = { 0.2 }, unit = DAY, origin = 0, max_hist = 0, key = "item", target = "buy" },
                           tide.decay.response.Fit)
  local m = tide.models.interest{ law = law, horizon = 7, tiebreak = 0 }
  m:fit(ev)
  local s = m:score_at({ 1 }, 3 * DAY):totable()[1]
  check.near(s[1], 0.07 + 0.4 * (math.exp(-0.6) - math.exp(-2.0)), 1e-6, "touched item: closed form")
  check.near(s[2], 0.07, 1e-6, "untouched item: the base rate times the horizon")
  local top = m:topk({ 1 }, 1, { exclude_seen = false }):totable()
  check.eq(top[1][1], 1, "repeat interest ranks first")
  check.errors(function() tide.models.interest{ horizon = -1 } end, "horizon must be a number of days > 0")
end

return tests
