-- test_decay_aic.lua — family choice on data drawn from a known law. Regression guard: the
-- power law's likelihood once rounded log(1 + λt) to 0 in its exponential limit and "won"
-- AIC on pure exponential data with a positive log-likelihood.
local check = require "check"
local tide = require "tide"

-- per-user Poisson processes (rate 0.5/day) observed until one common horizon
local function exponential_log(n_users, rate, days, seed)
  local users, items, times = {}, {}, {}
  local s = seed
  local function u01() s = (s * 1103515245 + 12345) % 2147483648; return (s + 0.5) / 2147483648 end
  local t0, H = 1.6e9, 1.6e9 + days * 86400
  for u = 1, n_users do
    local t = t0
    while t < H do
      users[#users + 1], items[#items + 1], times[#times + 1] = u, 1, math.floor(t)
      t = t + (-math.log(u01()) / rate) * 86400
    end
  end
  return tide.data.from_columns{ user = users, item = items, time = times }, H
end

local tests = {}

function tests.aic_picks_exponential_on_exponential_data()
  local ev, H = exponential_log(200, 0.5, 100, 7)
  local r = tide.decay.select(ev, { families = { "exponential", "power", "weibull" }, per = "user", t_end = H })
  check.eq(r[1].family, "exponential", "AIC choice")
  for _, x in ipairs(r) do
    -- a continuous density on gaps of days cannot give a positive log-likelihood here
    check.truthy(x.fit.total_loglik < 0, x.family .. " log-likelihood is negative")
  end
  -- the pooled rate is the censored MLE events / exposure, close to the truth 0.5
  local g = tide.decay.fit(ev, { family = "exponential", per = "global", t_end = H })
  check.near(g.theta:get(1, 1), 0.5, 0.05, "pooled rate")
end

function tests.power_limit_matches_exponential_likelihood()
  -- In the limit a -> inf, λ -> 0 with aλ = r the power law IS exponential(r): both families
  -- must give the same log-likelihood there, not more.
  local D = tide.core.decay
  local T = tide.tensor
  local t = T.fromtable({ 0.5, 1, 2, 4 })
  local r = 0.5
  for _, lam in ipairs({ 1e-6, 1e-10, 1e-14, 1e-17 }) do
    local s_pow = D.eval("power", 2, T.fromtable({ lam, r / lam }), t)
    local s_exp = D.eval("exponential", 2, T.fromtable({ r }), t)
    check.all_near(s_pow:totable(), s_exp:totable(), 1e-4, "S(t) at λ = " .. lam)
  end
end

return tests
