-- push_timing.lua — re-engagement push timing from the return forecast: with a Hawkes law,
-- ctx:lapse(threshold) is when a user's return intensity decays to `threshold` (visits per
-- day); with a decay fit, when their forecast interest falls to that fraction of today's.
-- Send the push `lead` days before that lapse (never before now); users who lapse beyond
-- `horizon` days get no push yet, and users already below the threshold get one now.
-- To write your own strategy, copy this file and change `select`; keep returning a table
-- user -> {action = "push", at = epoch seconds} (see lua/tide/strategy.lua).
local params = { threshold = 0.2, lead = 1, horizon = 30 }

return {
  name = "push_timing",
  description = "push each user shortly before their forecast return intensity lapses",
  params = params,
  select = function(users, ctx)
    local p = ctx:with(params)
    local lapse = ctx:lapse(p.threshold, p.horizon)
    local out = {}
    for _, u in ipairs(users) do
      local tau = lapse[u]
      if tau < math.huge then
        local days = math.max(0, tau - p.lead)
        out[u] = { action = "push", at = ctx.t + days * 86400, lapse_days = tau }
      end
    end
    return out
  end,
}
