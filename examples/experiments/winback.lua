-- winback.lua — an example experiment file for `tide ab`: three win-back strategies evaluated
-- on the simulator before a live test. Run: scripts/tide ab examples/experiments/winback.lua
-- (tide ab --help explains every field). Strategies see only the observable history
-- (ctx.features: recency, frequency, tenure, recent visits; aligned with `users`).

-- treat the users whose last visit is at least `days` old
local function dormant(days)
  return function(users, ctx)
    local out = {}
    for i, u in ipairs(users) do
      if ctx.features.recency[i] >= days then out[#out + 1] = u end
    end
    return out
  end
end

-- treat the k most frequent visitors among the dormant ones (a budgeted strategy)
local function top_frequent_dormant(k, days)
  return function(users, ctx)
    local cand = {}
    for i, u in ipairs(users) do
      if ctx.features.recency[i] >= days then cand[#cand + 1] = { u, ctx.features.frequency[i] } end
    end
    table.sort(cand, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
    local set = {}
    for j = 1, math.min(k, #cand) do set[cand[j][1]] = true end
    return set
  end
end

return {
  name = "winback",
  data = "sim",
  population = { sim = { users = 3000, seed = 7, churn = true } },
  strategies = {
    everyone = function(users) return users end,
    dormant_14d = dormant(14),
    top300_dormant = top_frequent_dormant(300, 14),
  },
  metrics = { "retention", "reactivation", "revenue", guardrails = { "visits" } },
  analysis = { alpha = 0.05, correction = "holm", replicates = 12, effect = 0.5, window = 30, cost = 1,
               cuped = "recent" },
}
