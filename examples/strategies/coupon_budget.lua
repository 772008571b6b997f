-- coupon_budget.lua — coupons under a budget, the articles' rule: send a coupon to users whose
-- current interest is LOW (decayed interest ctx.interest at or below the `interest_q` quantile
-- of the candidates) but whose reactivation probability is HIGH (ctx.p_return >= `min_p`):
-- they have drifted away yet are likely to come back if nudged. Greedy by P(return), highest
-- first, each coupon costing ctx.cost, until ctx.budget is spent.
-- To write your own strategy, copy this file and change `select`; keep returning a table
-- user -> {action = "coupon", value = ...} (see lua/tide/strategy.lua for the interface).
local params = { interest_q = 0.5, min_p = 0.5 }

local function quantile(values, q)
  local s = {}
  for i, v in ipairs(values) do s[i] = v end
  table.sort(s)
  if #s == 0 then return 0 end
  return s[math.max(1, math.ceil(q * #s))]
end

return {
  name = "coupon_budget",
  description = "coupons to low-interest, high-reactivation users, greedy under a budget",
  params = params,
  select = function(users, ctx)
    local p = ctx:with(params)
    local interest, pr = ctx.interest, ctx.p_return
    local vals = {}
    for i, u in ipairs(users) do vals[i] = interest[u] end
    local cut = quantile(vals, p.interest_q)
    local eligible = {}
    for _, u in ipairs(users) do
      if interest[u] <= cut and pr[u] >= p.min_p then eligible[#eligible + 1] = u end
    end
    table.sort(eligible, function(a, b)
      if pr[a] ~= pr[b] then return pr[a] > pr[b] end
      return a < b
    end)
    local out, spent = {}, 0
    for _, u in ipairs(eligible) do
      if spent + ctx.cost > (ctx.budget or math.huge) then break end
      spent = spent + ctx.cost
      out[u] = { action = "coupon", value = ctx.value }
    end
    return out
  end,
}
