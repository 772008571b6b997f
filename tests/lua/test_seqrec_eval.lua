-- test_seqrec_eval.lua — full-ranking evaluation of the sequential recommenders, fused in C
-- (states + core.seqrec.rank_topk), against a straightforward reference: scores by matmul
-- (m:score), candidates sorted in Lua by (score desc, id asc) with seen items removed, rank =
-- position, top-K = the head. For every model kind, with users that have no history, seen
-- targets, padding (histories shorter than maxlen), and per-user ranks and lists; the grouped
-- states equal one user at a time; the binding's argument errors; attention stays retrievable.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local T = tide.tensor

local tests = {}
local KINDS = { "sasrec", "gru4rec", "decay_attention", "bert4rec", "mlp" }
local N_USERS, N_ITEMS = 14, 30

-- users 1..12 walk items with a per-user stride (lengths 2..9, shorter and longer than maxlen 6);
-- users 13 and 14 have no training events (their rows are all padding)
local function train_log()
  local c = { user = {}, item = {}, time = {}, n_users = N_USERS, n_items = N_ITEMS }
  for u = 1, 12 do
    for j = 0, u % 8 + 1 do
      c.user[#c.user + 1], c.item[#c.item + 1] = u, (u * 7 + j * (1 + u % 3)) % N_ITEMS + 1
      c.time[#c.time + 1] = (u + j * 2) * 86400
    end
  end
  return U.events(c)
end

-- one target per user: user 3's target is an item it has seen (a miss), users 5 and 13 have
-- two targets; user 14 has none
local function targets(train)
  local c = { user = {}, item = {}, time = {}, n_users = N_USERS, n_items = N_ITEMS }
  local function add(u, i) c.user[#c.user + 1], c.item[#c.item + 1], c.time[#c.time + 1] = u, i, 1e9 end
  for u = 1, 13 do add(u, (u * 5) % N_ITEMS + 1) end
  add(5, 2); add(13, 30)
  for e = 1, train.n do if train.user:get(e) == 3 then c.item[3] = train.item:get(e) break end end
  return U.events(c)
end

local function model(kind)
  local o = { dim = 8, maxlen = 6, epochs = 1, batch = 4, dropout = 0, seed = 5, n_items = N_ITEMS }
  if kind == "bert4rec" then o.pretrain_epochs = 1 end
  return tide.models[kind](o):fit(train_log())
end

-- reference ranks and top-k lists from the score matrix, by sorting
local function reference(m, train, test, k)
  local scores = m:score(T.arange(1, N_USERS + 1, 1, "i32")):totable()
  local seen, ranks, lists = {}, {}, {}
  for e = 1, train.n do
    local u = train.user:get(e)
    seen[u] = seen[u] or {}
    seen[u][train.item:get(e)] = true
  end
  for u = 1, N_USERS do
    local cand = {}
    for i = 1, N_ITEMS do if not (seen[u] or {})[i] then cand[#cand + 1] = i end end
    local s = scores[u]
    table.sort(cand, function(a, b) if s[a] ~= s[b] then return s[a] > s[b] end return a < b end)
    local pos = {}
    for r, i in ipairs(cand) do pos[i] = r - 1 end
    lists[u] = {}
    for q = 1, k do lists[u][q] = cand[q] or 0 end
    ranks[u] = {}
    for e = 1, test.n do
      if test.user:get(e) == u then
        local i = test.item:get(e)
        ranks[u][#ranks[u] + 1] = pos[i] or N_ITEMS -- a seen target is a miss
      end
    end
  end
  return ranks, lists
end

function tests.fused_ranks_and_lists_match_sorting_reference()
  local train = train_log()
  local test = targets(train)
  for _, kind in ipairs(KINDS) do
    local m = model(kind)
    local want_r, want_l = reference(m, train, test, 5)
    for _, block in ipairs({ 4, 8192 }) do -- blocks that split the users and one that does not
      local r = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, per_user = true, block = block })
      check.eq(r.users, 13, kind .. " users with targets")
      local off = r.rank_offsets
      for u = 1, N_USERS do
        local got = {}
        for p = off:get(u) + 1, off:get(u + 1) do got[#got + 1] = r.ranks:get(p) end
        check.all_near(got, want_r[u], 0, ("%s ranks of user %d (block %d)"):format(kind, u, block))
      end
      check.all_near(r.lists, want_l, 0, kind .. " top-5 lists")
      -- the scoring path (fused = false) agrees metric by metric
      local s = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, fused = false, block = block })
      for _, key in ipairs({ "HR@5", "NDCG@5", "MRR", "MAP@5", "Recall@5" }) do
        check.near(r[key], s[key], 1e-12, kind .. " " .. key .. " fused = scored")
      end
    end
    -- beyond-accuracy metrics come from the same top-K lists
    local fb = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, beyond = true })
    local sb = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, beyond = true, fused = false })
    check.near(fb.coverage, sb.coverage, 1e-12, kind .. " coverage fused = scored")
    check.near(fb.novelty, sb.novelty, 1e-12, kind .. " novelty fused = scored")
    -- topk: the same lists (seen excluded) with their scores; exclude_seen = false keeps them
    local items, vals = m:topk({ 1, 2, 13 }, 5)
    check.all_near(items, { want_l[1], want_l[2], want_l[13] }, 0, kind .. " topk")
    local sc = m:score({ 1 })
    check.near(vals:get(1, 1), sc:get(1, items:get(1, 1)), 1e-6, kind .. " topk scores")
    local all = m:topk({ 1 }, N_ITEMS, { exclude_seen = false })
    check.eq(all:get(1, N_ITEMS) > 0, true, kind .. " every item listed without exclusion")
  end
end

function tests.shards_and_repeat_consumption()
  local train = train_log()
  local test = targets(train)
  local m = model("sasrec")
  -- opts.users (tide.mpi's shards): the same per-user ranks as the whole run
  local all = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, per_user = true })
  local part = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, per_user = true, users = { 4, 9 } })
  local o = all.rank_offsets
  check.all_near(part.ranks, all.ranks:narrow(1, o:get(4) + 1, o:get(10) - o:get(4)):totable(), 0,
    "ranks of users 4..9")
  -- exclude_seen = false ranks against every item: the same on both paths, and the seen
  -- target of user 3 is no longer a miss
  local a = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, exclude_seen = false, per_user = true })
  local b = tide.metrics.evaluate(m, test, { k = { 5 }, seen = { train }, exclude_seen = false, per_user = true,
    fused = false })
  check.all_near(a.ranks, b.ranks:totable(), 0, "ranks without exclusion")
  check.all_near(a.lists, b.lists:totable(), 0, "lists without exclusion")
  check.truthy(a.ranks:get(o:get(3) + 1) < N_ITEMS, "a seen target ranks when seen items stay")
end

function tests.grouped_states_equal_one_at_a_time()
  for _, kind in ipairs(KINDS) do
    local m = model(kind)
    local all = m:states(T.arange(1, N_USERS + 1, 1, "i32")):totable()
    for _, u in ipairs({ 1, 6, 12, 13 }) do
      check.all_near(m:states(T.fromtable({ u }, "i32")), { all[u] }, 1e-5, kind .. " state of user " .. u)
    end
    -- an unordered user list returns rows in the order asked
    local some = m:states(T.fromtable({ 12, 1, 13, 6 }, "i32"))
    check.all_near(some, { all[12], all[1], all[13], all[6] }, 1e-5, kind .. " rows follow the users")
    check.errors(function() m:states(T.fromtable({ 15 }, "i32")) end, "user 15 outside 1..14")
  end
end

function tests.attention_weights_still_retrievable()
  local m = model("sasrec")
  local w = m:attention({ 1, 2 })
  check.eq(#w, 2, "one weight tensor per block")
  check.all_near(w[1]:shape(), { 2, 1, 6, 6 }, 0, "[B, heads, T, T]")
  check.near(w[2]:sum(4):get(1, 1, 6), 1, 1e-5, "rows sum to one")
end

function tests.binding_errors()
  local sr = tide.core.seqrec
  local h, e = T.zeros(2, 3), T.zeros(5, 3)
  local o = T.fromtable({ 0, 1, 1 }, "i64")
  check.errors(function() sr.rank_topk(h, T.zeros(5, 4), nil, nil, nil, nil, 3) end, "h has 3 columns, table 4")
  check.errors(function() sr.rank_topk(h, e, nil, nil, o, T.fromtable({ 6 }, "i32"), 3) end, "outside 1..5")
  check.errors(function() sr.rank_topk(h, e, nil, nil, T.fromtable({ 0, 1 }, "i64"), T.fromtable({ 1 }, "i32"), 3) end,
    "target offsets have 1 rows, h 2")
  check.errors(function() sr.rank_topk(h, e, nil, nil, nil, nil, -1) end, "k must be in 0..2^24")
  check.errors(function() sr.rank_topk("x", e, nil, nil, nil, nil, 1) end, "must be a tensor")
  local nan = T.zeros(2, 3)
  nan:fill(0 / 0)
  check.errors(function() sr.rank_topk(nan, e, nil, nil, o, T.fromtable({ 2 }, "i32"), 1) end, "is NaN")
  local r, l = sr.rank_topk(h, e, nil, nil, o, T.fromtable({ 2 }, "i32"), 0)
  check.eq(r:get(1), 1, "all scores tie: the rank counts the lower ids")
  check.eq(l, nil, "no lists for k = 0")
end

return tests
