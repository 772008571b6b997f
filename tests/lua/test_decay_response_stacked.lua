-- test_decay_response_stacked.lua — the marked kernel's parts weighed by trees
-- (tide.decay.response_stacked): the features equal a brute-force recount, the labels are the
-- last horizon's actions, scores never peek past t, the trees learn what the kernel cannot
-- (a key going out of season), save / load is exact, and bad input is named.
local check = require "check"
local tide = require "tide"
local ST = require "tide.decay.response_stacked"
local S = require "tide.metrics.sets"

local tests = {}
local DAY = 86400
local EVENT = require("tide.data.schema").EVENT
local BROWSE, BUY = EVENT.browse, EVENT.buy

-- 300 users × 10 items over `days` days: each user browses and buys their favourite items at
-- Poisson rates; items 1-5 go out of season on day `fade` (nobody buys them after it), items
-- 6-10 sell all along. Deterministic (its own generator).
local function log(days, fade)
  local x = 12345
  local function rnd() x = x * 48271 % 2147483647; return x / 2147483647 end
  local U, I, Tm, E = {}, {}, {}, {}
  for u = 1, 300 do
    local rate = 0.02 + 0.1 * rnd()
    for _, item in ipairs({ 1 + (u % 5), 6 + (u % 5), 1 + ((u + 2) % 5), 6 + ((u + 3) % 5) }) do
      local t = rnd() * 10
      while t < days do
        local off_season = item <= 5 and t >= fade
        U[#U + 1], I[#I + 1], Tm[#Tm + 1] = u, item, math.floor(t * DAY)
        E[#E + 1] = (not off_season and rnd() < 0.5) and BUY or BROWSE
        t = t - math.log(1 - rnd()) / rate
      end
    end
  end
  local order = {}
  for i = 1, #U do order[i] = i end
  table.sort(order, function(a, b) return Tm[a] < Tm[b] end)
  local function perm(a) local o = {}; for i, j in ipairs(order) do o[i] = a[j] end; return o end
  return tide.data.from_columns{ user = perm(U), item = perm(I), time = perm(Tm), event = perm(E), n_users = 300, n_items = 10 }
end

local function score_of(e)
  local u, k, s, out = e.user:totable(), e.key:totable(), e.score:totable(), {}
  for i = 1, #u do out[u[i] * 100 + k[i]] = s[i] end
  return out
end

function tests.features_equal_a_brute_force_recount()
  local ev = log(60, 1e9)
  local f = tide.decay.response.fit_stacked(ev, { key = "item", horizon = 14, gbdt = { n_trees = 5 } })
  local t = 50 * DAY
  local X = ST.features(f.marked, ev, t, 14)
  local e = f.marked:expected(ev, t, 14)
  local u, k = e.user:totable(), e.key:totable()
  local F = #ST.FEATURES
  check.eq(X:size(1), #u, "a row per pair touched before t")
  check.eq(X:size(2), F, "a column per feature")
  local Xt = X:totable()
  local rows = { user = ev.user:totable(), item = ev.item:totable(), time = ev.time:totable(), event = ev.event:totable() }
  local sc, vi, ra, sh = e.score:totable(), e.visits:totable(), e.rate:totable(), e.share:totable()
  for q = 1, #u, 17 do -- every 17th pair
    local pn, pb, pl, plb, ul, un = 0, 0, nil, nil, nil, 0
    local kr, nr, ka, na = 0, 0, 0, 0
    for i = 1, #rows.user do
      local ti = rows.time[i]
      if ti < t then
        local mine, buy = rows.user[i] == u[q], rows.event[i] == BUY
        if mine then un = un + 1; ul = ti end
        if mine and rows.item[i] == k[q] then
          pn, pl = pn + 1, ti
          if buy then pb, plb = pb + 1, ti end
        end
        if buy then
          na = na + 1
          if rows.item[i] == k[q] then ka = ka + 1 end
          if ti >= t - 28 * DAY then nr = nr + 1; if rows.item[i] == k[q] then kr = kr + 1 end end
        end
      end
    end
    local want = { sc[q], vi[q], ra[q], sh[q], pn, pb, (t - pl) / DAY, plb and (t - plb) / DAY or 0 / 0, (t - ul) / DAY, un,
                   math.log((kr + 1) / (nr + 1)) - math.log((ka + 1) / (na + 1)), math.log((kr + 1) / (nr + 1)) }
    for j = 1, F do
      local got = Xt[q][j]
      if want[j] ~= want[j] then check.truthy(got ~= got, ST.FEATURES[j] .. ": missing")
      else check.near(got, want[j], 1e-6, ("pair (%d, %d) %s"):format(u[q], k[q], ST.FEATURES[j])) end
    end
  end
  -- the kernel's parts multiply to its score
  for q = 1, #u do check.near(sc[q], vi[q] * ra[q] * sh[q], 1e-6, "expected = visits · rate · share (f32)") end
end

function tests.labels_are_the_last_horizon_and_scores_never_peek()
  local ev = log(60, 1e9)
  local at = 56 * DAY
  local f = tide.decay.response.fit_stacked(ev, { key = "item", horizon = 14, at = at, gbdt = { n_trees = 20 } })
  -- training rows: the pairs touched before at − 14 d; positives: those buying in [at − 14 d, at)
  local past = ev:filter(ev.time:lt(at - 14 * DAY))
  local lab = S.labels(ev, at - 14 * DAY, at, { key = "item", target = "buy" })
  local seen, n, pos = {}, 0, 0
  local pu, pi = past.user:totable(), past.item:totable()
  for i = 1, #pu do
    local key = pu[i] * 100 + pi[i]
    if not seen[key] then
      seen[key], n = true, n + 1
      if lab[pu[i]] and lab[pu[i]][pi[i]] then pos = pos + 1 end
    end
  end
  check.eq(f.n_train, n, "one training row per pair touched before the label window")
  check.eq(f.n_positive, pos, "positives: pairs that bought in the label window")
  check.truthy(pos >= 30 and f.warning == nil, "no warning with enough positives")
  local few = tide.decay.response.fit_stacked(ev:filter(ev.user:le(6)), { key = "item", horizon = 14, at = at, gbdt = { n_trees = 5 } })
  check.truthy(few.n_positive < 30 and few.warning:find(("only %d of the"):format(few.n_positive), 1, true) ~= nil,
    "a warning names the few positives: " .. tostring(few.warning))
  check.truthy(f.marked.n_marks > 0, "the kernel was fitted on the rows before the label window")
  -- scores at t use only rows before t: dropping everything after t changes nothing
  local t = 50 * DAY
  local a = score_of(f:expected(ev, t, 14))
  local b = score_of(f:expected(ev:filter(ev.time:lt(t)), t, 14))
  local count = 0
  for key, v in pairs(a) do
    check.eq(b[key], v, "same score without the future")
    check.truthy(v > 0 and v < 1, "a probability")
    count = count + 1
  end
  check.truthy(count > 100, "pairs scored")
end

-- AUC of scores (key -> score) against labels (user -> {item = true})
local function auc(scores, labels)
  local pos, neg = {}, {}
  for key, s in pairs(scores) do
    local u, k = math.floor(key / 100), key % 100
    if labels[u] and labels[u][k] then pos[#pos + 1] = s else neg[#neg + 1] = s end
  end
  local wins = 0
  for _, p in ipairs(pos) do for _, q in ipairs(neg) do wins = wins + (p > q and 1 or p == q and 0.5 or 0) end end
  return wins / (#pos * #neg)
end

function tests.the_trees_learn_what_the_kernel_cannot()
  -- items 1-5 stop selling on day 50: the kernel's shares fade only with each user's own
  -- history; the key's falling share of all buys tells the trees at once
  local ev = log(84, 50)
  local train, t = ev:filter(ev.time:lt(70 * DAY)), 70 * DAY
  local truth = S.labels(ev, t, 84 * DAY, { key = "item", target = "buy" })
  local f = tide.decay.response.fit_stacked(train, { key = "item", horizon = 14 })
  local stacked = auc(score_of(f:expected(train, t, 14)), truth)
  local marked = auc(score_of(f.marked:expected(train, t, 14)), truth)
  check.truthy(stacked > marked + 0.05, ("stacked AUC %.3f beats the kernel's %.3f"):format(stacked, marked))
  local top = f:importance()[1].name
  check.truthy(top == "key_trend" or top == "key_recent", "a key feature leads: " .. top)
end

function tests.save_load_is_exact_and_bad_input_is_named()
  local ev = log(60, 1e9)
  local f = tide.decay.response.fit_stacked(ev, { key = "item", horizon = 14, gbdt = { n_trees = 30 } })
  local path = os.tmpname()
  f:save(path)
  local g = tide.decay.load(path)
  check.eq(g.horizon, 14, "horizon")
  check.eq(g.n_positive, f.n_positive, "positives")
  local t = ev.time:max():item() + 1
  local a, b = score_of(f:expected(ev, t, 14)), score_of(g:expected(ev, t))
  for key, v in pairs(a) do check.eq(b[key], v, "bit-identical score after load") end
  local fh = io.open(path, "rb"); local bytes = fh:read("*a"); fh:close()
  fh = io.open(path, "wb"); fh:write(bytes:sub(1, math.floor(#bytes / 2))); fh:close()
  check.errors(function() tide.decay.load(path) end, path)
  os.remove(path)
  local fit = tide.decay.response.fit_stacked
  check.errors(function() f:expected(ev, t, 7) end, "learned a horizon of 14 units, asked for 7")
  check.errors(function() fit(ev, { horizon = 14, trees = 3 }) end, "unknown option 'trees'")
  check.errors(function() fit(ev, { horizon = 0 }) end, "horizon must be a number of units > 0")
  check.errors(function() fit(ev, { horizon = 14, gbdt = 3 }) end, "gbdt must be a table")
  check.errors(function() fit(ev, { horizon = 14, gbdt = { n_trees = "many" } }) end, "n_trees")
  check.errors(function() fit(ev, { horizon = 80 }) end, "no events before at − horizon")
  check.errors(function() fit(ev, { horizon = 14, at = 0 / 0 }) end, "at must be epoch seconds")
  check.errors(function() fit(ev:filter(ev.event:eq(BROWSE)), { horizon = 14 }) end, "no 'buy' events")
  check.errors(function() fit(ev, { horizon = 14, at = t + 20 * DAY }) end, "hold none of the")
end

function tests.interest_model_scores_with_the_stacked_law_and_reloads()
  local ev = log(60, 40)
  local m = tide.models.interest{ stacked = true, horizon = 14 }
  m:fit(ev)
  check.eq(getmetatable(m.law), ST.Stacked, "a stacked law")
  local users = tide.tensor.fromtable({ 1, 2, 3 }, "i32")
  local s = m:score(users)
  local e = m.law:expected(ev, ev.time:max():item() + 1, 14)
  local eu, ek, es = e.user:totable(), e.key:totable(), e.score:totable()
  for i = 1, #eu do
    if eu[i] <= 3 then check.near(s:get(eu[i], ek[i]), es[i], 1e-5, "pair score = P from the trees (plus the tie-break)") end
  end
  local path = os.tmpname()
  m:save(path)
  check.all_near(tide.models.load(path):score(users), s:totable(), 0, "reloaded scores (bit for bit)")
  os.remove(path)
  check.errors(function() tide.models.interest{ stacked = 1 } end, "stacked must be true, false or 'auto'")
  check.errors(function() tide.models.interest{ stacked = true, marked = false } end, "builds on the marked kernel")
end

function tests.auto_picks_the_law_that_ranks_the_last_horizon_better()
  -- items going out of season: the trees see it, the kernel does not (see above)
  local ev = log(84, 50)
  local pick, ap = ST.choose(ev, { key = "item", horizon = 14 })
  check.eq(pick, "stacked", ("stacked AP %.3f against the kernel's %.3f"):format(ap.stacked, ap.marked))
  -- recomputed: the kernel fitted before the last horizon, its AP on that horizon's buys
  local T = ev.time:max():item() + 1
  local c = T - 14 * DAY
  local past = ev:filter(ev.time:lt(c))
  local e = tide.decay.response.fit_marked(past, { key = "item" }):expected(past, c, 14)
  local lab = S.labels(ev, c, T, { key = "item", target = "buy" })
  local u, k, y = e.user:totable(), e.key:totable(), {}
  for i = 1, #u do y[i] = lab[u[i]] and lab[u[i]][k[i]] and 1 or 0 end
  check.near(ap.marked, tide.metrics.pr_auc(e.score, tide.tensor.fromtable(y, "f32")), 1e-12, "the kernel's AP")
  -- too short for the stacked model's backtest: the kernel, without a stacked AP
  local short = ev:filter(ev.time:lt(40 * DAY))
  local p2, ap2 = ST.choose(short, { key = "item", horizon = 14 })
  check.eq(p2, "marked", "a log of under four horizons keeps the kernel")
  check.truthy(ap2.stacked == nil, "no stacked backtest")
  -- the interest model (stacked = "auto" by default) records and uses the choice
  check.eq(tide.models.interest{}.stacked, "auto", "the default")
  check.eq(tide.models.interest{ marked = true }.stacked, false, "marked = true: the kernel alone")
  check.eq(tide.models.interest{ marked = false }.stacked, false, "marked = false: the pair-level kernel")
  local m = tide.models.interest{ horizon = 14 }
  m:fit(ev)
  check.eq(m.chosen.law, "stacked", "the model's choice")
  check.eq(getmetatable(m.law), ST.Stacked, "and its law")
  local path = os.tmpname()
  m:save(path)
  check.eq(tide.models.load(path).stacked, "auto", "the option survives a reload")
  os.remove(path)
  -- a log within one horizon: nothing to compare on, the kernel (choose itself would refuse it)
  local tiny = tide.models.interest{ horizon = 14 }:fit(ev:filter(ev.time:ge(T - 10 * DAY)))
  check.eq(tiny.chosen.law, "marked", "a log inside one horizon keeps the kernel")
  check.eq(getmetatable(tiny.law), require("tide.decay.response_marked").Marked, "and fits it")
  check.errors(function() ST.choose(ev, { at = c }) end, "at is not an option here")
  check.errors(function() ST.choose(ev, { horizon = -1 }) end, "choose: horizon must be a number of units > 0")
end

return tests
