-- sim_truth.lua — simulate a log with known truth, read it back like any other log, fit decay
-- laws with tide.decay, and compare the estimates with the simulator's true parameters.
--   tide run examples/sim_truth.lua [users] [decay] [same]
-- defaults: 3000 users, exponential. With "same", users of a segment share one rate (the
-- Gamma prior is made degenerate), so pooled fits of the power and mixture laws hit the truth;
-- otherwise the spread of rates inside a segment makes the pooled law heavier-tailed than the
-- average user's (a Gamma mixture of Lomax laws is not a Lomax law with the mean rate).
local tide = require "tide"

local users = tonumber(arg and arg[1]) or 3000
local law = (arg and arg[2]) or "exponential"
local same = arg and arg[3] == "same"
local tmp = os.tmpname()
local out = tmp .. ".csv.gz"

-- One row per visit (no funnel, one pv), no self-excitation or churn: the return gaps then
-- follow the decay law exactly, so the fit has a precise target.
local cfg = { users = users, seed = 7, decay = law, hawkes = false, churn = false,
              join_spread = 0, mean_pv = 1, p_click = 0, horizon = 120, out = out }
if same then -- λ ~ Gamma(k, k / mean) with huge k: every user gets the segment's mean rate
  cfg.segments = {}
  for i, mean in ipairs({ 0.5, 0.2, 0.1 }) do cfg.segments[i] = { rate_shape = 1e9, rate_rate = 1e9 / mean } end
end
local s, truth = tide.sim.generate(cfg)
print(("simulated %d rows, %d users, %s law, %.0f days -> %s"):format(s.rows, s.users, law,
  s.config.horizon, out))

local ev = tide.data.read_events(out, "sim")
-- dense ids follow first appearance; map each dense user back to the simulator's id
local seg_of = truth.users.segment:totable()
local seg = {}
for u = 1, ev.n_users do seg[u] = seg_of[tonumber(ev.users:name(u))] end
local t_end = s.config.start + s.config.horizon * 86400

local fit = tide.decay.fit(ev, { family = law, per = "segment", n_segments = #truth.segments,
  segment = tide.tensor.fromtable(seg, "i32"), unit = "day", t_end = t_end, shrink = false })

print(("%-8s %6s  %-28s %-28s"):format("segment", "users", "true (mean over users)", "fitted (pooled MLE)"))
local theta = truth.users.theta:totable()
for g, sg in ipairs(truth.segments) do
  local n, mean = 0, {}
  for u = 1, users do
    if seg_of[u] == g then
      n = n + 1
      for j, v in ipairs(theta[u]) do mean[j] = (mean[j] or 0) + v end
    end
  end
  local tv, fv = {}, {}
  for j = 1, #mean do
    tv[j] = ("%.4g"):format(mean[j] / n)
    fv[j] = ("%.4g±%.2g"):format(fit.theta:get(g, j), fit.se:get(g, j))
  end
  print(("%-8s %6d  %-28s %-28s"):format(sg.name, n, table.concat(tv, " "), table.concat(fv, " ")))
end
print("(exponential: rate per day; power: rate, shape; mixture: weights then rates.)")
if not same and law ~= "exponential" then
  print("Users of a segment have different rates, so the pooled fit estimates the population's")
  print("law, which is heavier-tailed than the average user's; add 'same' to compare exactly.")
end
os.remove(out)
os.remove(tide.sim.truth_path(out))
os.remove(tmp)
