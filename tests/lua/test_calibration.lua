-- test_calibration.lua — classification and calibration metrics of tide.metrics (Brier, average
-- precision, reliability bins, lift, gain) and the calibrators of tide.activation.calibrate
-- (Platt, isotonic) against sklearn values, hand-worked cases, and a simulation where the true
-- probabilities are known and a miscalibrated score is repaired.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local calibrate = require "tide.activation.calibrate"
local metrics = tide.metrics
local T = tide.tensor
local tests = {}

-- 40 scores/labels drawn once with numpy (rng = default_rng(11); s = round(U, 2) with ties
-- forced at 0.5 and 0.25; y = U < s). Every expected value below was printed by
-- /usr/bin/python3 with sklearn 1.2.1 / scipy 1.10.1 on the float32-rounded scores:
-- brier_score_loss, average_precision_score, calibration_curve, _binary_clf_curve (gain),
-- IsotonicRegression(out_of_bounds="clip"), and Platt's objective (sklearn's
-- _sigmoid_calibration loss with smoothed targets) minimised by scipy BFGS at gtol 1e-12.
local S = { 0.13, 0.5, 0.6, 0.03, 0.15, 0.5, 0.5, 0.5, 0.95, 0.62, 0.25, 0.25, 0.66, 0.28, 0.14, 0.79, 0.67, 0.51,
  0.82, 0.55, 0.98, 0.2, 0.55, 0.48, 0.35, 0.59, 0.24, 0.8, 0.87, 0.13, 0.47, 0.28, 0.08, 0.9, 0.43, 0.15, 0.67, 0.2,
  0.9, 0.22 }
local Y = { 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0,
  1, 0, 1, 0 }
local SK = {
  brier = 0.1994874996932225,
  ap = 0.8636280312967619,
  cc5u = { true_ = { 0.2857142857142857, 0.3333333333333333, 0.8181818181818182, 0.8333333333333334, 0.8571428571428571 },
           pred = { 0.11571428578879152, 0.2522222217586305, 0.5072727257555182, 0.6683333516120911, 0.888571424143655 } },
  cc4q = { true_ = { 0.2, 0.6153846153846154, 0.8571428571428571, 0.9 },
           pred = { 0.14300000052899123, 0.3869230758685332, 0.5828571489879063, 0.8350000023841858 } },
  gain_frac = { 0.025, 0.05, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.275, 0.3, 0.325, 0.35, 0.4, 0.425, 0.525, 0.55, 0.575,
    0.6, 0.625, 0.675, 0.725, 0.75, 0.775, 0.825, 0.875, 0.9, 0.95, 0.975, 1.0 },
  gain_cap = { 0.04, 0.08, 0.16, 0.16, 0.2, 0.24, 0.28, 0.36, 0.4, 0.4, 0.44, 0.48, 0.56, 0.6, 0.72, 0.76, 0.76, 0.8, 0.8,
    0.88, 0.88, 0.92, 0.92, 0.92, 0.92, 0.92, 1.0, 1.0, 1.0 },
  iso_x = { 0.029999999329447746, 0.07999999821186066, 0.12999999523162842, 0.2199999988079071, 0.23999999463558197,
    0.25, 0.2800000011920929, 0.4699999988079071, 0.47999998927116394, 0.5, 0.5099999904632568, 0.6200000047683716,
    0.6600000262260437, 0.8700000047683716, 0.8999999761581421, 0.9800000190734863 },
  iso_y = { 0.0, 0.0, 0.25, 0.25, 0.3333333333333333, 0.3333333333333333, 0.6, 0.6, 0.8, 0.8, 0.8333333333333334,
    0.8333333333333334, 0.8571428571428571, 0.8571428571428571, 1.0, 1.0 },
  iso_at = { -1, 0.05, 0.33, 0.5, 0.777, 2.0 },
  iso_pred = { 0.0, 0.0, 0.6, 0.8, 0.8571428571428571, 1.0 },
  platt = { -4.2527442680173335, 1.3383523788163003 }, -- a, b of p = 1 / (1 + exp(a s + b))
}

local function column(bins, key)
  local out = {}
  for i, b in ipairs(bins) do out[i] = b[key] end
  return out
end

function tests.brier_and_average_precision_match_sklearn()
  check.near(metrics.brier(S, Y), SK.brier, 1e-12)
  check.near(metrics.pr_auc(S, Y), SK.ap, 1e-12)
  -- hand-worked: thresholds 0.9 (P 0, R 0) then the tied 0.8 pair (P 2/3, R 1): AP = 2/3
  check.near(metrics.pr_auc({ 0.9, 0.8, 0.8, 0.1 }, { 0, 1, 1, 0 }), 2 / 3, 1e-12)
  check.truthy(metrics.pr_auc({ 0.3, 0.2 }, { 0, 0 }) ~= metrics.pr_auc({ 0.3, 0.2 }, { 0, 0 }), "NaN without positives")
end

function tests.reliability_bins_match_calibration_curve()
  local u = metrics.reliability(S, Y, { bins = 5 })
  check.all_near(column(u, "frac_pos"), SK.cc5u.true_, 1e-12)
  check.all_near(column(u, "mean_pred"), SK.cc5u.pred, 1e-9)
  local n = 0
  for _, b in ipairs(u) do n = n + b.count end
  check.eq(n, 40, "every prediction in a bin")
  local q = metrics.reliability(S, Y, { bins = 4, strategy = "quantile" })
  check.all_near(column(q, "frac_pos"), SK.cc4q.true_, 1e-12)
  check.all_near(column(q, "mean_pred"), SK.cc4q.pred, 1e-9)
  -- bins are (lo, hi]: 0.5 falls in the lower of two bins, as numpy.searchsorted puts it
  local h = metrics.reliability({ 0.05, 0.1, 0.15, 0.5, 0.95 }, { 0, 0, 1, 1, 1 }, { bins = 2 })
  check.eq(h[1].count, 4)
  check.eq(h[2].count, 1)
  check.near(h[1].frac_pos, 0.5, 1e-12)
  check.errors(function() metrics.reliability(S, Y, { strategy = "kmeans" }) end, "opts.strategy")
  check.errors(function() metrics.reliability({ 1.5 }, { 1 }) end, "not in [0, 1]")
end

-- the existing metrics.ece is the count-weighted gap of the uniform reliability bins (no
-- probability sits on a bin edge here, where the two differ in which side is closed)
function tests.ece_agrees_with_reliability_bins()
  local p = {}
  for i = 1, #S do p[i] = S[i] * 0.98 + 0.003 end
  local e = 0
  for _, b in ipairs(metrics.reliability(p, Y, { bins = 10 })) do e = e + b.count / #S * math.abs(b.frac_pos - b.mean_pred) end
  check.near(metrics.ece(p, Y, 10), e, 1e-9)
end

function tests.lift_and_gain()
  -- top ceil(0.2 * 40) = 8 rows hold 7 positives; base rate 25/40
  local lift, prec, cap = metrics.lift_at(S, Y, 0.2)
  check.near(prec, 7 / 8, 1e-12)
  check.near(lift, (7 / 8) / 0.625, 1e-12)
  check.near(cap, 7 / 25, 1e-12)
  -- top 19: the 17 rows above 0.5 (15 positives) and 2 of the four tied at 0.5 (3 positives),
  -- which count 3 * 2/4 in expectation over random tie-breaking
  lift, prec, cap = metrics.lift_at(S, Y, 0.475)
  check.near(prec, 16.5 / 19, 1e-12)
  check.near(cap, 16.5 / 25, 1e-12)
  local f, c = metrics.gain_curve(S, Y)
  local ft, ct = f:totable(), c:totable()
  check.eq(ft[1], 0)
  check.eq(ct[1], 0)
  table.remove(ft, 1)
  table.remove(ct, 1)
  check.all_near(ft, SK.gain_frac, 1e-6)
  check.all_near(ct, SK.gain_cap, 1e-6)
  check.errors(function() metrics.lift_at(S, Y, 0) end, "k_frac in (0, 1]")
  check.errors(function() metrics.lift_at(S, Y) end, "k_frac must be a number")
  check.errors(function() metrics.gain_curve(S, { 1, 0 }) end, "40 scores but 2 labels")
end

function tests.isotonic_matches_sklearn()
  local c = calibrate.isotonic(S, Y)
  check.all_near(c.x, SK.iso_x, 1e-15)
  check.all_near(c.y, SK.iso_y, 1e-15)
  check.all_near(c:apply(SK.iso_at), SK.iso_pred, 1e-7)
  local p = c:apply(S):totable()
  for i = 2, #p do check.truthy(p[i] == p[i] and p[i] >= 0 and p[i] <= 1, "in [0, 1]") end
end

function tests.platt_matches_reference()
  local c = calibrate.platt(S, Y)
  check.near(c.a, SK.platt[1], 1e-6, "a")
  check.near(c.b, SK.platt[2], 1e-6, "b")
  local p = c:apply({ 0.3 }):get(1)
  check.near(p, 1 / (1 + math.exp(SK.platt[1] * 0.3 + SK.platt[2])), 1e-6)
end

function tests.calibrators_save_load_and_tables()
  local path = os.tmpname()
  for _, c in ipairs { calibrate.platt(S, Y), calibrate.isotonic(S, Y) } do
    c:save(path)
    local r = calibrate.load(path)
    local a, b = c:apply(S):totable(), r:apply(S):totable()
    for i = 1, #a do check.eq(b[i], a[i], c.method .. " reload " .. i) end
    local t = calibrate.from_table(c:to_table())
    check.eq(t:apply({ 0.42 }):get(1), c:apply({ 0.42 }):get(1), c.method .. " via table")
  end
  tide.checkpoint.save(path, {}, { kind = "tide.activation.logistic" })
  check.errors(function() calibrate.load(path) end, "is not a calibrator")
  os.remove(path)
  check.errors(function() calibrate.from_table({ method = "beta" }) end, "not a calibrator table")
end

function tests.calibrators_refuse_bad_input()
  check.errors(function() calibrate.platt(S, { 1, 0 }) end, "40 scores but 2 labels")
  check.errors(function() calibrate.platt({ 0.1, 0.2 }, { 1, 1 }) end, "only one class")
  check.errors(function() calibrate.isotonic({ 0.1, 0.2 }, { 1, 2 }) end, "label 2 is 2")
  check.errors(function() calibrate.isotonic({ 0 / 0, 0.2 }, { 1, 0 }) end, "point 1")
  check.errors(function() calibrate.platt({}, {}) end, "no scores")
  check.errors(function() calibrate.platt("s", Y) end, "must be a tensor")
end

-- True probabilities p = sigmoid(eta); the score is the logit times 3 (overconfident). Platt
-- and isotonic fitted on one half must cut the ECE on the other half, and Platt must recover
-- the factor: p = 1 / (1 + exp(a s + b)) with a = -1/3, b = 0.
function tests.simulation_calibration_repairs_overconfidence()
  T.manual_seed(2024)
  local n = 20000
  local eta = T.randn(n) * 1.2
  local y = (T.rand(n) - eta:sigmoid()):lt(0):mul(1.0)
  local score = eta * 3
  local fit_s, fit_y = score:narrow(1, 1, n / 2), y:narrow(1, 1, n / 2)
  local ev_s, ev_y = score:narrow(1, n / 2 + 1, n / 2), y:narrow(1, n / 2 + 1, n / 2)
  local raw = metrics.ece(ev_s:sigmoid(), ev_y, 10)
  local truth = metrics.ece(ev_s:mul(1 / 3):sigmoid(), ev_y, 10)
  local platt = calibrate.platt(fit_s, fit_y)
  local iso = calibrate.isotonic(fit_s, fit_y)
  local e_platt, e_iso = metrics.ece(platt:apply(ev_s), ev_y, 10), metrics.ece(iso:apply(ev_s), ev_y, 10)
  io.stderr:write(("  [calibration] ECE raw %.4f, Platt %.4f, isotonic %.4f, true p %.4f (a = %.4f, b = %.4f)\n")
    :format(raw, e_platt, e_iso, truth, platt.a, platt.b))
  check.truthy(raw > 0.05, "the overconfident score is miscalibrated")
  check.truthy(e_platt < raw / 3 and e_iso < raw / 3, "calibration cuts the ECE")
  check.truthy(e_platt < truth + 0.01, "Platt as good as the true probabilities")
  check.near(platt.a, -1 / 3, 0.03, "a = -1/3")
  check.truthy(math.abs(platt.b) < 0.05, "b = 0")
  check.truthy(metrics.brier(platt:apply(ev_s), ev_y) < metrics.brier(ev_s:sigmoid(), ev_y), "Brier improves")
end

return tests
