-- test_activation_models.lua — tide.activation's model plumbing: evaluate() against numbers
-- computed with scikit-learn/numpy, load() dispatching logistic, GBDT and bundle files by
-- their checkpoint kind, bundle round trips, and refusals.
local tide = require "tide"
local check = require "check"
local A = tide.activation
local T = tide.tensor

local base = os.tmpname()
local function path(name) return base .. "_" .. name end

local tests = {}

-- Expected values: /usr/bin/python3 with sklearn.metrics (roc_auc_score,
-- average_precision_score, log_loss, brier_score_loss) and numpy for the intervals
-- (Hanley-McNeil SE; per-row loss sd with ddof = 1), at test-writing time.
function tests.evaluate_matches_sklearn_and_hand_intervals()
  local p = T.fromtable({ 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1 })
  local y = T.fromtable({ 1, 1, 0, 1, 0, 1, 0, 0 })
  local r = A.evaluate(p, y, { k = 0.5 })
  check.eq(r.n, 8); check.eq(r.positives, 4)
  check.near(r.auc, 0.8125, 1e-6, "AUC")
  check.near(r.auc_lo, 0.4914221479342998, 1e-5, "AUC lower (Hanley-McNeil)")
  check.eq(r.auc_hi, 1, "AUC upper clipped at 1")
  check.near(r.pr_auc, 0.8541666666666666, 1e-5, "average precision")
  check.near(r.log_loss, 0.5108256237659907, 1e-5, "log-loss")
  check.near(r.log_loss_lo, 0.19487430061291022, 1e-4, "log-loss lower")
  check.near(r.log_loss_hi, 0.826776946919071, 1e-4, "log-loss upper")
  check.near(r.brier, 0.175, 1e-6, "Brier")
  check.near(r.brier_lo, 0.03400514407577809, 1e-4, "Brier lower")
  check.near(r.lift, 1.5, 1e-6, "lift at 50%")
  -- Wilson interval of the top-4 precision 3/4 over the base rate 1/2 (scipy norm.ppf, by hand)
  check.near(r.lift_lo, 0.6012836851648037, 1e-5, "lift lower (Wilson)")
  check.near(r.lift_hi, 1.908825478380599, 1e-5, "lift upper (Wilson)")
  local all = A.evaluate(T.fromtable({ 0.9, 0.8, 0.2, 0.1 }), T.fromtable({ 1, 1, 0, 0 }), { k = 0.5 })
  check.truthy(all.lift_hi > all.lift_lo, "an all-positive top k still has a non-empty interval")
  check.truthy(A.evaluate and require("tide.activation.evaluate").format(r):find("AUC       0.8125", 1, true), "format")
  check.errors(function() A.evaluate(p, T.zeros({ 8 })) end, "one class only")
  check.errors(function() A.evaluate(p, T.zeros({ 3 })) end, "same length")
end

local function toy()
  local X, y, x = {}, {}, 99
  for i = 1, 400 do
    x = (x * 48271) % 2147483647
    local a = (x % 1000) / 100
    x = (x * 48271) % 2147483647
    local b = (x % 1000) / 100
    X[i], y[i] = { a, b }, (a + 0.5 * b + (x % 7) * 0.5 > 8) and 1 or 0
  end
  return T.fromtable(X), T.fromtable(y)
end

function tests.load_dispatches_by_kind_and_bundles_round_trip()
  local X, y = toy()
  for _, kind in ipairs({ "logistic", "gbdt" }) do
    local m = A.model(kind, kind == "gbdt" and { n_trees = 20 } or {})
    m:fit(X, y, { names = { "a", "b" } })
    local f = path(kind .. ".bin")
    m:save(f)
    local back = A.load(f)
    check.eq((back:predict(X) - m:predict(X)):abs():max():item(), 0, kind .. ": exact reload via activation.load")
    local bf = path(kind .. ".bundle")
    A.save_bundle(bf, m, kind, { names = { "a", "b" }, frame = { label = "return", horizon = 7 } })
    local bm, info = A.load(bf)
    check.eq(info.kind, kind); check.eq(info.names[2], "b"); check.eq(info.frame.horizon, 7)
    check.eq((bm:predict(X) - m:predict(X)):abs():max():item(), 0, kind .. ": exact reload from a bundle")
    os.remove(f); os.remove(bf)
  end
  local other = path("other.ckpt")
  tide.checkpoint.save(other, { w = T.zeros({ 2 }) }, { kind = "something.else" })
  check.errors(function() A.load(other) end, "kind 'something.else', not an activation model")
  local txt = path("x.txt")
  local f = assert(io.open(txt, "w")); f:write("hello"); f:close()
  check.errors(function() A.load(txt) end, "not a saved activation model")
  local m = A.logistic{}
  check.errors(function() A.save_bundle(path("b"), m, "forest", { names = {} }) end, "kind must be logistic or gbdt")
  check.errors(function() A.save_bundle(path("b"), m, "logistic", {}) end, "info.names is required")
  check.errors(function() A.model("forest") end, "unknown model kind 'forest'")
  os.remove(other); os.remove(txt)
end

return tests
