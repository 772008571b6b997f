-- test_baselines.lua — popularity (all-time / recent / decayed), SAR and the decayed category
-- profile on toy logs where the right answer is obvious, plus topk exclusion and an
-- end-to-end evaluation where decay must beat all-time popularity.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local pop = require "tide.models.pop"
local sar = require "tide.models.sar"
local profile = require "tide.models.profile"
local tests = {}
local DAY = 86400

-- item 1: bought by users 1..6 on day 0 (old hit); item 2: users 1..3 on day 99 (new hit);
-- user 7 only saw item 3 on day 50. The log ends on day 100.
local function toy()
  local cols = { user = {}, item = {}, time = {} }
  local function add(u, i, d) cols.user[#cols.user + 1] = u; cols.item[#cols.item + 1] = i; cols.time[#cols.time + 1] = d * DAY end
  for u = 1, 6 do add(u, 1, 0) end
  for u = 1, 3 do add(u, 2, 99) end
  add(7, 3, 50)
  add(7, 3, 100)
  return U.events(cols)
end

function tests.popularity_modes()
  local ev = toy()
  local all = pop.new{ mode = "all" }:fit(ev)
  local dec = pop.new{ mode = "decay", half_life = 7 }:fit(ev)
  local rec = pop.new{ mode = "recent", window = 10 }:fit(ev)
  check.eq(all:topk({ 7 }, 1):get(1, 1), 1, "all-time: the old hit")
  check.eq(dec:topk({ 7 }, 1):get(1, 1), 2, "decayed: the new hit")
  check.eq(rec:topk({ 7 }, 1):get(1, 1), 2, "recent window: the new hit")
  -- exact decayed value: 3 · 2^(-1/7) for item 2, 6 · 2^(-100/7) for item 1
  check.near(dec.pop:get(2), 3 * 2 ^ (-1 / 7), 1e-5)
  check.near(dec.pop:get(1), 6 * 2 ^ (-100 / 7), 1e-4)
  -- users 1..3 have seen both hits: top-1 excluding seen is item 3
  check.eq(dec:topk({ 1 }, 1):get(1, 1), 3)
  check.eq(dec:topk({ 1 }, 1, { exclude_seen = false }):get(1, 1), 2)
  check.errors(function() pop.new{ mode = "weird" } end, "mode must be")
  -- per-user clock: user 7 at day 100 sees everything; user 4 at day 0 sees only day-0 events
  local pu = pop.new{ mode = "all", reference = "user" }:fit(ev)
  local s = pu:score({ 4, 7 })
  check.near(s:get(1, 1), 6, 1e-6); check.near(s:get(1, 2), 0, 1e-6)
  check.near(s:get(2, 2), 3, 1e-6)
end

function tests.sar_recommends_cooccurring_item()
  -- users 1..5 hold {10, 11}; users 6..8 hold {12, 13}; user 9 holds {10}: SAR says 11
  local cols = { user = {}, item = {}, time = {} }
  local function add(u, i, d) cols.user[#cols.user + 1] = u; cols.item[#cols.item + 1] = i; cols.time[#cols.time + 1] = d * DAY end
  for u = 1, 5 do add(u, 10, 1); add(u, 11, 2) end
  for u = 6, 8 do add(u, 12, 1); add(u, 13, 2) end
  add(9, 10, 3)
  local ev = U.events(cols)
  local m = sar.new{ half_life = 30 }:fit(ev)
  check.eq(m:topk({ 9 }, 1):get(1, 1), 11)
  local s = m:score({ 9 })
  -- affinity of user 9 to item 10 at day 3 is 1; Jaccard(10, 11) = 5 / (6 + 5 - 5) = 5/6
  check.near(s:get(1, 11), 5 / 6, 1e-5)
  check.near(s:get(1, 12), 0, 1e-9)
  -- non-contiguous user lists go through the row gather
  local s2 = m:score({ 9, 1 })
  check.near(s2:get(1, 11), 5 / 6, 1e-5)
end

function tests.profile_follows_recent_category()
  -- items 1-3 in category 1, items 4-6 in category 2. User 1 browsed category 1 long ago and
  -- category 2 yesterday: the decayed profile recommends category 2's most popular unseen item.
  local cols = { user = {}, item = {}, time = {}, category = {} }
  local cat = { 1, 1, 1, 2, 2, 2 }
  local function add(u, i, d) cols.user[#cols.user + 1] = u; cols.item[#cols.item + 1] = i; cols.time[#cols.time + 1] = d * DAY; cols.category[#cols.category + 1] = cat[i] end
  add(1, 1, 0); add(1, 2, 1); add(1, 3, 2); add(1, 4, 59)
  for u = 2, 6 do add(u, 5, 55) end
  add(2, 6, 60)
  local ev = U.events(cols)
  local m = profile.new{ half_life = 7 }:fit(ev)
  check.eq(m:topk({ 1 }, 1):get(1, 1), 5)
  local s = m:score({ 1 })
  check.truthy(s:get(1, 4) > s:get(1, 1), "category 2 above category 1")
  check.errors(function() profile.new{}:fit(U.events { user = { 1 }, time = { 0 } }) end, "no category column")
end

function tests.decay_beats_alltime_on_drifting_log()
  -- 60 users; until day 50 everyone consumes items 1..5, afterwards items 6..10 are the trend;
  -- each user's last event (the target) is a trending item.
  local r = U.rng(4)
  local cols = { user = {}, item = {}, time = {} }
  local targets = { user = {}, item = {}, time = {} }
  for u = 1, 60 do
    for d = 1, 8 do
      cols.user[#cols.user + 1] = u; cols.item[#cols.item + 1] = 1 + math.floor(r() * 5); cols.time[#cols.time + 1] = d * DAY
    end
    for d = 95, 97 do
      cols.user[#cols.user + 1] = u; cols.item[#cols.item + 1] = 6 + math.floor(r() * 5); cols.time[#cols.time + 1] = d * DAY
    end
    targets.user[u], targets.item[u], targets.time[u] = u, 6 + math.floor(r() * 5), 99 * DAY
  end
  cols.n_items, targets.n_items = 10, 10
  local sp = { train = U.events(cols), test = U.events(targets) }
  local rall = tide.metrics.evaluate(pop.new{ mode = "all" }:fit(sp.train), sp, { k = { 3 } })
  local rdec = tide.metrics.evaluate(pop.new{ mode = "decay", half_life = 5 }:fit(sp.train), sp, { k = { 3 } })
  check.truthy(rdec["NDCG@3"] > rall["NDCG@3"], ("decayed %.3f vs all-time %.3f"):format(rdec["NDCG@3"], rall["NDCG@3"]))
end

return tests
