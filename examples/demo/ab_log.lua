-- ab_log.lua — demo stage: recommendations on the retail log and an offline A/B of two
-- recommendation strategies on it. At a cut 14 days before the log's end, the recently active
-- customers are split 50/50 by a salted hash (tide.abtest.assign; sample-ratio check). Arm A
-- gets the 10 most popular products; arm B gets tide.recommend's decay-aware lists: candidates
-- from the response-kernel repeat-interest model and decayed SAR, re-ranked with the churn
-- model's P(return) and decayed interest, each item with the reason it is there. The outcome
-- is replayed from the log: did the customer buy a listed product in the 14 days after the cut.
-- (Nobody saw these lists, so this measures how well each strategy anticipates purchases, not
-- the lists' causal effect; a live test would measure that.) Difference of proportions with a
-- Newcombe interval and a seeded BCa bootstrap.
return function(S, act)
  local tide = S.tide
  local ev, DAY, K = S.retail, 86400, 10
  local cut = ev.time:max():item() + 1 - 14 * DAY
  local train = ev:filter(ev.time:lt(cut))
  -- population: customers with a purchase in the 90 days before the cut
  local recent, users = {}, {}
  local u, t = train.user:totable(), train.time:totable()
  for i = 1, #u do if t[i] >= cut - 90 * DAY then recent[u[i]] = true end end
  for id in pairs(recent) do users[#users + 1] = id end
  table.sort(users)
  local a = tide.abtest.assign(users, { salt = "demo-retail-recs", arms = { popularity = 0.5, decay_aware = 0.5 } })
  local n_arm = { popularity = 0, decay_aware = 0 }
  for _, arm in ipairs(a) do n_arm[arm] = n_arm[arm] + 1 end
  local srm = tide.abtest.srm(n_arm, { popularity = 0.5, decay_aware = 0.5 })

  local pop = tide.models.pop{ mode = "recent", window = 30 }:fit(train)
  local interest = tide.models.interest{ horizon = 14 }:fit(train)
  interest.name = "repeat_interest"
  local sar = tide.models.sar{ half_life = 30 }:fit(train)
  local pr = {}
  for id = 1, ev.n_users do pr[id] = act.p_return[id] or 0 end -- no purchase history: 0
  local p_return = tide.tensor.fromtable(pr)
  local rec = tide.recommend.new{ candidates = { interest, sar }, n_candidates = 100,
    score = { repeat_interest = 1, sar = 0.5, activation = 0.3 },
    signals = { activation = p_return },
    exclude = { seen = false } }
  local lists = {}
  local pa, pb = {}, {}
  for i, id in ipairs(users) do if a[i] == "popularity" then pa[#pa + 1] = id else pb[#pb + 1] = id end end
  local top_pop = pop:topk(pa, K, { exclude_seen = false }):totable()
  for j, id in ipairs(pa) do lists[id] = top_pop[j] end
  local recs = rec:topk(pb, K)
  for j, id in ipairs(pb) do
    local l = {}
    for r, item in ipairs(recs[j]) do l[r] = item.item end
    lists[id] = l
  end
  -- outcome: a listed product bought in the 14 days after the cut
  local bought = {}
  local eu, ei, et, ee = ev.user:totable(), ev.item:totable(), ev.time:totable(), ev.event:totable()
  for i = 1, #eu do
    if et[i] >= cut and ee[i] == 5 then bought[eu[i]] = bought[eu[i]] or {}; bought[eu[i]][ei[i]] = true end
  end
  local ya, yb = {}, {}
  for i, id in ipairs(users) do
    local hit = 0
    for _, item in ipairs(lists[id]) do if bought[id] and bought[id][item] then hit = 1; break end end
    if a[i] == "popularity" then ya[#ya + 1] = hit else yb[#yb + 1] = hit end
  end
  local sum = function(v) local s = 0 for _, x in ipairs(v) do s = s + x end return s end
  local prop = tide.abtest.proportions(sum(ya), #ya, sum(yb), #yb)
  local boot = tide.abtest.bootstrap(ya, yb, { replicates = 2000, seed = 7 })
  -- three customers' lists with their reasons
  local examples = {}
  for j = 1, math.min(3, #pb) do
    local parts = {}
    for r = 1, 4 do
      local it = recs[j][r]
      if it then parts[#parts + 1] = ("%s (%s)"):format(ev.items:name(it.item), it.reason) end
    end
    examples[#examples + 1] = ("customer %s: %s"):format(ev.users:name(pb[j]), table.concat(parts, ", "))
  end
  return { n = #users, n_arm = n_arm, srm = srm, prop = prop, boot = boot, examples = examples,
           rate_a = sum(ya) / #ya, rate_b = sum(yb) / #yb }
end
