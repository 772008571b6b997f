-- test_forecast_gap.lua — the next-visit forecasters: the GRU gap regressor learns a pattern
-- the naive baselines cannot, compare() holds out the right gap and scores every method on
-- the same users, the Hawkes forecast is the median of the engine's own next-arrival law,
-- visits() merges sessions, bad input.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local F = tide.forecast
local tests = {}
local DAY = 86400

-- alternating gaps a, b, a, b, ... (a, b differ per user)
local function alternating(n_users)
  local seqs = {}
  for u = 1, n_users do
    local s, a, b = {}, 1 + u % 3, 8 + u % 5
    for k = 1, 10 + u % 7 do s[k] = (k % 2 == 1) and a or b end
    seqs[u] = s
  end
  return seqs
end

function tests.gru_learns_alternating_gaps()
  local seqs = alternating(200)
  local hist = {}
  for u, s in ipairs(seqs) do hist[u] = { unpack(s, 1, #s - 1) } end
  local m = F.gru_gap(hist, { epochs = 40, seed = 3 })
  check.truthy(m.history.train[40] < 0.2 * m.history.train[1], "training loss falls")
  local p = m:predict(hist)
  local mae, last = 0, 0
  for u, s in ipairs(seqs) do
    mae = mae + math.abs(p[u] - s[#s])
    last = last + math.abs(hist[u][#hist[u]] - s[#s])
  end
  mae, last = mae / #seqs, last / #seqs
  -- the previous gap is always the other value: its error is |a - b| >= 5
  check.truthy(last >= 5, "last-gap baseline error " .. last)
  check.truthy(mae < 1.5, ("GRU MAE %.3f (last gap %.3f)"):format(mae, last))
  -- exact reload
  local path = os.tmpname()
  m:save(path)
  local l = F.load_gru_gap(path)
  os.remove(path)
  local q = l:predict(hist)
  for u = 1, #hist do check.eq(q[u], p[u], "reloaded prediction") end
  check.errors(function() F.gru_gap({ { 1 } }) end, "no sequence has 2 or more gaps")
  check.errors(function() F.gru_gap({ { 1, -2 } }) end, "gap 2 must be a finite number >= 0")
  check.errors(function() m:predict({ {} }) end, "has no gap")
end

-- periodic visitors: user u visits every p_u = 2 + u % 7 days, 12 visits, with a second event
-- 10 minutes after each visit (the same session)
local function periodic_log(n_users)
  local user, time = {}, {}
  for u = 1, n_users do
    local p = 2 + u % 7
    for k = 0, 11 do
      local t = (u * 3 + k * p) * DAY
      user[#user + 1], time[#time + 1] = u, t
      user[#user + 1], time[#time + 1] = u, t + 600
    end
  end
  return tide.data.from_columns({ user = user, time = time })
end

function tests.visits_merge_sessions()
  local ev = periodic_log(3)
  local v = F.visits(ev, {})
  check.eq(#v, 3)
  check.eq(#v[1].t, 12, "the second event of each session is merged")
  check.near(v[1].t[2] - v[1].t[1], 2 + 1 % 7, 1e-12, "gap in days")
  local all = F.visits(ev, { min_gap = 0 })
  check.eq(#all[1].t, 24, "min_gap = 0 keeps every event")
end

function tests.compare_on_periodic_users()
  local ev = periodic_log(40)
  local r = F.compare(ev, { users = 30, gru = { epochs = 30 }, horizon = 60 })
  check.eq(r.n_users, 30)
  for i, row in ipairs(r.rows) do
    check.eq(row.user, i, "users in id order")
    check.near(row.truth, 2 + i % 7, 1e-9, "held-out gap is the last one")
  end
  -- every history gap equals the held-out one: the baselines are exact
  check.near(r.mae.last_gap, 0, 1e-9)
  check.near(r.mae.median_gap, 0, 1e-9)
  for _, nm in ipairs({ "arima", "gru", "hawkes" }) do
    check.truthy(r.mae[nm] >= 0 and r.mae[nm] < 60, nm .. " MAE " .. r.mae[nm])
  end
  -- the Hawkes forecast is the median: P(a visit within the forecast) = 1/2 under the fitted
  -- law, by the engine's own next-arrival probability (core.decay.hawkes_prob)
  local vis = F.visits(ev, {})
  for i = 1, 5 do
    local t = { unpack(vis[i].t, 1, #vis[i].t - 1) }
    local p = r.hawkes:prob(t, t[#t], r.rows[i].hawkes)
    check.near(p, 0.5, 1e-6, "Hawkes median")
  end
  -- ARIMA: the daily series are periodic; its forecast lands within a period of the truth
  check.truthy(r.mae.arima < 9, "ARIMA MAE " .. r.mae.arima)
  -- a list of user ids selects those users
  local r2 = F.compare(ev, { users = { 3, 5 }, gru = { epochs = 2 }, horizon = 60 })
  check.eq(r2.n_users, 2)
  check.eq(r2.rows[2].user, 5)
  check.errors(function() F.compare(ev, { min_visits = 50 }) end, "no user has enough visits")
end

function tests.arima_fallback_on_short_histories()
  -- daily visits at days 0..3 (midnight): the history's daily series {1, 1, 1} is too short for
  -- any ARIMA candidate, so the mean rate 1/day is used; ln 2 is reached during the first day
  -- after the cutoff, whose start is 1 day after it
  local user, time = {}, {}
  for u = 1, 2 do
    for k = 0, 3 do user[#user + 1], time[#time + 1] = u, (10 * u + k) * DAY end
  end
  local r = F.compare(tide.data.from_columns({ user = user, time = time }), { gru = { epochs = 1 }, horizon = 30 })
  check.eq(r.arima_fitted, 0)
  for _, row in ipairs(r.rows) do
    check.near(row.arima, 1, 1e-12)
    check.near(row.truth, 1, 1e-12)
  end
end

return tests
