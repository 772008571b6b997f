-- bench_activation.lua — activation quality: Tide's framing feeds Tide's logistic regression and
-- GBDT and (through exported CSVs) scikit-learn's LogisticRegression and
-- HistGradientBoostingClassifier on the identical matrix and user split
-- (bench_activation_sklearn.py). Scenarios:
--   uci_churn  UCI Online Retail, cut 2011-09-09, will the customer buy again within 90 days
--   uci_react  same cut, customers dormant >= 60 days: reactivation within 90 days
--   sim        simulated log (review sentiment drives reactivation), cut day 90, 30 days
-- and on the simulator: ECE before/after calibration on validation users, the AUC gain from
-- the decay features (decay, hawkes, interest groups) and from the sentiment features.
-- usage: luajit tests/bench/bench_activation.lua OUTDIR
-- prints "RESULT scenario model auc fit_seconds" lines and "NOTE ..." lines.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local A = tide.activation
local T = tide.tensor
local wall = tide.core.io.wall
local DAY = 86400

local dir = arg[1] or error("usage: bench_activation.lua OUTDIR")

local function write_matrix(path, X, y)
  local rows, x, yy = {}, X:totable(), y:totable()
  for i = 1, #x do
    local r = {}
    for j = 1, #x[i] do r[j] = ("%.9g"):format(x[i][j]) end
    rows[i] = ("%d,"):format(yy[i]) .. table.concat(r, ",")
  end
  local f = assert(io.open(path, "w"))
  f:write(table.concat(rows, "\n"), "\n")
  f:close()
end

local LR = { l2 = 1 } -- = sklearn LogisticRegression(C = 1) on StandardScaler output
local GB = { n_trees = 200, learning_rate = 0.05, max_leaves = 31, max_depth = 0, min_samples_leaf = 20,
             early_stopping = false }

local function fit(kind, X, y, names)
  local m = kind == "logistic" and A.logistic(LR) or A.gbdt(GB)
  local t0 = wall()
  m:fit(X, y, { names = names })
  return m, wall() - t0
end

local function auc(m, X, y) return tide.metrics.auc(m:predict(X), y) end

-- Fits both Tide models on one framed data set, exports it for sklearn, prints results.
local function scenario(name, fr)
  local sp = A.split(fr, { valid = 0, test = 0.3, seed = 1 })
  local tr, te = sp.train, sp.test
  print(("NOTE %s: %d rows (%d train / %d test users' rows), %d features, positives %.1f%%"):format(
    name, fr.n, tr.n, te.n, fr.d, 100 * fr.stats.rate))
  local Ltr, Lte = A.slog1p(tr.X), A.slog1p(te.X)
  local lm, lt = fit("logistic", Ltr, tr.y, fr.names)
  print(("RESULT %s tide_lr %.4f %.4f"):format(name, auc(lm, Lte, te.y), lt))
  local gm, gt = fit("gbdt", tr.X, tr.y, fr.names)
  print(("RESULT %s tide_hgb %.4f %.4f"):format(name, auc(gm, te.X, te.y), gt))
  write_matrix(dir .. "/" .. name .. "_lr_train.csv", Ltr, tr.y)
  write_matrix(dir .. "/" .. name .. "_lr_test.csv", Lte, te.y)
  write_matrix(dir .. "/" .. name .. "_gb_train.csv", tr.X, tr.y)
  write_matrix(dir .. "/" .. name .. "_gb_test.csv", te.X, te.y)
  local f = assert(io.open(dir .. "/" .. name .. "_coef.csv", "w"))
  -- standardised-scale coefficients, intercept first (sklearn's coef_ on StandardScaler output)
  for _, c in ipairs(lm:coef({ scale = "standardized" })) do f:write(("%s,%.10g\n"):format(c.name, c.beta)) end
  f:close()
end

-- UCI Online Retail (examples/data/uci-online-retail/PROVENANCE.txt): invoice lines of
-- registered customers (rows without CustomerID are dropped by the reader), UK local time.
local t0 = wall()
local uci = tide.data.read_events("examples/data/uci-online-retail/online_retail.csv.gz", "retail")
print(("NOTE uci read %.2f s, %d rows, %d customers"):format(wall() - t0, uci.n, uci.n_users))
t0 = wall()
local churn = A.frame(uci, { cut = "2011-09-09", horizon = 90, label = "return" })
print(("NOTE uci frame %.2f s"):format(wall() - t0))
scenario("uci_churn", churn)
scenario("uci_react", A.frame(uci, { cut = "2011-09-09", horizon = 90, label = "reactivation", dormant = 60 }))

-- Simulator: review sentiment drives churn/reactivation (strength 1.5), reviews on 80% of buys.
local simlog = dir .. "/sim.csv"
tide.sim.generate{ users = 8000, mean_pv = 1.2, seed = 21, out = simlog, truth = false, p_review = 0.8,
                   sentiment = 1.5, horizon = 120, funnel = { click = 0.6, cart = 0.6, fav = 0.8, buy = 0.8 } }
local sev = tide.data.read_events(simlog, "sim_reviews")
local SCUT = 1704067200 + 90 * DAY
local sim = A.frame(sev, { cut = SCUT, horizon = 30, label = "return" })
scenario("sim", sim)

-- ECE before / after calibration: fit on train users, calibrate on valid users, score test.
local sp = A.split(sim, { valid = 0.2, test = 0.3, seed = 2 })
local cal = require "tide.activation.calibrate"
for _, kind in ipairs({ "logistic", "gbdt" }) do
  local tx = function(X) return kind == "logistic" and A.slog1p(X) or X end
  local m = fit(kind, tx(sp.train.X), sp.train.y, sim.names)
  local pv, pt = m:predict(tx(sp.valid.X)), m:predict(tx(sp.test.X))
  local iso, platt = cal.isotonic(pv, sp.valid.y), cal.platt(pv, sp.valid.y)
  print(("NOTE sim %s test ECE: raw %.4f, Platt %.4f, isotonic %.4f (10 bins, %d test rows)"):format(kind,
    tide.metrics.ece(pt, sp.test.y, 10), tide.metrics.ece(platt:apply(pt), sp.test.y, 10),
    tide.metrics.ece(iso:apply(pt), sp.test.y, 10), sp.test.n))
end

-- AUC gain of feature groups: the same rows and split with and without the groups.
local function gain(where, ev, cut, horizon, label, extra, without, with, opts)
  local o = { cut = cut, horizon = horizon, label = label }
  for k, v in pairs(opts or {}) do o[k] = v end
  local res = {}
  for i, groups in ipairs({ without, with }) do
    o.groups = groups
    local fr = A.frame(ev, o)
    local s = A.split(fr, { valid = 0, test = 0.3, seed = 1 })
    local m = fit("logistic", A.slog1p(s.train.X), s.train.y, fr.names)
    res[i] = auc(m, A.slog1p(s.test.X), s.test.y)
  end
  print(("NOTE %s %s: logistic test AUC %.4f without %s, %.4f with (gain %+.4f)"):format(where, label, res[1], extra,
    res[2], res[2] - res[1]))
end
local DEC = "decay/hawkes/interest"
gain("uci", uci, "2011-09-09", 90, "return", DEC, { "rfm", "gaps" }, { "rfm", "gaps", "interest", "decay", "hawkes" })
gain("uci", uci, "2011-09-09", 90, "reactivation", DEC, { "rfm", "gaps" }, { "rfm", "gaps", "interest", "decay", "hawkes" })
local basic = { "rfm", "dwell", "gaps", "mix", "category" }
local nodec = { "rfm", "dwell", "gaps", "mix", "category", "interest", "decay", "hawkes" }
local all = { "rfm", "dwell", "gaps", "mix", "category", "interest", "decay", "hawkes", "sentiment" }
gain("sim", sev, SCUT, 30, "return", DEC, basic, nodec)
gain("sim", sev, SCUT, 30, "return", "sentiment", nodec, all)
gain("sim", sev, SCUT, 30, "reactivation", "sentiment", nodec, all, { dormant = 20 })
os.remove(simlog)
