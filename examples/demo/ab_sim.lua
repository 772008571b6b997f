-- ab_sim.lua — demo stage: which win-back strategy to run, decided on the simulator before a
-- live test. A churn model (tide.activation logistic regression) is trained on one simulated
-- population; then, on fresh replicate populations, two strategies that treat the same share
-- of users are compared: the churn early warning (examples/strategies/churn_warning.lua: the
-- users with the highest predicted risk) and a random draw (salted hash). tide.abtest.simulate
-- splits each population into arms, continues the simulator past the decision time with the
-- incentive for the treated users, and reports the A/B estimate with its interval next to the
-- TRUE effect, which the simulator knows from its paired treated/untreated futures.
return function(S)
  local tide = S.tide
  local SHARE, WINDOW, DAY = 0.2, 30, 86400
  local sim_cfg = { users = S.quick and 1200 or 5000, seed = 21, churn = true, decay = "exponential" }

  -- 1. the churn model, on its own simulated population (never a replicate's)
  local train_log = S.out .. "/sim_churn_train.csv.gz"
  local g = {}
  for k, v in pairs(sim_cfg) do g[k] = v end
  g.seed, g.out, g.truth = 99, train_log, false
  tide.sim.generate(g)
  local ev = tide.data.read_events(train_log, "sim")
  local t_end = ev.time:max():item() + 1
  local fr = tide.activation.frame(ev, { cut = t_end - WINDOW * DAY, horizon = WINDOW, label = "return" })
  local sp = tide.activation.split(fr, { valid = 0, test = 0.3, seed = 1 })
  local model = tide.activation.logistic{ l2 = 1 }
  model:fit(sp.train.X, sp.train.y, { names = fr.names })
  local auc = tide.metrics.auc(model:predict(sp.test.X), sp.test.y)
  print(("churn model: logistic regression on %d users x %d features; held-out AUC %.3f (%d users)"):format(
    sp.train.n, #fr.names, auc, sp.test.n))

  -- 2. each replicate's decision context: risk = 1 − P(return in 30 days) from the model,
  --    framed on that replicate's observable log at the decision time
  local cache = {}
  local function context(info)
    if cache[info.replicate] then return cache[info.replicate] end
    local rev = info.events()
    for u = 1, rev.n_users do -- the simulator writes users in id order: dense id = simulator id
      if rev.users:name(u) ~= tostring(u) then error("demo: replicate user ids are not in simulator order") end
    end
    local now = rev.time:max():item() + 1
    local f = tide.activation.frame(rev, { cut = now, horizon = WINDOW, label = "return", names = fr.names })
    local p, users, prob = model:predict(f.X):totable(), f.users:totable(), {}
    for i, u in ipairs(users) do prob[u] = p[i] end
    local ctx = tide.strategy.ctx(rev, { t = now, activation = prob, missing = 0, params = { threshold = 0, q = SHARE } })
    cache[info.replicate] = ctx
    return ctx
  end
  local warning = tide.strategy.load("examples/strategies/churn_warning.lua")
  local function random_share(users)
    local arm = tide.abtest.assign(users, { salt = "demo-random", arms = { treat = SHARE, skip = 1 - SHARE } })
    local out = {}
    for i, u in ipairs(users) do if arm[i] == "treat" then out[#out + 1] = u end end
    return out
  end
  local res = tide.abtest.simulate(sim_cfg, {
    strategies = { churn_warning = warning, random_20pct = random_share },
    replicates = S.quick and 4 or 10, effect = 0.5, window = WINDOW, context = context,
    metrics = { "retention", "reactivation" } })
  return res, { auc = auc, n_train = sp.train.n }
end
