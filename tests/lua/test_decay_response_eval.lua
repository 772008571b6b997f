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
  check.near(S.prf(S.select(cands, a[1]), truth).f1, a[1].f1, 1e-12, "no decay: test F1 recomputed")
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
  check.truthy(rows[1].transfer == "threshold" or rows[1].transfer == "share", "the transfer rule used is reported")
  -- a fixed rule is applied as asked: the share rule keeps the validation choice's fraction
  local sh = E.evaluate(ev, { methods = { "none" }, transfer = "share" })
  check.eq(sh[1].transfer, "share", "share rule")
  local cands = E.candidates("none", ev:filter(ev.time:lt(sh.t_test)), { key = "item" })
  local truth = S.labels(ev, sh.t_test, sh.t_end, { key = "item", target = "buy" })
  check.near(S.prf(S.select(cands, { k = sh[1].k, share = sh[1].share }), truth).f1, sh[1].f1, 1e-12, "share rule F1")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, transfer = "rank" }) end,
    "transfer must be auto, threshold or share")
  check.errors(function() E.evaluate(ev, { methods = { { "response", frailty = "both" } } }) end,
    "frailty must be true, false, 'pair' or 'user'")
  check.errors(function() E.evaluate(ev, { methods = { "none" }, horizon = 40 }) end, "shorter than two horizons")
end

return tests
