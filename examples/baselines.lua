-- examples/baselines.lua — full-ranking NDCG@10 / HR@10 (leave-last-out, seen items excluded)
-- of plain popularity vs the time-decayed baselines: recent-window and decayed popularity, SAR
-- (decayed affinity x Jaccard co-occurrence) and the decayed category profile.
-- Half-lives are chosen on the validation item (second-to-last), then models are refitted on
-- everything but the last item and scored on it. Run: tide run examples/baselines.lua [names]
-- names: sim taobao movielens beauty sports toys video (default: all available)
local tide = require "tide"
local T = tide.tensor
local pop, sar, profile = require "tide.models.pop", require "tide.models.sar", require "tide.models.profile"
local SHARED = os.getenv("TIDE_SHARED_DATA") or "../shared/data"
local function exists(p) local f = io.open(p) if f then f:close() return true end return false end

-- MovieLens: the first listed genre of each movie as its category
local function movielens_categories(ev, path)
  local genre_of, gid, names = {}, {}, 0
  for line in io.lines(path) do
    local id, rest = line:match("^(%d+),(.*)$")
    if id then
      local g = rest:match(",([^,]*)$"):match("^([^|]+)")
      if not gid[g] then names = names + 1; gid[g] = names end
      genre_of[id] = gid[g]
    end
  end
  local cat = {}
  for i = 1, ev.n_items do cat[i] = genre_of[ev.items:name(i)] or 1 end
  ev.category = T.fromtable(cat, "i32"):index_select(1, ev.item)
  ev.n_categories = names
  return ev
end

local DATA = {
  sim = function()
    local path = "examples/data/sim_events.csv.gz"
    if not exists(path) then
      path = os.tmpname() .. ".csv"
      tide.sim.generate{ users = 3000, events = 120000, seed = 11, out = path, decay = "exponential" }
    end
    return tide.data.read_events(path, "sim"), { unit = 86400, grid = { 1, 3, 7, 14, 30, 60 } }
  end,
  taobao = function()
    local p = SHARED .. "/taobao-userbehavior/UserBehavior_tail114users.csv"
    return exists(p) and tide.data.read_events(p, "taobao"), { unit = 3600, grid = { 1, 6, 24, 72, 168 } }
  end,
  movielens = function()
    local p = SHARED .. "/movielens-latest-small/ratings.csv.gz"
    if not exists(p) then return nil end
    return movielens_categories(tide.data.read_events(p, "movielens"), SHARED .. "/movielens-latest-small/movies.csv"),
      { unit = 86400, grid = { 1, 7, 30, 180, 720 } }
  end,
}
-- S3-Rec files: one line per user, "user item1 item2 ..." in order
local function read_lines_format(p)
  local users, items = {}, {}
  for line in io.lines(p) do
    local u
    for tok in line:gmatch("%S+") do
      if not u then u = tok else users[#users + 1] = u; items[#items + 1] = tok end
    end
  end
  return tide.data.from_columns{ user = users, item = items } -- time = row order
end
for _, nm in ipairs({ "beauty", "sports", "toys", "video" }) do
  local file = ({ beauty = "Beauty.txt", sports = "Sports_and_Outdoors.txt", toys = "Toys_and_Games.txt", video = "Video.txt.gz" })[nm]
  -- no timestamps: time = order index; decay is per user, in positions from the user's last item
  DATA[nm] = function()
    local p = SHARED .. "/seqrec-amazon/" .. file
    if not exists(p) then return nil end
    local ev = nm == "video" and tide.data.read_events(p, "sasrec") or read_lines_format(p)
    return ev, { unit = 1, grid = { 1, 2, 4, 8, 32 }, per_user = true }
  end
end

local function evaluate(model, train, test)
  model:fit(train)
  local r = tide.metrics.evaluate(model, { train = train, test = test }, { k = { 10 }, block = 1024 })
  return r["NDCG@10"], r["HR@10"]
end

-- picks the half-life (and the clock: the log's end or each user's last event) with the best
-- validation NDCG@10, then scores the test item
local REFS
local function tuned(make, grid, s_val, s_test)
  local best, bh, br = -1, grid[1], REFS[1]
  for _, ref in ipairs(REFS) do
    for _, h in ipairs(grid) do
      local nd = evaluate(make(h, ref), s_val.train, s_val.test)
      if nd > best then best, bh, br = nd, h, ref end
    end
  end
  local nd, hr = evaluate(make(bh, br), s_test.train, s_test.test)
  return nd, hr, ("%g (%s clock)"):format(bh, br)
end

-- share of test targets the user had already interacted with (repeat consumption)
local function repeat_share(train, test)
  local seen = {}
  for e = 1, train.item:numel() do seen[train.user:get(e) * 1e7 + train.item:get(e)] = true end
  local r = 0
  for e = 1, test.item:numel() do if seen[test.user:get(e) * 1e7 + test.item:get(e)] then r = r + 1 end end
  return r / math.max(test.item:numel(), 1)
end

local names = { ... }
if #names == 0 then names = { "sim", "taobao", "movielens", "beauty", "sports", "toys", "video" } end
print(("%-10s %-26s %8s %8s  %s"):format("data", "model", "NDCG@10", "HR@10", "half-life (tuned on valid)"))
for _, name in ipairs(names) do
  local ev, cfg = DATA[name]()
  if not ev then print(name .. ": data not found, skipped") else
    local t0 = os.clock()
    local s_test = tide.split.split(ev, { by = "leave_last", n_valid = 0, min_len = 3 })
    local s_val = tide.split.split(s_test.train, { by = "leave_last", n_valid = 0, min_len = 2 })
    -- decayed models measure age from the log's end ("global" clock) or from each user's last
    -- event ("user"); order-index logs only have the latter
    local u = cfg.unit
    REFS = cfg.per_user and { "user" } or { "global", "user" }
    local rows = {}
    local nd, hr = evaluate(pop.new{ mode = "all" }, s_test.train, s_test.test)
    rows[#rows + 1] = { "popularity (all-time)", nd, hr, "" }
    if not cfg.per_user then -- order-index logs have no global clock: no time-aware popularity
      local n1, h1 = evaluate(pop.new{ mode = "all", reference = "user" }, s_test.train, s_test.test)
      rows[#rows + 1] = { "popularity (to user time)", n1, h1, "" }
      local n2, h2, b2 = tuned(function(h, r) return pop.new{ mode = "recent", window = h, unit = u, reference = r } end, cfg.grid, s_val, s_test)
      rows[#rows + 1] = { "popularity (recent)", n2, h2, "window " .. b2 }
      local n3, h3, b3 = tuned(function(h, r) return pop.new{ mode = "decay", half_life = h, unit = u, reference = r } end, cfg.grid, s_val, s_test)
      rows[#rows + 1] = { "popularity (decayed)", n3, h3, b3 }
    end
    local n4, h4, b4 = tuned(function(h, r) return sar.new{ half_life = h, unit = u, reference = r } end, cfg.grid, s_val, s_test)
    rows[#rows + 1] = { "SAR (decayed)", n4, h4, b4 }
    if ev.category then
      local n5, h5, b5 = tuned(function(h, r) return profile.new{ half_life = h, pop_half_life = h, unit = u, reference = r } end,
        cfg.grid, s_val, s_test)
      rows[#rows + 1] = { "decayed category profile", n5, h5, b5 }
      local n6, h6, b6 = tuned(function(h, r) return profile.new{ half_life = h, pop_half_life = h, unit = u, reference = r, blend = 1 } end,
        cfg.grid, s_val, s_test)
      rows[#rows + 1] = { "decayed profile + pop blend", n6, h6, b6 }
    end
    for _, r in ipairs(rows) do
      print(("%-10s %-26s %8.4f %8.4f  %s"):format(name, r[1], r[2], r[3], r[4]))
    end
    print(("%-10s (%d users, %d items, %d events; unit %gs; %.0f%% of test targets are repeats; %.1f s)"):format(name,
      ev.n_users, ev.n_items, ev.n, u, 100 * repeat_share(s_test.train, s_test.test), os.clock() - t0))
    io.stdout:flush()
  end
end
