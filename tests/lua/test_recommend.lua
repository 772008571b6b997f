-- test_recommend.lua — tide.recommend: exclusions as a property over random users and block
-- lists, equality with a brute-force ranking, hand-worked scores and reasons (weights and a
-- scripted score), weights moving items, MMR (hand-worked order, λ = 1 = score order, lower
-- intra-list similarity), save/load, and error messages.
local tide = require "tide"
local check = require "check"
local R = require "reco_util"
local U = require "decay_util"
local T = tide.tensor
local tests = {}

local function ids(list) local o = {} for i, e in ipairs(list) do o[i] = e.item end return o end

-- seen items of user u in an event table
local function seen_of(ev, u)
  local s = {}
  for e = 1, ev.user:numel() do if ev.user:get(e) == u then s[ev.item:get(e)] = true end end
  return s
end

function tests.exclusions_always_respected()
  local ev = R.log()
  local sar = tide.models.sar{ half_life = 10 }:fit(ev)
  local pop = tide.models.pop{ mode = "decay" }:fit(ev)
  local rnd = U.rng(3)
  local seen = {}
  for u = 1, ev.n_users do seen[u] = seen_of(ev, u) end
  for trial = 1, 12 do
    local blocked, oos, bl, ol = {}, {}, {}, {}
    for _ = 1, 5 + math.floor(rnd() * 60) do local i = 1 + math.floor(rnd() * ev.n_items); blocked[i] = true end
    for _ = 1, math.floor(rnd() * 40) do local i = 1 + math.floor(rnd() * ev.n_items); oos[i] = true end
    for i in pairs(blocked) do bl[#bl + 1] = i end
    for i in pairs(oos) do ol[#ol + 1] = i end
    local users = {}
    for i = 1, 1 + math.floor(rnd() * 30) do users[i] = 1 + math.floor(rnd() * ev.n_users) end
    local models = trial % 3 == 0 and { sar } or { sar, pop }
    -- half the trials give the lists as sets, half as arrays / tensors
    local rec = tide.recommend.new{ candidates = models, n_candidates = 5 + math.floor(rnd() * 60),
      exclude = { seen = true, blocked = trial % 2 == 0 and blocked or T.fromtable(bl, "i32"),
                  out_of_stock = trial % 2 == 0 and oos or (#ol > 0 and ol or {}) },
      mmr = trial % 4 == 0 and { lambda = 0.5 } or nil, item_category = tide.models.profile{}:fit(ev).item_category }
    local k = 1 + math.floor(rnd() * 25)
    local out = rec:topk(users, k)
    check.eq(#out, #users, "one list per user")
    for b, list in ipairs(out) do
      local u, have = users[b], {}
      check.truthy(#list <= k, "at most k")
      for _, e in ipairs(list) do
        check.truthy(not blocked[e.item], "blocked item " .. e.item .. " recommended")
        check.truthy(not oos[e.item], "out-of-stock item " .. e.item .. " recommended")
        check.truthy(not seen[u][e.item], "seen item " .. e.item .. " recommended to user " .. u)
        check.truthy(not have[e.item], "duplicate item")
        have[e.item] = true
      end
    end
  end
  -- a candidate function proposing excluded, seen and repeated items: all filtered out
  local u1 = next(seen[1])
  local rec = tide.recommend.new{ n_items = ev.n_items, n_users = ev.n_users, exclude = { seen = ev, blocked = { 7 } },
    candidates = function(users) return T.fromtable({ { 7, u1, 9, 9, 0, 11 } }, "i32"):expand({ users:numel(), 6 }):contiguous() end }
  local l = ids(rec:topk({ 1 }, 10)[1])
  check.all_near(l, { 9, 11 }, 0, "function candidates filtered; without scores the list order ranks")
end

function tests.plain_model_order_matches_brute_force()
  local ev = R.log()
  local sar = tide.models.sar{ half_life = 10 }:fit(ev)
  local blocked = { [5] = true, [17] = true, [40] = true }
  local rec = tide.recommend.new{ candidates = sar, score = { model = 1 }, n_candidates = 30,
                                  exclude = { seen = true, blocked = blocked } }
  for _, u in ipairs({ 2, 9, 77 }) do
    local s, seen = sar:score({ u }):totable()[1], seen_of(ev, u)
    local all = {}
    for i = 1, ev.n_items do if not seen[i] and not blocked[i] then all[#all + 1] = i end end
    table.sort(all, function(a, b) if s[a] ~= s[b] then return s[a] > s[b] end return a < b end)
    local got = rec:topk({ u }, 10)[1]
    for r = 1, 10 do
      check.near(s[got[r].item], s[all[r]], 0, "user " .. u .. " rank " .. r .. " score") -- ties may swap ids
      check.eq(got[r].reason, "model", "reason")
    end
  end
end

-- Hand-built case: items 1..4 with model scores 4, 3, 2, 1 -> normalised 1, 2/3, 1/3, 0;
-- interest 0, 0, 1, 0.5 (already on [0, 1]); sentiment 0, 0, 0.5, 1 (items 5, 6: no value).
local function hand(score, extra)
  local opts = {
    n_items = 6, n_users = 2,
    candidates = function(users)
      local n = users:numel()
      return T.fromtable({ 1, 2, 3, 4 }, "i32"):view({ 1, 4 }):expand({ n, 4 }):contiguous(),
             T.fromtable({ 4, 3, 2, 1 }):view({ 1, 4 }):expand({ n, 4 }):contiguous()
    end,
    signals = {
      interest = function(users, items)
        local v = { 0, 0, 1, 0.5, 0, 0 }
        local it = items:totable()
        for r = 1, #it do for j = 1, #it[r] do it[r][j] = v[it[r][j]] end end
        return T.fromtable(it)
      end,
      sentiment = { [3] = 0.5, [4] = 1 },
      activation = { 0.2, 0.9 } },
    score = score }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return tide.recommend.new(opts)
end

function tests.hand_worked_scores_and_reasons()
  local l = hand({ model = 1, interest = 1, sentiment = 0.2 }):topk({ 1 }, 4)[1]
  -- scores: item 3: 1/3 + 1 + 0.1; item 1: 1; item 4: 0.5 + 0.2; item 2: 2/3
  check.all_near(ids(l), { 3, 1, 4, 2 }, 0, "order")
  check.near(l[1].score, 1 / 3 + 1 + 0.1, 1e-6, "item 3 score")
  check.near(l[3].score, 0.7, 1e-6, "item 4 score")
  check.eq(l[1].reason, "interest"); check.eq(l[2].reason, "model")
  check.eq(l[3].reason, "interest"); check.eq(l[4].reason, "model")
  check.near(l[1].signals.model, 1 / 3, 1e-6, "normalised model signal")
  check.near(l[1].raw.model, 2, 0, "raw model score")
  check.near(l[1].signals.sentiment, 0.5, 1e-6, "sentiment normalised by the max 1 (min 0)")
  check.near(l[1].signals.activation, 0.2, 1e-6, "activation as given")
  -- sentiment weighted up: item 4 (sentiment 1) first, for sentiment
  local s = hand({ model = 1, sentiment = 2 }):topk({ 1 }, 4)[1]
  check.all_near(ids(s), { 4, 3, 1, 2 }, 0, "order with sentiment weight 2")
  check.eq(s[1].reason, "sentiment"); check.eq(s[2].reason, "sentiment"); check.eq(s[3].reason, "model")
  -- the default weights include activation: it shifts every score by 0.3·p, not the order
  local d = hand(nil):topk({ 1, 2 }, 4)
  check.near(d[2][1].score - d[1][1].score, 0.3 * (0.9 - 0.2), 1e-6, "activation shifts the score")
  check.all_near(ids(d[1]), ids(d[2]), 0, "but not the order")
end

function tests.weights_change_ranking()
  local base = ids(hand({ model = 1 }):topk({ 1 }, 4)[1])
  check.all_near(base, { 1, 2, 3, 4 }, 0, "model order")
  local w = ids(hand({ model = 1, interest = 0.5 }):topk({ 1 }, 4)[1])
  -- 1: 1; 2: 2/3; 3: 1/3 + 0.5; 4: 0.25
  check.all_near(w, { 1, 3, 2, 4 }, 0, "interest 0.5 lifts item 3 above item 2")
  local w2 = ids(hand({ model = 1, interest = 2.5 }):topk({ 1 }, 4)[1])
  check.all_near(w2, { 3, 4, 1, 2 }, 0, "interest 2.5: 3 (2.83), 4 (1.25), 1 (1), 2 (0.67)")
  -- an exact tie (interest 2: items 1 and 4 both score 1) keeps the candidates' order
  check.all_near(ids(hand({ model = 1, interest = 2 }):topk({ 1 }, 4)[1]), { 3, 1, 4, 2 }, 0, "tie")
end

function tests.scripted_score_reasons()
  -- score = model + interest·(1 − activation) + 0.5·sentiment, activation 0.2 / 0.9
  local f = function(sig) return sig.model + sig.interest * (1 - sig.activation) + 0.5 * sig.sentiment end
  local out = hand(f):topk({ 1, 2 }, 4)
  -- user 1: item 3: 1/3 + 0.8 + 0.25 = 1.383; 1: 1; 4: 0.4 + 0.5 = 0.9; 2: 2/3
  check.all_near(ids(out[1]), { 3, 1, 4, 2 }, 0, "user 1")
  check.eq(out[1][1].reason, "interest"); check.eq(out[1][3].reason, "sentiment"); check.eq(out[1][2].reason, "model")
  -- user 2: 1: 1; 3: 1/3 + 0.1 + 0.25 = 0.683; 2: 0.667; 4: 0.05 + 0.5 = 0.55
  check.all_near(ids(out[2]), { 1, 3, 2, 4 }, 0, "user 2 (at lower risk, interest counts less)")
  check.eq(out[2][2].reason, "model", "item 3 for user 2: model 0.333 > sentiment 0.25 > interest 0.1")
  check.near(out[2][2].score, 1 / 3 + 0.1 + 0.25, 1e-6)
  -- the same score from a script file; saved as its path
  local p = R.path("score.lua")
  R.spit(p, "return function(sig) return sig.model + sig.interest * (1 - sig.activation) + 0.5 * sig.sentiment end\n")
  local rec = hand(p)
  check.all_near(ids(rec:topk({ 1 }, 4)[1]), { 3, 1, 4, 2 }, 0, "script file")
  check.eq(rec.score_path, p)
  R.spit(R.path("bad.lua"), "return 42\n")
  check.errors(function() hand(R.path("bad.lua")) end, "must return function(sig)")
  check.errors(function() hand(function() return "x" end):topk({ 1 }, 2) end, "returned x for user 1")
end

function tests.normalise_per_user()
  local sg = require "tide.recommend.signals"
  local raw = T.fromtable({ { 2, 4, 6, 99 }, { 5, 5, 5, 0 }, { 1, 0 / 0, 3, 2 } })
  local V = T.fromtable({ { 1, 1, 1, 0 }, { 1, 1, 1, 0 }, { 1, 1, 1, 1 } }, "i32")
  -- row 1: (x − 2)/4 over the valid slots; row 2: constant -> 0; row 3: NaN -> 0, (x − 1)/2
  check.all_near(sg.normalise(raw, V), { { 0, 0.5, 1, 0 }, { 0, 0, 0, 0 }, { 0, 0, 1, 0.5 } }, 1e-7, "min-max")
end

function tests.mmr_hand_worked()
  local mmr = require "tide.recommend.mmr"
  local cands = { { score = 1, item = 1 }, { score = 0.9, item = 2 }, { score = 0.5, item = 3 } }
  local cat = { 1, 1, 2 }
  local sim = function(a, b) return cat[a] == cat[b] and 1 or 0 end
  -- λ = 0.5: pick 1; then item 2: 0.5·0.8 − 0.5·1 = −0.1, item 3: 0 − 0 = 0 -> 3; then 2
  check.all_near(ids(mmr.select(cands, 3, 0.5, sim)), { 1, 3, 2 }, 0, "λ = 0.5")
  check.all_near(ids(mmr.select(cands, 3, 1, sim)), { 1, 2, 3 }, 0, "λ = 1")
  -- λ = 0.7: item 2: 0.56 − 0.3 = 0.26 > item 3: 0 -> 2 first
  check.all_near(ids(mmr.select(cands, 2, 0.7, sim)), { 1, 2 }, 0, "λ = 0.7")
end

local function ils(lists, cat)
  local same, pairs_ = 0, 0
  for _, l in ipairs(lists) do
    for a = 1, #l do for b = a + 1, #l do
      pairs_ = pairs_ + 1
      if cat[l[a].item] == cat[l[b].item] then same = same + 1 end
    end end
  end
  return same / pairs_
end

function tests.mmr_lambda_one_and_diversity()
  local ev = R.log()
  local prof = tide.models.profile{}:fit(ev)
  local sar = tide.models.sar{ half_life = 10 }:fit(ev)
  local users = T.arange(1, 151, 1, "i32")
  local opts = function(m) return { candidates = { sar, prof }, n_candidates = 40, exclude = { seen = true }, mmr = m,
    signals = { interest = tide.decay.profile(ev, { half_life = 7 }) } } end
  local plain = tide.recommend.new(opts(nil)):topk(users, 10)
  local one = tide.recommend.new(opts({ lambda = 1 })):topk(users, 10)
  for u = 1, 150 do check.all_near(ids(one[u]), ids(plain[u]), 0, "λ = 1 is the score order, user " .. u) end
  local cat = prof.item_category:totable()
  local div = tide.recommend.new(opts({ lambda = 0.5 })):topk(users, 10)
  local a, b = ils(plain, cat), ils(div, cat)
  check.truthy(b < a - 0.05, ("MMR lowers intra-list similarity: %.3f -> %.3f"):format(a, b))
  -- embeddings: one-hot category vectors give the same lists as "category"
  local E = T.zeros({ ev.n_items, 12 })
  for i = 1, ev.n_items do E:set(i, cat[i], 1) end
  local emb = tide.recommend.new(opts({ lambda = 0.5, similarity = E })):topk(users, 10)
  for u = 1, 150 do check.all_near(ids(emb[u]), ids(div[u]), 0, "one-hot embeddings = category, user " .. u) end
end

function tests.save_load_recommender()
  local ev = R.log()
  local sar = tide.models.sar{ half_life = 10 }:fit(ev)
  local pop = tide.models.pop{ mode = "decay" }:fit(ev)
  local prof = tide.models.profile{}:fit(ev)
  local users = T.arange(1, 151, 1, "i32")
  local act = {}
  for u = 1, 150 do act[u] = (u % 10) / 10 end
  local function check_same(rec, name)
    rec:save(R.path(name))
    local r2 = tide.recommend.load(R.path(name))
    local a, b = rec:topk(users, 8), r2:topk(users, 8)
    for u = 1, 150 do
      check.eq(#b[u], #a[u], name .. " list length")
      for i = 1, #a[u] do
        check.eq(b[u][i].item, a[u][i].item, name .. " item"); check.eq(b[u][i].score, a[u][i].score, name .. " score")
        check.eq(b[u][i].reason, a[u][i].reason, name .. " reason")
      end
    end
  end
  check_same(tide.recommend.new{ candidates = { sar, pop }, n_candidates = 30, item_category = prof.item_category,
    signals = { interest = tide.decay.profile(ev, { half_life = 7 }), activation = act, sentiment = { [3] = 1, [8] = -1 } },
    exclude = { seen = true, blocked = { 1, 2 }, out_of_stock = { 9 } }, mmr = { lambda = 0.6 } }, "rec_a.tm")
  R.spit(R.path("s.lua"), "return function(s) return s.model * s.interest end\n")
  check_same(tide.recommend.new{ candidates = prof, signals = { interest = prof }, score = R.path("s.lua"),
    exclude = { seen = ev } }, "rec_b.tm")
  check_same(tide.recommend.new{ candidates = sar, signals = { interest = tide.decay.profile(ev, { dense = true }) },
    item_category = prof.item_category, mmr = { lambda = 0.3, similarity = T.randn({ ev.n_items, 4 }) } }, "rec_c.tm")
  check.errors(function() tide.recommend.new{ candidates = sar, score = function() return 1 end }:save(R.path("x")) end,
    "score is a Lua function")
  check.errors(function() tide.recommend.new{ candidates = sar, signals = { price = function() end } }:save(R.path("x")) end,
    "signals.price")
  check.errors(function() tide.recommend.load(R.path("fexp_missing.tm")) end, "recommend.load")
end

function tests.paths_agree_and_edge_cases()
  local ev = R.log()
  local sar = tide.models.sar{ half_life = 10 }:fit(ev)
  local pop = tide.models.pop{ mode = "decay" }:fit(ev)
  local users = T.arange(1, 151, 1, "i32")
  local sg = { interest = tide.decay.profile(ev, { half_life = 7 }) }
  local cat = tide.models.profile{}:fit(ev).item_category
  -- the weighted score (C top-K over the [B, W] scores) and the same score as a function
  -- (Lua sort) give the same lists and reasons
  local w = { sar = 1, ["pop-decay"] = 0.4, interest = 0.7 }
  local f = function(s) return s.sar + 0.4 * s["pop-decay"] + 0.7 * s.interest end
  local a = tide.recommend.new{ candidates = { sar, pop }, score = w, signals = sg, item_category = cat, exclude = { seen = true } }:topk(users, 10)
  local b = tide.recommend.new{ candidates = { sar, pop }, score = f, signals = sg, item_category = cat, exclude = { seen = true } }:topk(users, 10)
  local named = 0
  for u = 1, 150 do
    check.eq(#b[u], #a[u], "length")
    for r = 1, #a[u] do
      check.eq(b[u][r].item, a[u][r].item, "item"); check.eq(b[u][r].reason, a[u][r].reason, "reason")
      check.near(b[u][r].score, a[u][r].score, 1e-5, "score")
      check.truthy(a[u][r].reason ~= "model", "weights name the models, so reasons do too")
      if a[u][r].reason == "sar" or a[u][r].reason == "pop-decay" then named = named + 1 end
    end
  end
  check.truthy(named > 0, "per-model reasons occur")
  -- everything blocked: empty lists; k beyond the candidates: shorter lists; no users: {}
  local all = {}
  for i = 1, ev.n_items do all[i] = i end
  local none = tide.recommend.new{ candidates = sar, exclude = { blocked = all } }:topk({ 1, 2 }, 5)
  check.eq(#none[1] + #none[2], 0, "nothing left to recommend")
  local few = tide.recommend.new{ candidates = sar, n_candidates = 3 }:topk({ 4 }, 10)
  check.eq(#few[1], 3, "at most n_candidates items")
  check.eq(#tide.recommend.new{ candidates = sar }:topk({}, 5), 0, "no users")
end

function tests.errors_are_clear()
  local ev = R.log()
  local sar = tide.models.sar{}:fit(ev)
  check.errors(function() tide.recommend.new{ candidates = sar, wat = 1 } end, "unknown option 'wat'")
  check.errors(function() tide.recommend.new{ candidates = tide.models.sar{} } end, "not a fitted model")
  check.errors(function() tide.recommend.new{ candidates = 5 } end, "candidates must be")
  check.errors(function() tide.recommend.new{ candidates = sar, score = { interest = 1 } } end, "names no signal")
  check.errors(function() tide.recommend.new{ candidates = sar, exclude = { blocked = { 0.5 } } } end, "exclude.blocked")
  check.errors(function() tide.recommend.new{ candidates = sar, exclude = { stale = true } } end, "unknown exclude option")
  check.errors(function() tide.recommend.new{ candidates = sar, signals = { sentiment = { [3] = 0 / 0 } } } end, "not a finite number")
  check.errors(function() tide.recommend.new{ candidates = sar, mmr = { lambda = 2 } } end, "mmr.lambda")
  check.errors(function() tide.recommend.new{ candidates = sar, mmr = {} } end, "needs item_category")
  check.errors(function() tide.recommend.new{ candidates = function() end } end, "n_items is required")
  check.errors(function() tide.recommend.new{ candidates = sar }:topk({ 151 }, 3) end, "user ids must be in 1..150")
  check.errors(function() tide.recommend.new{ candidates = sar }:topk({ 1 }, 0) end, "k must be")
  local bad = tide.recommend.new{ candidates = sar, signals = { price = function() return T.zeros({ 3 }) end } }
  check.errors(function() bad:topk({ 1, 2 }, 3) end, "signal 'price' must be a tensor")
  local nan = tide.recommend.new{ candidates = sar, signals = { price = function(u, it) return T.full(it:shape(), 0 / 0) end } }
  check.errors(function() nan:topk({ 1 }, 3) end, "signal 'price' has NaN")
  check.errors(function() tide.recommend.new{ candidates = { sar, tide.models.pop{}:fit(U.events{ user = { 1 }, item = { 3 }, time = { 0 } }) } } end,
    "candidates[2] scores 3 items")
  check.errors(function() tide.recommend.new{ candidates = sar, signals = { activation = T.full({ 150 }, 2) } } end, "probabilities in [0, 1]")
  check.errors(function() tide.recommend.new{ candidates = sar, item_category = T.ones({ 3 }, "i32") } end, "item_category must be")
  check.errors(function() tide.recommend.new{ candidates = sar, signals = { interest = T.ones({ 150, 3 }) } } end, "a dense profile must be")
  local fc = tide.recommend.new{ candidates = function() return T.fromtable({ { 500 } }, "i32") end, n_items = 10 }
  check.errors(function() fc:topk({ 1 }, 1) end, "outside 1..10")
end

return tests
