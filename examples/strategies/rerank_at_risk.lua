-- rerank_at_risk.lua — decay-aware re-ranking for at-risk users: users whose churn risk
-- (ctx.risk) is at least `threshold` get recommendation lists (tide.recommend through
-- ctx:recommend) that weight their decayed interest more than usual, pulling back the
-- categories they used to like; everyone else keeps the default lists.
-- To write your own strategy, copy this file and change `select`; keep returning a table
-- user -> {action = "rerank", items = {...}} (see lua/tide/strategy.lua).
local params = { threshold = 0.6, k = 10, weights = { model = 1, interest = 1.5 } }

return {
  name = "rerank_at_risk",
  description = "recommendation lists weighting decayed interest higher for at-risk users",
  params = params,
  select = function(users, ctx)
    local p = ctx:with(params)
    local risk = ctx.risk
    local at_risk = {}
    for _, u in ipairs(users) do
      if risk[u] >= p.threshold then at_risk[#at_risk + 1] = u end
    end
    if #at_risk == 0 then return {} end
    local lists = ctx:recommend(at_risk, p.k, p.weights)
    local out = {}
    for i, u in ipairs(at_risk) do
      local items, reasons = {}, {}
      for r, e in ipairs(lists[i]) do items[r], reasons[r] = e.item, e.reason end
      out[u] = { action = "rerank", items = items, reasons = reasons }
    end
    return out
  end,
}
