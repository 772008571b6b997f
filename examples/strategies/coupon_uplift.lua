-- coupon_uplift.lua — coupons by predicted uplift: rank users by ctx.uplift (the predicted
-- increase in P(return) a coupon causes, e.g. from an uplift model) and give coupons in that
-- order while the expected gain uplift × value covers the coupon's cost and the budget lasts.
-- To write your own strategy, copy this file and change `select`; keep returning a table
-- user -> {action = "coupon", value = ...} (see lua/tide/strategy.lua for the interface).
return {
  name = "coupon_uplift",
  description = "coupons in order of predicted uplift while uplift x value >= cost, under a budget",
  select = function(users, ctx)
    local up = ctx.uplift
    local order = {}
    for i, u in ipairs(users) do order[i] = u end
    table.sort(order, function(a, b)
      if up[a] ~= up[b] then return up[a] > up[b] end
      return a < b
    end)
    local out, spent = {}, 0
    for _, u in ipairs(order) do
      if up[u] * ctx.value < ctx.cost then break end -- sorted: nobody after pays off either
      if spent + ctx.cost > (ctx.budget or math.huge) then break end
      spent = spent + ctx.cost
      out[u] = { action = "coupon", value = ctx.value }
    end
    return out
  end,
}
