-- test_activation_frame.lua — tide.activation.frame/split/folds/join: hand-worked features
-- and labels on a tiny log, the no-leakage property (events after the cut change labels
-- only), the Hawkes and decay features against their closed forms, stacked cuts, user-level
-- splits and folds, joins, and error paths.
local tide = require "tide"
local check = require "check"
local A = tide.activation
local T = tide.tensor

local DAY = 86400
local T0 = 10000 * DAY -- midnight, so day boundaries are whole days
local CUT = T0 + 10 * DAY

-- u1: days 0 (browse), 2 (buy 10 x 2), 9 (buy 5 x 1) | 12 browse, 13 buy
-- u2: days 1, 3 (buy 4 x 1) | 10 (exactly the cut: a label, not a feature), 15 (buy at
--     cut + H: outside the window [cut, cut + H))
-- u3: only after the cut (not in the population)
-- u4: day 0 (browse) | 16 (buy, outside)
local function tiny(extra)
  local rows = {
    { 1, 0, 1, 1, 1 }, { 1, 2, 5, 10, 2 }, { 1, 9, 5, 5, 1 }, { 1, 12, 1, 3, 1 }, { 1, 13, 5, 3, 1 },
    { 2, 1, 1, 2, 1 }, { 2, 3, 5, 4, 1 }, { 2, 10, 1, 2, 1 }, { 2, 15, 5, 4, 1 },
    { 3, 11, 5, 7, 1 },
    { 4, 0, 1, 1, 1 }, { 4, 16, 5, 6, 3 },
  }
  for _, r in ipairs(extra or {}) do rows[#rows + 1] = r end
  local c = { user = {}, time = {}, event = {}, price = {}, value = {}, item = {} }
  for i, r in ipairs(rows) do
    c.user[i], c.time[i], c.event[i], c.price[i], c.value[i] = r[1], T0 + r[2] * DAY, r[3], r[4], r[5]
    c.item[i] = (i % 3) + 1
  end
  c.n_users, c.n_items = 5, 3
  return tide.data.from_columns(c)
end

local function col(fr, name)
  for j, nm in ipairs(fr.names) do if nm == name then return fr.X:select(2, j):totable() end end
  error("no column " .. name)
end

local tests = {}

function tests.hand_worked_features_and_labels()
  local ev = tiny()
  local fr = A.frame(ev, { cut = CUT, horizon = 5, groups = { "rfm", "gaps" } })
  check.all_near(fr.users, { 1, 2, 4 }, 0, "population: users with events before the cut")
  check.all_near(fr.y, { 1, 1, 0 }, 0, "return labels")
  check.all_near(col(fr, "recency"), { 1, 7, 10 }, 1e-6, "recency (days)")
  check.all_near(col(fr, "tenure"), { 10, 9, 10 }, 1e-6, "tenure (days)")
  check.all_near(col(fr, "frequency"), { 3, 2, 1 }, 0, "frequency")
  check.all_near(col(fr, "buys"), { 2, 1, 0 }, 0, "buys")
  check.all_near(col(fr, "monetary"), { 15, 4, 0 }, 1e-6, "monetary = sum of buy prices")
  check.all_near(col(fr, "spend"), { 25, 4, 0 }, 1e-6, "spend = sum of price x value over buys")
  check.all_near(col(fr, "active_days"), { 3, 2, 1 }, 0, "active days")
  check.all_near(col(fr, "gap_mean"), { 4.5, 2, 0 }, 1e-6, "gap mean")
  check.all_near(col(fr, "gap_std"), { 2.5, 0, 0 }, 1e-6, "gap std (population)")
  check.all_near(col(fr, "gap_max"), { 7, 2, 0 }, 1e-6, "gap max")
  check.eq(fr.n, 3); check.eq(fr.d, #fr.names)
  check.eq(fr.ids[2], "2", "original ids")
  local pu = A.frame(ev, { cut = CUT, horizon = 5, label = "purchase", groups = { "rfm" } })
  check.all_near(pu.y, { 1, 0, 0 }, 0, "purchase labels (u2's buy at cut + H is outside)")
  local re = A.frame(ev, { cut = CUT, horizon = 5, label = "reactivation", dormant = 6, groups = { "rfm" } })
  check.all_near(re.users, { 2, 4 }, 0, "reactivation population: dormant >= 6 days")
  check.all_near(re.y, { 1, 0 }, 0, "reactivation labels")
  local m2 = A.frame(ev, { cut = CUT, horizon = 5, min_events = 2, groups = { "rfm" } })
  check.all_near(m2.users, { 1, 2 }, 0, "min_events = 2")
  local h7 = A.frame(ev, { cut = CUT, horizon = 7, groups = { "rfm" } })
  check.all_near(h7.y, { 1, 1, 1 }, 0, "horizon 7 days reaches u4's day 16 buy")
  -- the log ends on day 16: [cut, cut + 5) is covered, [cut, cut + 7) is censored
  check.eq(fr.stats.log_end, T0 + 16 * DAY); check.eq(#fr.stats.censored, 0, "covered window")
  check.eq(#h7.stats.censored, 1); check.eq(h7.stats.censored[1], CUT, "censored cut")
  local two = A.frame(ev, { cut = { CUT - 4 * DAY, CUT }, horizon = 6, groups = { "rfm" } })
  check.eq(#two.stats.censored, 0, "day 10 + 6 = 16: the window [10, 16) ends at the log's last event")
end

function tests.names_select_and_order_columns()
  local ev = tiny()
  local fr = A.frame(ev, { cut = CUT, horizon = 5, groups = { "rfm", "gaps" }, names = { "gap_max", "recency" } })
  check.eq(fr.d, 2); check.eq(fr.names[1], "gap_max")
  check.all_near(fr.X, { { 7, 1 }, { 2, 7 }, { 0, 10 } }, 1e-6, "selected columns")
  check.errors(function() A.frame(ev, { cut = CUT, groups = { "rfm" }, names = { "hawkes_prob" } }) end,
    "feature 'hawkes_prob' is not produced")
end

function tests.sentiment_feature_closed_form()
  local ev = tiny()
  -- u1 reviews: day 2 score 1, day 8 score -0.5, day 12 score 1 (after the cut: ignored)
  local reviews = { user = { 1, 1, 1, 4 }, time = { T0 + 2 * DAY, T0 + 8 * DAY, T0 + 12 * DAY, T0 + 9 * DAY },
                    score = { 1, -0.5, 1, 0.25 } }
  local fr = A.frame(ev, { cut = CUT, horizon = 5, groups = { "rfm", "sentiment" }, reviews = reviews,
                           sentiment_half_life = 30, sentiment_prior = 1 })
  local w1, w2, w4 = 2 ^ (-8 / 30), 2 ^ (-2 / 30), 2 ^ (-1 / 30)
  check.all_near(col(fr, "sentiment_mean"), { (w1 - 0.5 * w2) / (w1 + w2 + 1), 0, 0.25 * w4 / (w4 + 1) }, 1e-5,
    "decay-weighted mean sentiment with prior 1")
  check.all_near(col(fr, "sentiment_weight"), { w1 + w2, 0, w4 }, 1e-5, "total weight")
  check.all_near(col(fr, "sentiment_n"), { 2, 0, 1 }, 0, "review counts before the cut")
  -- a tide.sentiment.aggregate result made before the cut: the same per-user means (with
  -- prior 0 an exponential law's reference time only rescales a user's weights)
  local pre = { user = { 1, 1, 4 }, time = { T0 + 2 * DAY, T0 + 8 * DAY, T0 + 9 * DAY }, score = { 1, -0.5, 0.25 },
                item = { 1, 2, 1 } }
  local agg = tide.sentiment.aggregate(pre, { half_life = 30 * DAY, now = T0 + 9 * DAY })
  local fa = A.frame(ev, { cut = CUT, horizon = 5, groups = { "sentiment" }, reviews = agg, sentiment_prior = 0 })
  local fr0 = A.frame(ev, { cut = CUT, horizon = 5, groups = { "sentiment" }, reviews = reviews, sentiment_prior = 0 })
  check.all_near(col(fa, "sentiment_mean"), col(fr0, "sentiment_mean"), 1e-5, "aggregate input")
  check.all_near(col(fa, "sentiment_n"), { 2, 0, 1 }, 0, "aggregate counts")
  local late = tide.sentiment.aggregate(pre, { half_life = 30 * DAY, now = CUT })
  check.errors(function() A.frame(ev, { cut = CUT, groups = { "sentiment" }, reviews = late }) end, "not before cut")
  check.errors(function() A.frame(ev, { cut = CUT, groups = "rfm" }) end, "option 'groups' must be a list")
  -- a rating column is used as reviews by default: (rating - 3) / 2 on a 1..5 scale
  local c = { user = { 1, 1, 2, 3 }, time = { T0, T0 + DAY, T0 + 2 * DAY, T0 }, rating = { 5, 0 / 0, 2, 0 / 0 } }
  local ev2 = tide.data.from_columns(c)
  local f2 = A.frame(ev2, { cut = T0 + 3 * DAY, horizon = 5, groups = { "sentiment" }, sentiment_prior = 0 })
  check.all_near(col(f2, "sentiment_mean"), { 1, -0.5, 0 }, 1e-6, "ratings as scores; no review -> 0 even with prior 0")
end

-- columns of an event table as Lua arrays
local function columns(ev)
  local c = {}
  for _, f in ipairs({ "user", "item", "category", "event", "time", "price", "dwell", "rating" }) do
    if ev[f] then c[f] = ev[f]:totable() end
  end
  return c
end

local sim_cache
local function sim_log()
  if sim_cache then return sim_cache end
  local out = os.tmpname() .. "_frame.csv"
  tide.sim.generate{ users = 300, events = 30000, seed = 11, out = out, truth = false, p_review = 0.5,
                     sentiment = 1, horizon = 90 }
  local ev = tide.data.read_events(out, "sim_reviews")
  os.remove(out)
  sim_cache = { ev = ev, cut = 1704067200 + 60 * DAY }
  return sim_cache
end

local ALL = { "rfm", "dwell", "gaps", "mix", "category", "interest", "decay", "hawkes", "sentiment" }

-- The leakage contract: rebuild the log with every event at or after the cut dropped,
-- moved, re-typed or added (also for users and items unseen before): X must not change.
function tests.no_leakage_after_the_cut()
  local s = sim_log()
  local c = columns(s.ev)
  local n = #c.user
  local b = { user = {}, item = {}, category = {}, event = {}, time = {}, price = {}, dwell = {}, rating = {} }
  local x = 12345
  local function rnd(k) x = (x * 48271) % 2147483647; return x % k end
  local function push(i, t)
    for f, v in pairs(b) do v[#v + 1] = c[f][i] end
    if t then b.time[#b.time] = t end
  end
  for i = 1, n do
    if c.time[i] < s.cut then push(i)
    elseif rnd(3) > 0 then
      push(i, s.cut + rnd(40 * DAY))
      local j = #b.user
      b.event[j] = rnd(5) + 1
      b.rating[j] = rnd(2) == 0 and 0 / 0 or rnd(5) + 1
      b.item[j] = rnd(s.ev.n_items) + 1
    end
  end
  for _ = 1, 500 do -- new post-cut rows, some for a user (301) and items never seen
    push(rnd(n) + 1, s.cut + rnd(30 * DAY))
    local j = #b.user
    if rnd(10) == 0 then b.user[j] = 301 end
    if rnd(10) == 0 then b.item[j] = s.ev.n_items + 1 end
    b.rating[j] = rnd(5) + 1
  end
  b.n_users, c.n_users, b.n_items, c.n_items = 301, 301, s.ev.n_items + 1, s.ev.n_items + 1
  local ea, eb = tide.data.from_columns(c), tide.data.from_columns(b)
  local opts = { cut = s.cut, horizon = 20, groups = ALL }
  local fa, fb = A.frame(ea, opts), A.frame(eb, opts)
  check.all_near(fb.users, fa.users:totable(), 0, "population")
  check.eq(fa.d, #ALL > 0 and fa.d or 0)
  check.eq((fa.X - fb.X):abs():max():item(), 0, "max |X change| from post-cut edits")
  check.truthy((fa.y - fb.y):abs():sum():item() > 0, "the edits did change some labels")
  -- and the reverse: an edit BEFORE the cut does change features
  c.time[1] = c.time[1] - DAY
  local fc = A.frame(tide.data.from_columns(c), opts)
  check.truthy((fa.X - fc.X):abs():max():item() > 0, "a pre-cut edit changes features")
end

-- hawkes_prob = 1 − exp(−Λ), Λ = μH + (α/β)(1 − e^(−βH)) Σ_i e^(−β(cut − t_i)) (Hawkes 1971
-- compensator with an exponential kernel), recomputed here from the fitted law's parameters.
function tests.hawkes_and_decay_closed_forms()
  local s = sim_log()
  local H = 20
  local fr = A.frame(s.ev, { cut = s.cut, horizon = H, groups = { "decay", "hawkes" } })
  local pre = tide.data.time_window(s.ev, nil, s.cut - 1)
  local h = tide.decay.hawkes.fit_events(pre, { t_end = s.cut, min_gap = 1800, min_events = 1, unit = "day" })
  local hp, rate, hl, rp = col(fr, "hawkes_prob"), col(fr, "decay_rate"), col(fr, "decay_half_life"), col(fr, "decay_return_prob")
  local users = fr.users:totable()
  local sq = tide.data.sequences(pre)
  local off, tm = sq.offsets:totable(), sq.time:totable()
  for r = 1, #users, 37 do
    local u = users[r]
    local sum, prev = 0, nil
    for p = off[u] + 1, off[u + 1] do
      local t = tm[p]
      if prev == nil or (t > prev and t - prev >= 1800) then sum = sum + math.exp(-h.beta * (s.cut - t) / DAY) end
      prev = t
    end
    local lam = h.mu * H + h.alpha / h.beta * (1 - math.exp(-h.beta * H)) * sum
    check.near(hp[r], 1 - math.exp(-lam), 1e-4, "hawkes_prob of user " .. u)
    check.near(rp[r], 1 - math.exp(-rate[r] * H), 1e-5, "decay_return_prob")
    check.near(hl[r], math.log(2) / rate[r], 1e-4, "half-life = ln 2 / rate")
  end
end

function tests.stacked_cuts_split_and_folds()
  local s = sim_log()
  local cuts = { s.cut - 20 * DAY, s.cut }
  local fr = A.frame(s.ev, { cut = cuts, horizon = 20, groups = { "rfm", "decay" } })
  local f1 = A.frame(s.ev, { cut = cuts[1], horizon = 20, groups = { "rfm", "decay" } })
  local f2 = A.frame(s.ev, { cut = cuts[2], horizon = 20, groups = { "rfm", "decay" } })
  check.eq(fr.n, f1.n + f2.n, "stacked rows")
  check.eq((fr.X:narrow(1, f1.n + 1, f2.n) - f2.X):abs():max():item(), 0, "second block = second cut alone")
  check.eq(fr.cut_index:get(1), 1); check.eq(fr.cut_index:get(fr.n), 2)
  local sp = A.split(fr, { valid = 0.2, test = 0.25, seed = 7 })
  check.eq(sp.train.n + sp.valid.n + sp.test.n, fr.n, "every row in one part")
  local side = {}
  for k, part in ipairs({ sp.train, sp.valid, sp.test }) do
    for _, u in ipairs(part.users:totable()) do
      check.truthy(side[u] == nil or side[u] == k, "user " .. u .. " on two sides")
      side[u] = k
    end
  end
  local n_users, n_test = 0, 0
  for _, k in pairs(side) do n_users = n_users + 1; if k == 3 then n_test = n_test + 1 end end
  check.eq(n_test, math.floor(0.25 * n_users + 0.5), "test users = 25% of users")
  local again = A.split(fr, { valid = 0.2, test = 0.25, seed = 7 })
  check.all_near(again.test.users, sp.test.users:totable(), 0, "same seed, same split")
  local folds = A.folds(fr, 4, 3)
  local count = 0
  for _, f in ipairs(folds) do
    count = count + f.test.n
    check.eq(f.train.n + f.test.n, fr.n)
    local inte = {}
    for _, u in ipairs(f.test.users:totable()) do inte[u] = true end
    for _, u in ipairs(f.train.users:totable()) do check.truthy(not inte[u], "fold: user on both sides") end
  end
  check.eq(count, fr.n, "each row tested once")
end

function tests.join_attaches_by_id()
  local ev = tiny()
  local fr = A.frame(ev, { cut = CUT, horizon = 5, groups = { "rfm" } })
  local j, miss = A.join(fr, { user = { "4", "1", "9" }, clv = { 40, 10, 90 } }, { key = "user" })
  check.eq(miss, 1, "u2 has no row")
  check.eq(j.names[#j.names], "clv")
  local v = j.X:select(2, j.d):totable()
  check.eq(v[1], 10); check.truthy(v[2] ~= v[2], "missing -> NaN"); check.eq(v[3], 40)
  local j2 = A.join(fr, { id = { 2 }, a = { 7 }, b = { 8 } }, { key = "id", columns = { "b" } })
  check.eq(j2.d, fr.d + 1); check.eq(j2.X:get(2, j2.d), 8)
  check.errors(function() A.join(fr, { x = { 1 } }) end, "no key column 'user'")
end

function tests.errors_name_the_option()
  local ev = tiny()
  check.errors(function() A.frame(ev, { horizon = 5 }) end, "option 'cut'")
  check.errors(function() A.frame(ev, { cut = CUT, label = "churn" }) end, "label must be")
  check.errors(function() A.frame(ev, { cut = CUT, horizon = -1 }) end, "option 'horizon'")
  check.errors(function() A.frame(ev, { cut = CUT, horizn = 5 }) end, "unknown option 'horizn'")
  check.errors(function() A.frame(ev, { cut = CUT, groups = { "rfm", "magic" } }) end, "unknown feature group 'magic'")
  check.errors(function() A.frame(ev, { cut = CUT, groups = { "sentiment" } }) end, "needs option 'reviews'")
  check.errors(function() A.frame(ev, { cut = T0 - DAY, groups = { "rfm" } }) end, "no user qualifies")
  check.errors(function() A.frame(ev, { cut = "not a date" }) end, "cannot parse cut")
  check.errors(function() A.frame(nil, { cut = CUT }) end, "activation.frame: argument #1")
  check.errors(function() A.split({}, {}) end, "activation.split: argument #1")
  local fr = A.frame(ev, { cut = CUT, groups = { "rfm" } })
  check.errors(function() A.split(fr, { test = 0.6, valid = 0.5 }) end, "valid + test < 1")
  check.errors(function() A.folds(fr, 5) end, "3 users cannot make 5 folds")
  check.errors(function() A.load("/nonexistent/model") end, "activation.load")
end

return tests
