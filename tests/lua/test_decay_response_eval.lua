-- test_decay_response_eval.lua — the honest set-based evaluation (tide.decay.response_eval):
-- the choice of k and threshold never sees the test window, per-row method options, and the
-- bootstrap interval of each F1 minus no decay's.
local check = require "check"
local tide = require "tide"
local E = require "tide.decay.response_eval"
local S = require "tide.metrics.sets"
local sim = require "response_sim"

local tests = {}
local DAY = 86400

local function log()
  -- 200 users × 3 items over 70 days, buys excited by browses / carts / buys
  return sim.simulate(600, 70, 0.01, { [1] = 0.3, [3] = 0.8, [5] = 0.4 }, 1, 0.2, 0.2, 21, 3)
end

function tests.the_choice_never_sees_the_test_window()
  local ev = log()
  local methods = { "none", { "response", family = "exponential" } }
  local a = E.evaluate(ev, { methods = methods })
  -- drop every event of the test window but its last one (which keeps the window's end where
  -- it was): the test labels change, the choice made on the validation window must not
  local keep = ev.time:lt(a.t_test)
  local last = ev.time:max():item()
  local b = E.evaluate(ev:filter(keep + ev.time:eq(last)), { methods = methods })
  check.eq(b.t_test, a.t_test, "same windows")
  for i = 1, 2 do
    check.eq(b[i].k, a[i].k, a[i].method .. ": same k")
    check.eq(b[i].threshold, a[i].threshold, a[i].method .. ": same threshold")
    check.eq(b[i].val_f1, a[i].val_f1, a[i].method .. ": same validation F1")
  end
  -- and the test F1 is the chosen selection scored against the test labels
  local truth = S.labels(ev, a.t_test, a.t_end, { key = "item", target = "buy" })
  local cands = E.candidates("none", ev:filter(ev.time:lt(a.t_test)), { key = "item" })
  local how = a[1].transfer == "share" and { k = a[1].k, share = a[1].share } or { k = a[1].k, threshold = a[1].threshold }
  check.near(S.prf(S.select(cands, how), truth).f1, a[1].f1, 1e-12, "no decay: test F1 recomputed")
end

function tests.rows_take_their_own_options_and_get_bootstrap_intervals()
  local ev = log()
  local rows = E.evaluate(ev, { methods = { "none", { "response", family = "exponential", frailty = "user" } }, bootstrap = 200 })
  check.eq(rows[2].method, "response", "method name from the table")
  check.eq(rows[2].detail, "exponential", "family from the table")
  check.truthy(rows[1].diff_lo == nil, "no interval against itself")
  local d = rows[2].f1 - rows[1].f1
  check.truthy(rows[2].diff_lo <= d + 1e-12 and d <= rows[2].diff_hi + 1e-12,
    ("F1 difference %.4f inside [%.4f, %.4f]"):format(d, rows[2].diff_lo, rows[2].diff_hi))
  for i = 1, 2 do
    local t = rows[i].transfer
    check.truthy(t == "threshold" or t == "share" or t == "plugin", "the transfer rule used is reported: " .. tostring(t))
  end
  -- a fixed rule is applied as asked: the share rule keeps the validation choice's fraction
  local sh = E.evaluate(ev, { methods = { "none" }, transfer = "share" })
  check.eq(sh[1].transfer, "share", "share rule")
  local cands = E.candidates("none", ev:filter(ev.time:lt(sh.t_test)), { key = "item" })
  local truth = S.labels(ev, sh.t_test, sh.t_end, { key = "item", target = "buy" })
  check.near(S.prf(S.select(cands, { k = sh[1].k, share = sh[1].share }), truth).f1, sh[1].f1, 1e-12, "share rule F1")
  -- and the threshold rule keeps the validation threshold (not the share, which the row also has)
  local th = E.evaluate(ev, { methods = { "none", { "response", family = "exponential" } }, transfer = "threshold" })
  local ct = E.candidates("response", ev:filter(ev.time:lt(th.t_test)), { key = "item", target = "buy", horizon = 14,
                                                                          family = "exponential", at = th.t_test })
  local by_thr = S.prf(S.select(ct, { k = th[2].k, threshold = th[2].threshold }), truth).f1
  local by_share = S.prf(S.select(ct, { k = th[2].k, share = th[2].share }), truth).f1
  check.truthy(by_thr ~= by_share, "the two rules differ here (the check can fail)")
  check.near(th[2].f1, by_thr, 1e-12, "threshold rule F1")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, transfer = "rank" }) end,
    "transfer must be auto, threshold, share or plugin")
  check.errors(function() E.evaluate(ev, { methods = { { "response", frailty = "both" } } }) end,
    "frailty must be true, false, 'pair' or 'user'")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, horizon = 40 }) end, "shorter than two horizons")
end

function tests.response_rows_score_at_the_cut_and_carry_a_calibrated_cut()
  local ev = log()
  local rows = E.evaluate(ev, { methods = { "none", { "response", family = "exponential" } }, transfer = "plugin" })
  check.eq(rows[2].transfer, "plugin", "a response row carries its choice by calibration")
  check.eq(rows[2].calibration.link, "cloglog", "of an expected count")
  check.eq(rows[1].calibration.link, "isotonic", "of other scores")
  -- recomputed through the public pieces: scores at each cut, calibrated on the validation
  -- window's labels, the test window's set cut by expected F1
  local lab = { key = "item", target = "buy" }
  local valid = S.labels(ev, rows.t_valid, rows.t_test, lab)
  local test = S.labels(ev, rows.t_test, rows.t_end, lab)
  local o = { key = "item", target = "buy", horizon = 14, family = "exponential" }
  o.at = rows.t_valid
  local cv = E.candidates("response", ev:filter(ev.time:lt(rows.t_valid)), o)
  o.at = rows.t_test
  local ct = E.candidates("response", ev:filter(ev.time:lt(rows.t_test)), o)
  local cal = S.calibrate(cv, valid, { k = rows[2].k, link = "cloglog" })
  check.near(cal.b, rows[2].calibration.b, 1e-12, "same calibration")
  check.near(S.prf(S.select(ct, { k = rows[2].k, calibration = cal }), test).f1, rows[2].f1, 1e-12, "test F1 recomputed")
end

function tests.candidates_score_at_the_decision_time_not_the_last_event()
  -- a quiet last day before the cut: a kernel with a half-life of hours has decayed over it,
  -- and the expected buys in [cut, cut + 14 d) are those of Fit:expected at the cut itself
  local ev = sim.simulate(300, 40, 0.01, { [1] = 0.3, [3] = 0.8, [5] = 0.4 }, 1, 4, 4, 5, 3)
  local cut = ev.time:max():item() + DAY
  local o = { key = "item", target = "buy", horizon = 14, family = "exponential", at = cut }
  local c = E.candidates("response", ev, o)
  local f = tide.decay.response.fit(ev, { key = "item", target = "buy", family = "exponential", se = false,
                                                 delay = 1 / 48 }) -- response_eval's default
  local e = f:expected(ev, cut, 14)
  local u, k, sc = e.user:totable(), e.key:totable(), e.score:totable()
  local late = f:expected(ev, ev.time:max():item() + 1, 14).score:totable()
  local differs = 0
  for i = 1, #u do
    local got
    for _, x in ipairs(c[u[i]]) do if x[1] == k[i] then got = x[2] end end
    check.near(got, sc[i], 1e-9 * (1 + sc[i]), ("pair (%d, %d) scored at the cut"):format(u[i], k[i]))
    if math.abs(late[i] - sc[i]) > 1e-6 then differs = differs + 1 end
  end
  check.truthy(differs > 0, "the decision time matters for a fast kernel (the check can fail)")
  -- a given law is used as is (no refit): planted parameters score as that law's expected()
  local planted = sim.planted(f, 0.01, { [1] = 0.3, [3] = 0.8, [5] = 0.4 }, { 4 })
  local want = planted:expected(ev, cut, 14).score:totable()
  local got = E.candidates("response", ev, { key = "item", target = "buy", horizon = 14, at = cut, law = planted })
  for i = 1, #u do
    for _, x in ipairs(got[u[i]]) do if x[1] == k[i] then check.near(x[2], want[i], 1e-12, "planted law's score") end end
  end
  check.errors(function() E.candidates("response", ev, { horizon = 14, law = {} }) end, "law must be a tide.decay.response Fit")
end

function tests.rolling_origins_pool_consecutive_test_windows()
  local ev = log()
  local methods = { "none", { "response", family = "exponential" } }
  local rows = E.evaluate(ev, { methods = methods, origins = 2, bootstrap = 100 })
  check.eq(rows.origins, 2, "two origins")
  -- each origin is the one-origin protocol on the log cut at its test window's end
  local late = E.evaluate(ev, { methods = methods })
  local early = E.evaluate(ev, { methods = methods, t_end = late.t_test })
  check.eq(early.t_end, late.t_test, "the earlier test window ends where the later one starts")
  local cut = E.evaluate(ev:filter(ev.time:lt(late.t_test)), { methods = methods, t_end = late.t_test })
  check.eq(cut[2].f1, early[2].f1, "events at or after t_end are left out")
  for i = 1, 2 do
    local r, a, b = rows[i], late[i], early[i]
    check.eq(#r.by_origin, 2, r.method .. ": one row per origin")
    check.eq(r.by_origin[1].f1, a.f1, r.method .. ": the latest origin first")
    check.eq(r.by_origin[2].f1, b.f1, r.method .. ": then the one before")
    check.eq(r.k, a.k, r.method .. ": k of the latest origin")
    -- pooled micro-F1: counts add over the windows
    check.eq(r.tp, a.tp + b.tp, r.method .. ": true positives add")
    check.eq(r.n_pred, a.n_pred + b.n_pred, r.method .. ": predictions add")
    check.eq(r.n_true, a.n_true + b.n_true, r.method .. ": true pairs add")
    check.near(r.f1, 2 * r.tp / (r.n_pred + r.n_true), 1e-12, r.method .. ": micro-F1 of the pooled counts")
  end
  local d = rows[2].f1 - rows[1].f1
  check.truthy(rows[2].diff_lo <= d + 1e-12 and d <= rows[2].diff_hi + 1e-12, "pooled difference inside its interval")
  -- another baseline: the same interval, seen from the other row, with the sign flipped
  local v = E.evaluate(ev, { methods = methods, origins = 2, bootstrap = 100, versus = { "response" } })
  check.near(v[1].versus.response.lo, -rows[2].diff_hi, 1e-12, "none − response, low end")
  check.near(v[1].versus.response.hi, -rows[2].diff_lo, 1e-12, "none − response, high end")
  check.truthy(v[2].versus == nil, "no interval against itself")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, origins = 0 }) end, "origins must be a whole number >= 1")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, origins = 1.5 }) end, "origins must be a whole number >= 1")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, horizon = 20, origins = 3 }) end,
    "shorter than 4 horizons (origins = 3")
end

function tests.the_chosen_row_takes_the_better_validation_row_in_each_window()
  local ev = log()
  local methods = { "none", { "response", family = "exponential" }, "gap" }
  local rows = E.evaluate(ev, { methods = methods, origins = 2, bootstrap = 50, choose = { "none", "response" } })
  local c = rows[4]
  check.eq(#rows, 4, "one more row")
  check.eq(c.method, "chosen", "named chosen")
  local tp, np, nt = 0, 0, 0
  for j = 1, 2 do
    local a, b = rows[1].by_origin[j], rows[2].by_origin[j]
    local pick = b.val_f1 > a.val_f1 and b or a -- the first named wins a tie
    check.eq(c.by_origin[j].detail, pick.method, "window " .. j .. ": the row with the better validation F1")
    check.eq(c.by_origin[j].f1, pick.f1, "window " .. j .. ": its test F1")
    tp, np, nt = tp + pick.tp, np + pick.n_pred, nt + pick.n_true
  end
  check.eq(c.detail, c.by_origin[1].detail, "detail: the latest window's pick")
  check.eq(c.tp, tp, "true positives of the picks add")
  check.eq(c.n_pred, np, "predictions add")
  check.eq(c.n_true, nt, "true pairs add")
  check.near(c.f1, 2 * tp / (np + nt), 1e-12, "pooled micro-F1")
  check.truthy(c.diff_lo and c.diff_hi, "an interval against no decay")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, choose = { "none" } }) end,
    "choose must be a list of two or more method names")
  check.errors(function() E.evaluate(ev, { methods = { "none", "gap" }, choose = { "none", "marked" } }) end,
    "choose names 'marked', which is not among the methods")
end

function tests.default_methods_end_with_the_chosen_row_when_stacked_can_run()
  local ev = log() -- 70 days: one origin leaves three horizons before its test window
  local rows = E.evaluate(ev, { horizon = 14 })
  local names = {}
  for i, r in ipairs(rows) do names[i] = r.method end
  check.eq(table.concat(names, ","), "none,gap,response,marked,stacked,popularity,sar,chosen", "the default rows")
  local c, m, s = rows[8], rows[4], rows[5]
  local pick = s.val_f1 > m.val_f1 and s or m
  check.eq(c.detail, pick.method, "the better validation F1 of marked and stacked")
  check.eq(c.f1, pick.f1, "its test F1")
end

function tests.default_methods_are_the_same_at_every_origin()
  -- 70 days: the latest origin could run the stacked row (three horizons before its test
  -- window), the earliest of three could not; the rows must line up across origins
  local ev = log()
  local rows = E.evaluate(ev, { origins = 3, horizon = 14 })
  for _, r in ipairs(rows) do
    check.truthy(r.method ~= "stacked", "stacked left out: the earliest origin cannot run it")
    for _, b in ipairs(r.by_origin) do check.eq(b.method, r.method, r.method .. ": same method in every window") end
  end
end

return tests
