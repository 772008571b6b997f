-- sample_report.lua — a report with every kind of plot tide.report draws, for the browser
-- check when no demo report is given. Usage: luajit tests/browser/sample_report.lua out.html
local tide = require "tide"
local T = tide.tensor
local R = tide.report.new("Tide report check: every plot kind")
R:section("Table and text"):text("Plots below are drawn from fixed numbers."):table({ "model", "AUC" }, { { "logistic", 0.81 }, { "gbdt", 0.84 } })
local xs, ys = {}, {}
for d = 0, 30 do xs[#xs + 1] = d; ys[#ys + 1] = math.exp(-0.1 * d) end
R:lines{ title = "Decay curve", x_label = "days", y_label = "interest", series = { { name = "λ = 0.1", x = xs, y = ys } } }
R:bars{ title = "NDCG@10", labels = { "popularity", "SAR" }, values = { 0.02, 0.04 } }
R:heatmap{ title = "attention", matrix = T.eye(6) }
R:forest{ title = "A/B effects", rows = { { label = "churn warning", estimate = 0.021, lo = 0.004, hi = 0.038, truth = 0.025 },
                                          { label = "random 20 %", estimate = 0.003, lo = -0.012, hi = 0.018, truth = 0.0 } } }
R:calibration{ curves = { { name = "logistic", mean_pred = { 0.1, 0.3, 0.5, 0.7, 0.9 }, frac_pos = { 0.12, 0.28, 0.52, 0.69, 0.93 } } } }
R:qini{ curves = { { name = "T-learner", x = { 0, 0.25, 0.5, 0.75, 1 }, y = { 0, 40, 60, 68, 70 } } } }
print(R:save(assert(arg[1], "usage: sample_report.lua out.html")))
