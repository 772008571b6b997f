-- demo.lua — `make demo`: the whole Tide story on bundled data, ending with which strategy won.
--   behaviour     ingest + clean a simulated log; per-user decay laws (EB, AIC); Hawkes; a decay network
--   recommenders  decayed baselines vs popularity; SASRec and decay-aware attention (tide.models)
--   sentiment     review polarity on a Chinese review slice
--   activation    who buys again (UCI Online Retail): logistic regression and boosted trees
--   clv           the customer base (CDNOW): BG/NBD, Gamma-Gamma, CLV
--   ab_log        decay-aware recommendations, and an offline A/B against popularity on the retail log
--   ab_sim        two win-back strategies compared on the simulator, with the true effect
-- Output: the printed summary and out/report.html. Run: scripts/tide run examples/demo.lua [outdir]
-- (DEMO_QUICK=1: smaller simulator populations, for tests).
local tide = require "tide"
local S = { tide = tide, DATA = "examples/data/", DAY = 86400, SESSION = 1800,
            out = (arg and arg[1]) or "out", quick = os.getenv("DEMO_QUICK") == "1" }
os.execute("mkdir -p '" .. S.out .. "'")
S.R = tide.report.new("Tide demo: interest decay, reactivation and which strategy wins")

function S.fmt_table(header, rows)
  print(("%-28s" .. (" %16s"):rep(#header - 1)):format(unpack(header)))
  for _, r in ipairs(rows) do
    local cells = {}
    for i = 2, #header do
      cells[#cells + 1] = type(r[i]) == "number" and ("%16.4f"):format(r[i]) or ("%16s"):format(tostring(r[i]))
    end
    print(("%-28s"):format(r[1]) .. " " .. table.concat(cells, " "))
  end
end

local t0 = tide.core.io.wall()
local function stage(name) return dofile("examples/demo/" .. name .. ".lua") end
stage("behaviour")(S)
stage("recommenders")(S)
stage("sentiment")(S)

print("\n== 8. activation: who buys again (UCI Online Retail, CC BY 4.0)")
S.retail = tide.data.read_events(S.DATA .. "uci-online-retail/online_retail.csv.gz", "retail")
local act = stage("activation")(S)

print("\n== 9. customer base: BG/NBD on CDNOW")
stage("clv")(S)

print("\n== 10. decay-aware recommendations and an offline A/B on the retail log")
local log_ab = stage("ab_log")(S, act)
local pr, bs = log_ab.prop, log_ab.boot
print(("%d customers active in the 90 days before the cut; arms: popularity %d, decay-aware %d (sample-ratio p = %.2f)"):format(
  log_ab.n, log_ab.n_arm.popularity, log_ab.n_arm.decay_aware, log_ab.srm.p))
print(("bought a listed product within 14 days: popularity %.1f %%, decay-aware %.1f %%; difference %+.1f points, 95 %% interval [%+.1f, %+.1f] (Newcombe), [%+.1f, %+.1f] (BCa bootstrap)"):format(
  100 * log_ab.rate_a, 100 * log_ab.rate_b, 100 * pr.estimate, 100 * pr.lo, 100 * pr.hi, 100 * bs.bca.lo, 100 * bs.bca.hi))
for _, e in ipairs(log_ab.examples) do print("  " .. e) end
S.R:section("10. Recommendations and an offline A/B on the retail log")
  :text(("Customers active in the 90 days before a cut 14 days from the log's end were split 50/50 by a salted hash (%d / %d; sample-ratio p = %.2f). Outcome replayed from the log: a purchase of a listed product in the 14 days after the cut (nobody saw the lists, so this measures anticipation, not causal effect)."):format(
    log_ab.n_arm.popularity, log_ab.n_arm.decay_aware, log_ab.srm.p))
  :forest{ title = "Decay-aware lists minus popularity: share of customers who bought a listed product", x_label = "difference in proportion (95 % interval)",
           rows = { { label = "Newcombe", estimate = pr.estimate, lo = pr.lo, hi = pr.hi },
                    { label = "BCa bootstrap", estimate = bs.estimate, lo = bs.bca.lo, hi = bs.bca.hi } } }
  :pre(table.concat(log_ab.examples, "\n"))

print("\n== 11. win-back strategies compared on the simulator (churn warning vs random, 20 % treated)")
local sim_ab, info = stage("ab_sim")(S)
local rows, forest = {}, {}
for _, r in ipairs(sim_ab.rows) do
  rows[#rows + 1] = { r.strategy .. " / " .. r.metric, ("%+.4f"):format(r.estimate), ("[%+.4f, %+.4f]"):format(r.lo, r.hi),
                      ("%+.4f"):format(r.true_effect) }
  forest[#forest + 1] = { label = r.strategy .. " / " .. r.metric, estimate = r.estimate, lo = r.lo, hi = r.hi, truth = r.true_effect }
end
S.fmt_table({ "strategy / metric", "A/B estimate", "95 % interval", "true effect" }, rows)
-- head to head: churn warning minus random, replicate by replicate (same populations)
local d, dt = {}, {}
for r, rep in ipairs(sim_ab.per_replicate) do
  d[r] = rep.churn_warning.retention.estimate - rep.random_20pct.retention.estimate
  dt[r] = rep.churn_warning.retention.truth - rep.random_20pct.retention.truth
end
local mean_var = require("tide.abtest.util").mean_var
local md, vd = mean_var(d)
local mt = mean_var(dt)
local sd = math.sqrt(vd)
local q = tide.core.ab.t_ppf(0.975, #d - 1) -- t interval over replicates (paired: same populations)
local lo, hi = md - q * sd / math.sqrt(#d), md + q * sd / math.sqrt(#d)
S.R:section("11. Win-back strategies on the simulator")
  :text(("Churn model: logistic regression, held-out AUC %.3f. Each of %d replicate populations (%d users) is split into a control arm and one arm per strategy; both strategies treat 20 %% of their arm. Estimates are arm minus control over a 30-day window; the true effect is known from the simulator's paired futures."):format(
    info.auc, sim_ab.replicates, math.floor(sim_ab.users)))
  :forest{ title = "Effect of each strategy (estimate, 95 % interval; ◇ = true effect)", rows = forest }

local winner = md > 0 and "churn warning" or "random targeting"
local verdict = ("Winner on the simulator: %s. Retention lift of churn warning minus random %+.2f points, 95 %% interval [%+.2f, %+.2f] over %d replicates (true difference %+.2f points)%s. On the retail log, decay-aware recommendations anticipated purchases for %+.1f points more customers than popularity [%+.1f, %+.1f]."):format(
  winner, 100 * md, 100 * lo, 100 * hi, #d, 100 * mt, (lo > 0 or hi < 0) and "" or " — the interval includes 0, so this is not yet a significant win",
  100 * pr.estimate, 100 * pr.lo, 100 * pr.hi)
S.R:section("Verdict"):text(verdict)
local out = S.R:save(S.out .. "/report.html")
print("\n" .. verdict)
print(("demo finished in %.0f s; report written to %s"):format(tide.core.io.wall() - t0, out))
