-- churn_warning.lua — early churn warning: flag the riskiest users.
-- Rule: among users whose churn risk (1 − P(return), ctx.risk) is at least `threshold`, keep
-- the top fraction `q` of all candidate users, riskiest first.
-- To write your own strategy, copy this file: return a table with name, description, params
-- and select(users, ctx) returning an array of user ids (or a table user -> action); load it
-- with tide.strategy.load(path) and run it with s:run(users, ctx) (see lua/tide/strategy.lua).
local params = { threshold = 0.5, q = 0.1 }

return {
  name = "churn_warning",
  description = "top-q users by churn risk, among those with risk >= threshold",
  params = params,
  select = function(users, ctx)
    local p = ctx:with(params)
    local risk = ctx.risk
    local flagged = {}
    for _, u in ipairs(users) do
      if risk[u] >= p.threshold then flagged[#flagged + 1] = u end
    end
    -- riskiest first; equal risk: lower id first (a deterministic list)
    table.sort(flagged, function(a, b)
      if risk[a] ~= risk[b] then return risk[a] > risk[b] end
      return a < b
    end)
    local keep = math.min(#flagged, math.ceil(p.q * #users))
    local out = {}
    for i = 1, keep do out[i] = flagged[i] end
    return out
  end,
}
