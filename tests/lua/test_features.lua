-- test_features.lua — tide.features (per-user and per-(user, category) features against a
-- plain Lua recomputation; encoders fitted on train only and applied unchanged), negative
-- sampling (never a seen item, seeded, popularity-biased) and the sequence batch iterator.
local tide = require "tide"
local check = require "check"
local data, F, T = tide.data, tide.features, tide.tensor

local DAY = 86400
local function log3()
  -- user 1: browse t=0 (cat 1, price 10, dwell 30), buy t=1 day (cat 1, price 20),
  --         cart t=3 days + 60 s (cat 2, price 5, dwell 0)
  -- user 2: one buy at t=2 days (cat 2, price 7)
  return data.from_columns {
    user = { 1, 2, 1, 1 }, item = { 1, 3, 1, 2 }, category = { 1, 2, 1, 2 },
    time = { 0, 2 * DAY, DAY, 3 * DAY + 60 }, event = { 1, 5, 5, 3 },
    price = { 10, 7, 20, 5 }, dwell = { 30, 0, 0, 0 },
  }
end

local t = {}

function t.user_features_by_hand()
  local now = 4 * DAY
  local f = F.user(log3(), { now = now })
  check.eq(f.values:size(1), 2); check.eq(#f.names, f.values:size(2))
  local function v(u, name) return f.values:get(u, f.index[name]) end
  check.near(v(1, "recency"), (now - (3 * DAY + 60)) / DAY, 1e-6)
  check.near(v(1, "tenure"), 4, 1e-6)
  check.eq(v(1, "frequency"), 3); check.eq(v(1, "buys"), 1)
  check.near(v(1, "monetary"), 20); check.near(v(1, "avg_price"), 35 / 3, 1e-6)
  check.eq(v(1, "active_days"), 3)
  check.near(v(1, "dwell_mean"), 30); check.near(v(1, "dwell_total"), 30)
  -- gaps: 1 day, 2 days + 60 s
  local g1, g2 = 1, 2 + 60 / DAY
  local mean = (g1 + g2) / 2
  check.near(v(1, "gap_mean"), mean, 1e-6)
  check.near(v(1, "gap_std"), math.sqrt(((g1 - mean) ^ 2 + (g2 - mean) ^ 2) / 2), 1e-5)
  check.near(v(1, "gap_min"), g1, 1e-6); check.near(v(1, "gap_max"), g2, 1e-6)
  check.near(v(1, "mix_browse"), 1 / 3, 1e-6); check.near(v(1, "mix_cart"), 1 / 3, 1e-6)
  check.near(v(1, "mix_buy"), 1 / 3, 1e-6); check.eq(v(1, "mix_click"), 0)
  check.eq(v(1, "n_categories"), 2); check.near(v(1, "top_share"), 2 / 3, 1e-6)
  check.near(v(1, "cat_entropy"), -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)), 1e-6)
  check.eq(v(2, "gap_mean"), 0, "single event: no gap")
  check.near(v(2, "monetary"), 7)
  check.all_near(f.col("frequency"), { 3, 1 })
  check.errors(function() f.col("nope") end, "no feature")
  -- default now = last event time
  check.near(F.user(log3()).values:get(2, 1), (3 * DAY + 60 - 2 * DAY) / DAY, 1e-6)
end

function t.user_category_features()
  local uc = F.user_category(log3(), { now = 4 * DAY })
  check.all_near(uc.user, { 1, 1, 2 }); check.all_near(uc.category, { 1, 2, 2 })
  local idx = {}
  for i, n in ipairs(uc.names) do idx[n] = i end
  check.eq(uc.values:get(1, idx.frequency), 2); check.near(uc.values:get(1, idx.monetary), 20)
  check.near(uc.values:get(1, idx.recency), 3, 1e-6)
  check.near(uc.values:get(2, idx.affinity), 1 / 3, 1e-6)
  check.near(uc.values:get(1, idx.dwell), 30)
  check.errors(function() F.user_category(data.from_columns { user = { 1 } }) end, "no category")
end

function t.features_as_of_now_ignore_later_events()
  -- as of day 2, user 1 has the browse (t=0) and the buy (t=1 day); the cart at day 3 is future
  local f = F.user(log3(), { now = 2 * DAY })
  check.eq(f.values:get(1, f.index.frequency), 2)
  check.near(f.values:get(1, f.index.recency), 1, 1e-6)
  check.eq(f.values:get(2, f.index.frequency), 1, "user 2's event at exactly now counts")
end

function t.features_only_from_train()
  -- the test event of user 1 (the latest) must not change train features
  local sp = data.split(log3(), { by = "leave_last", n_valid = 0 })
  local f = F.user(sp.train, { now = 4 * DAY })
  check.eq(f.values:get(1, f.index.frequency), 2)
  check.eq(f.values:get(1, f.index.buys), 1)
end

function t.encoders_fit_on_train()
  local train = T.fromtable({ { 1, 10 }, { 3, 10 }, { 5, 10 } })
  local test = T.fromtable({ { 7, 20 } })
  local st = F.standardize():fit(train)
  local sd = math.sqrt(((1 - 3) ^ 2 + 0 + (5 - 3) ^ 2) / 3)
  check.all_near(st:transform(test), { { (7 - 3) / sd, 10 } }, 1e-5, "train mean/std reused; constant column std 1")
  check.all_near(st:transform(train):mean(1), { 0, 0 }, 1e-6)
  local mm = F.minmax():fit(train)
  check.all_near(mm:transform(test), { { 1.5, 10 } }, 1e-6)
  check.all_near(F.log1p():transform(T.fromtable({ -1, 0, math.exp(1) - 1 })), { { 0 }, { 0 }, { 1 } }, 1e-6)
  check.errors(function() F.standardize():transform(train) end, "fit")
  check.errors(function() st:transform(T.fromtable({ { 1, 2, 3 } })) end, "fitted on 2")
  local oh = F.onehot():fit({ "red", "blue", "red" })
  check.all_near(oh:transform({ "blue", "green", "red" }), { { 0, 1 }, { 0, 0 }, { 1, 0 } })
  check.errors(function() F.onehot({ unknown = "error" }):fit({ "a" }):transform({ "b" }) end, "not seen")
  local oh2 = F.onehot():fit(T.fromtable({ 3, 1 }, "i32"))
  check.all_near(oh2:transform(T.fromtable({ 1 }, "i32")), { { 0, 1 } })
  local h = F.hashing(16, 7)
  local a, b = h:transform({ "x", "y", "x" }), h:transform({ "x" })
  check.eq(a:size(2), 16)
  check.all_near(a:select(1, 3), b:select(1, 1):totable(), 0, "hashing is deterministic")
  local row = a:select(1, 1):totable()
  local nz = 0
  for _, x in ipairs(row) do if x ~= 0 then nz = nz + 1; check.eq(math.abs(x), 1) end end
  check.eq(nz, 1)
  check.errors(function() F.hashing(0) end, "dim")
end

function t.negative_sampling()
  local ev = data.from_columns { user = { 1, 1, 1, 2, 2, 3 }, item = { 1, 2, 3, 4, 5, 1 }, n_items = 6 }
  local neg, failed = tide.split.negatives(ev, { k = 50, seed = 9, per_user = true })
  check.eq(failed, 0)
  local seen = { [1] = { 1, 2, 3 }, [2] = { 4, 5 }, [3] = { 1 } }
  local tab = neg:totable()
  for u = 1, 3 do
    for _, it in ipairs(tab[u]) do
      check.truthy(it >= 1 and it <= 6, "in range")
      for _, s in ipairs(seen[u]) do check.truthy(it ~= s, "user " .. u .. " got seen item " .. it) end
    end
  end
  local again = tide.split.negatives(ev, { k = 50, seed = 9, per_user = true })
  check.all_near(again, tab, 0, "same seed, same draws")
  local other = tide.split.negatives(ev, { k = 50, seed = 10, per_user = true }):totable()
  local same = true
  for j = 1, 50 do same = same and other[3][j] == tab[3][j] end
  check.truthy(not same, "different seed differs")
  -- per event: one row per event in CSR order
  local pe = tide.split.negatives(ev, { k = 2 })
  check.eq(pe:size(1), 6)
  -- popularity: item 1 is twice as popular as 2..5, item 6 never seen -> never drawn
  local pop = tide.split.negatives(ev, { k = 2000, seed = 1, popularity = true, per_user = true })
  local counts = {}
  for _, it in ipairs(pop:totable()[2]) do counts[it] = (counts[it] or 0) + 1 end
  check.eq(counts[6], nil, "zero-popularity item is not drawn")
  -- user 2 may draw 1 (weight 2), 2, 3 (weight 1 each): expected shares 1/2, 1/4, 1/4
  check.near(counts[1] / 2000, 0.5, 0.08)
  -- a user who has seen every item gets zeros, counted
  local full = data.from_columns { user = { 1, 1 }, item = { 1, 2 } }
  local z, nf = tide.split.negatives(full, { k = 3, per_user = true })
  check.eq(nf, 3); check.all_near(z, { { 0, 0, 0 } })
end

function t.batches()
  local ev = data.from_columns { user = { 1, 1, 1, 1, 2, 2, 3 }, item = { 10, 11, 12, 13, 20, 21, 30 },
                                 time = { 1, 2, 3, 4, 1, 2, 1 } }
  local it, nb = tide.batch.sequences(ev, { batch = 2, maxlen = 3, shuffle = false })
  check.eq(nb, 2)
  local b1 = it()
  check.all_near(b1.users, { 1, 2 })
  -- user 1 keeps its 3 most recent items; user 2 left-padded
  check.all_near(b1.items, { { 11, 12, 13 }, { 0, 20, 21 } })
  check.all_near(b1.lengths, { 3, 2 })
  check.eq(b1.items:dtype(), "i32")
  local b2 = it()
  check.all_near(b2.items, { { 0, 0, 30 } })
  check.eq(it(), nil)
  local its = tide.batch.sequences(ev, { batch = 8, maxlen = 4, shift = true, shuffle = false })
  local s = its()
  check.all_near(s.users, { 1, 2 }, 0, "user 3 (1 event) has no training pair")
  check.all_near(s.items, { { 0, 10, 11, 12 }, { 0, 0, 0, 20 } })
  check.all_near(s.target, { { 0, 11, 12, 13 }, { 0, 0, 0, 21 } })
  -- seeded shuffle: same seed and epoch -> same order, all users once
  local big = {}
  for u = 1, 40 do big[u] = u end
  local evb = data.from_columns { user = big, item = big }
  local function order(seed, epoch)
    local o = {}
    for b in tide.batch.sequences(evb, { batch = 7, seed = seed, epoch = epoch }) do
      for _, u in ipairs(b.users:totable()) do o[#o + 1] = u end
    end
    return o
  end
  local o1, o2, o3 = order(1, 1), order(1, 1), order(1, 2)
  check.eq(#o1, 40); check.all_near(o1, o2, 0)
  local seen, diff = {}, false
  for i, u in ipairs(o1) do seen[u] = true; diff = diff or o3[i] ~= u end
  for u = 1, 40 do check.truthy(seen[u], "user " .. u .. " missing") end
  check.truthy(diff, "another epoch reshuffles")
  check.errors(function() tide.batch.sequences(ev, { maxlen = 0 }) end, "maxlen")
end

return t
