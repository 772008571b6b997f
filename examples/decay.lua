-- examples/decay.lua — interest decay end to end: fit return-gap decay laws (per user with
-- empirical-Bayes shrinkage, and globally), choose the family by AIC, print half-lives and
-- forecasts, check against the simulator's known truth, fit a Hawkes return intensity, and
-- build decayed category-interest profiles with a θ-threshold.
-- Run: tide run examples/decay.lua
local tide = require "tide"
local SHARED = os.getenv("TIDE_SHARED_DATA") or "../shared/data"
local function exists(p) local f = io.open(p) if f then f:close() return true end return false end
-- Clean simulator logs (no self-excitation, no churn) so the return gaps follow the decay
-- law exactly and the fits have a precise target; deterministic per seed, generated in a second.
local function sim_log(name, opts)
  local path = os.tmpname() .. "_" .. name .. ".csv"
  opts.out = path
  local _, truth = tide.sim.generate(opts)
  return path, truth
end
local function first_existing(...)
  for _, p in ipairs({ ... }) do if exists(p) then return p end end
end

print("== 1. simulator log, exponential law per user (truth known)")
local path, truth = sim_log("sim_decay", { users = 3000, events = 100000, seed = 5, decay = "exponential",
                                           hawkes = false, churn = false })
local ev = tide.data.read_events(path, "sim")
local t_end = ev.time:cast("f32"):max():item()
local SESSION = 1800 -- events within 30 min of the previous one are the same visit
local fit = tide.decay.fit(ev, { family = "exponential", per = "user", min_gap = SESSION, t_end = t_end })
local glob = tide.decay.fit(ev, { family = "exponential", per = "global", min_gap = SESSION, t_end = t_end })
local g = glob:params()
print(("global rate %.4f/day (se %.4f), half-life %.2f days"):format(g.lambda, g.se_lambda, g.half_life))
print(("Gamma prior on user rates: shape %.2f, rate %.2f (mean %.4f/day)"):format(fit.prior.a[1], fit.prior.b[1],
  fit.prior.a[1] / fit.prior.b[1]))
if truth then
  local e_mle, e_eb, mean = 0, 0, 0
  for u = 1, ev.n_users do
    local tr = truth.users.rate:get(tonumber(ev.users:name(u)))
    mean = mean + tr
    e_mle = e_mle + (math.log(fit.mle_theta:get(u, 1) / tr)) ^ 2
    e_eb = e_eb + (math.log(fit.theta:get(u, 1) / tr)) ^ 2
  end
  print(("truth: mean user rate %.4f/day; RMSE of log rate: MLE %.3f, shrunk %.3f"):format(mean / ev.n_users,
    math.sqrt(e_mle / ev.n_users), math.sqrt(e_eb / ev.n_users)))
end
local hl = fit.half_life:sort()
print(("user half-lives (days): p10 %.1f, median %.1f, p90 %.1f"):format(hl:get(math.floor(0.1 * ev.n_users)),
  hl:get(math.floor(0.5 * ev.n_users)), hl:get(math.floor(0.9 * ev.n_users))))
for u = 1, 3 do
  local p = fit:params(u)
  print(("  user %s: λ = %.3f ± %.3f /day, half-life %.1f days, I(t+7) = I(t)·%.3f"):format(ev.users:name(u), p.lambda,
    p.se_lambda, p.half_life, tide.decay.forecast(fit, 1, 0, 7, u)))
end

print("\n== 2. family choice by AIC (simulator, mixture law)")
local mpath = sim_log("sim_mixture", { users = 3000, events = 100000, seed = 6, decay = "mixture", hawkes = false, churn = false })
local mev = tide.data.read_events(mpath, "sim")
local ranked = tide.decay.select(mev, { families = { "exponential", "hyperbolic", "power", "weibull", "mixture" },
                                        min_gap = SESSION, t_end = mev.time:cast("f32"):max():item() })
for _, r in ipairs(ranked) do
  print(("  pooled   %-12s ΔAIC %10.1f  half-life %.2f days"):format(r.family, r.delta_aic, r.fit.half_life:get(1)))
end
-- pooled over users, exponential gaps with Gamma-distributed rates ARE a power law (Lomax):
-- the heterogeneity, not the individual law. Per user (AIC summed over users):
local per_user = tide.decay.select(mev, { families = { "exponential", "weibull", "mixture" }, per = "user",
                                          min_gap = SESSION, t_end = mev.time:cast("f32"):max():item() })
for _, r in ipairs(per_user) do print(("  per user %-12s ΔAIC %10.1f"):format(r.family, r.delta_aic)) end

print("\n== 3. Hawkes return intensity (simulator with self-excitation)")
local hpath, htruth = sim_log("sim_hawkes", { users = 1000, events = 40000, seed = 7, decay = "exponential", hawkes = true, churn = false })
local hev = tide.data.read_events(hpath, "sim")
local hk = tide.decay.hawkes.fit_events(hev, { unit = "day", min_gap = SESSION })
print(("μ = %.3f ± %.3f, α = %.3f ± %.3f, β = %.3f ± %.3f /day; branching ratio %.3f"):format(hk.mu, hk.se.mu,
  hk.alpha, hk.se.alpha, hk.beta, hk.se.beta, hk.branching))
if htruth then
  print(("truth: mean branching ratio %.3f, mean immigrant rate %.3f/day (one shared law is fitted)"):format(
    htruth.users.branching:mean():item(), htruth.users.mu:mean():item()))
end

print("\n== 4. CDNOW repeat purchases: which law, what half-life")
local cd = first_existing("examples/data/cdnow/CDNOW_master.txt.gz", SHARED .. "/cdnow/CDNOW_master.txt")
if cd then
  local cev = tide.data.read_events(cd, "cdnow")
  local cend = cev.time:cast("f32"):max():item()
  local cr = tide.decay.select(cev, { families = { "exponential", "weibull", "power", "mixture", "hyperbolic" }, t_end = cend })
  for _, r in ipairs(cr) do print(("  %-12s ΔAIC %9.1f  half-life %.1f days"):format(r.family, r.delta_aic, r.fit.half_life:get(1))) end
  local best = cr[1].fit
  for _, age in ipairs({ 7, 90, 365 }) do
    print(("  P(buy again within 30 days | %d days since last purchase) = %.3f"):format(age,
      1 - tide.decay.forecast(best, 1, age, 30)))
  end
else
  print("  CDNOW not found, skipped")
end

print("\n== 5. bundled logs: Taobao category return times, simulator logs with self-excitation")
local tb = first_existing("examples/data/taobao-userbehavior/UserBehavior_slice.csv",
                          SHARED .. "/taobao-userbehavior/UserBehavior_tail114users.csv")
if tb then
  local tev = tide.data.read_events(tb, "taobao")
  local tend = tev.time:cast("f32"):max():item()
  local tr = tide.decay.select(tev, { families = { "exponential", "weibull", "power", "mixture" }, gaps_by = "category",
                                      unit = "hour", min_gap = SESSION, t_end = tend })
  print(("  Taobao (%d users): return to a category — best law %s, half-life %.1f hours (exponential: %.1f h)"):format(
    tev.n_users, tr[1].family, tr[1].fit.half_life:get(1),
    (function() for _, r in ipairs(tr) do if r.family == "exponential" then return r.fit.half_life:get(1) end end end)()))
end
for _, name in ipairs({ "sim_exponential", "sim_mixture", "sim_power" }) do
  local p = "examples/data/sim/" .. name .. ".csv.gz"
  if exists(p) then
    local sev = tide.data.read_events(p, "sim")
    local r = tide.decay.select(sev, { families = { "exponential", "power", "weibull", "mixture" }, per = "user",
                                       min_gap = SESSION, t_end = sev.time:cast("f32"):max():item() })
    print(("  %s (default model: Hawkes bursts + churn): per-user AIC picks %s (next %s, ΔAIC %.0f)"):format(
      name, r[1].family, r[2].family, r[2].delta_aic))
  end
end

print("\n== 6. decayed category interest (simulator log of part 1)")
local W = tide.data.WEIGHTS
local share = tide.decay.profile(ev, { by = "category", half_life = 7, weights = W, norm = "sum", threshold = 0.1 })
local raw = tide.decay.profile(ev, { by = "category", half_life = 7, weights = W, dense = true })
local later = tide.decay.profile(ev, { by = "category", half_life = 7, weights = W, h = 7 * 86400, dense = true })
for u = 1, 2 do
  local parts = {}
  for _, kv in ipairs(share:of(u)) do
    parts[#parts + 1] = ("cat %s: share %.2f, interest %.2f now -> %.2f in 7 days"):format(ev.categories:name(kv[1]),
      kv[2], raw:get(u, kv[1]), later:get(u, kv[1]))
  end
  print(("  user %s still interested in: %s"):format(ev.users:name(u), table.concat(parts, "; ")))
end
