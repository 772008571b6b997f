-- quality_seqrec.lua — the quality table of issue 19: every sequential model (at its defaults)
-- next to the decayed baselines (popularity, SAR, decayed category profile) on every data set,
-- leave-last-out (last event = test, second-last = validation), full ranking over all items
-- (primary) and the sampled 100-negative protocol (for comparison with the papers), HR@10 and
-- NDCG@10 each with a 95 % normal-approximation interval over users (mean ± 1.96·sd/√n of the
-- per-user values). Nothing is tuned on the test events: the baselines' half-lives and the
-- sequence models' early stopping use the validation item only; sequence models then score
-- the test item conditioned on train + validation (the SASRec protocol), baselines are refitted
-- on train + validation.
--   luajit tests/bench/quality_seqrec.lua            (tests/bench/bench_quality_seqrec.sh)
-- Environment: QUALITY_SETS (default "games beauty movielens sim"), QUALITY_MODELS (default
-- "pop sar profile mlp gru4rec sasrec tisasrec decay_attention bert4rec"), QUALITY_EPOCHS (caps every
-- model's epochs, and bert4rec's pretraining epochs; unset = the defaults), QUALITY_OPTS (a Lua
-- table of extra options for the sequence models, e.g. "{dim = 64, loss = 'softmax'}", or
-- "{auto = 0}" for the fixed defaults; by default maxlen, batch, epochs, every and patience
-- follow each set's shape, tide.models.seq_defaults, and the settings column shows them),
-- QUALITY_PROGRESS=1 (a line per epoch),
-- TIDE_SHARED_DATA (default ../shared/data). Prints one row per model and set.
local tide = require "tide"
local T = tide.tensor
local SHARED = os.getenv("TIDE_SHARED_DATA") or "../shared/data"
local function exists(p) local f = io.open(p) if f then f:close() return true end return false end
local function words(s) local t = {} for w in s:gmatch("%S+") do t[#t + 1] = w end return t end

-- MovieLens: each movie's first listed genre is its category (for the profile baseline)
local function movielens_categories(ev, path)
  local genre_of, gid, n = {}, {}, 0
  for line in io.lines(path) do
    local id, rest = line:match("^(%d+),(.*)$")
    if id then
      local g = rest:match(",([^,]*)$"):match("^([^|]+)")
      if not gid[g] then n = n + 1; gid[g] = n end
      genre_of[id] = gid[g]
    end
  end
  local cat = {}
  for i = 1, ev.n_items do cat[i] = genre_of[ev.items:name(i)] or 1 end
  ev.category, ev.n_categories = T.fromtable(cat, "i32"):index_select(1, ev.item), n
  return ev
end

-- S3-Rec files: "user item1 item2 ..." per line, in order (time = row order)
local function read_lines_format(p)
  local users, items = {}, {}
  for line in io.lines(p) do
    local u
    for tok in line:gmatch("%S+") do
      if not u then u = tok else users[#users + 1] = u; items[#items + 1] = tok end
    end
  end
  return tide.data.from_columns{ user = users, item = items }
end

-- each set: events and the baselines' decay settings (unit in seconds, half-life grid; order-
-- only logs decay in positions from each user's last event)
local SETS = {
  games = function()
    local p = SHARED .. "/seqrec-amazon/Video.txt.gz"
    return exists(p) and tide.data.read_events(p, "sasrec"), { unit = 1, grid = { 1, 2, 4, 8, 32 }, refs = { "user" } }
  end,
  beauty = function()
    local p = SHARED .. "/seqrec-amazon/Beauty.txt"
    return exists(p) and read_lines_format(p), { unit = 1, grid = { 1, 2, 4, 8, 32 }, refs = { "user" } }
  end,
  movielens = function()
    local p = SHARED .. "/movielens-latest-small/ratings.csv.gz"
    if not exists(p) then return nil end
    return movielens_categories(tide.data.read_events(p, "movielens"), SHARED .. "/movielens-latest-small/movies.csv"),
      { unit = 86400, grid = { 1, 7, 30, 180, 720 }, refs = { "global", "user" } }
  end,
  sim = function()
    local p = "examples/data/sim/sim_exponential.csv.gz"
    return exists(p) and tide.data.read_events(p, "sim"), { unit = 86400, grid = { 1, 3, 7, 14, 30, 60 }, refs = { "global", "user" } }
  end,
}

-- mean and 95 % half-width of HR@10 and NDCG@10 from per-user 0-based ranks
local function summarize(r)
  local ranks = r.ranks
  local n, shr, sn, snn = ranks:numel(), 0, 0, 0
  for i = 1, n do
    local k = ranks:get(i)
    if k < 10 then
      local g = 1 / (math.log(k + 2) / math.log(2))
      shr, sn, snn = shr + 1, sn + g, snn + g * g
    end
  end
  local function ci(s, ss) -- mean, 1.96 * standard error (sample variance, n - 1)
    local m = s / n
    return m, 1.96 * math.sqrt(math.max(ss - n * m * m, 0) / math.max(n - 1, 1) / n)
  end
  local hr, hr_ci = ci(shr, shr)
  local nd, nd_ci = ci(sn, snn)
  return { hr = hr, hr_ci = hr_ci, ndcg = nd, ndcg_ci = nd_ci, n = n }
end

local function evaluate(model, split, protocol)
  return summarize(tide.metrics.evaluate(model, split, { k = { 10 }, protocol = protocol, n_neg = 100,
                                                         per_user = true, block = 1024 }))
end

local function ndcg_valid(model, s_val)
  return tide.metrics.evaluate(model, { train = s_val.train, test = s_val.test }, { k = { 10 }, block = 1024 })["NDCG@10"]
end

-- a decayed baseline: the half-life and clock with the best validation NDCG@10, refitted
local function baseline(make, cfg, s_val, s_test)
  local best, bh, br = -1, cfg.grid[1], cfg.refs[1]
  for _, ref in ipairs(cfg.refs) do
    for _, h in ipairs(cfg.grid) do
      local nd = ndcg_valid(make(h, ref):fit(s_val.train), s_val)
      if nd > best then best, bh, br = nd, h, ref end
    end
  end
  return make(bh, br):fit(s_test.train), best, ("half-life %g (%s clock)"):format(bh, br)
end

local BASELINES = {
  pop = function(_, s_val, s_test)
    local m = tide.models.pop.new{ mode = "all" }
    return m:fit(s_test.train), ndcg_valid(tide.models.pop.new{ mode = "all" }:fit(s_val.train), s_val), ""
  end,
  sar = function(cfg, s_val, s_test)
    return baseline(function(h, r) return tide.models.sar.new{ half_life = h, unit = cfg.unit, reference = r } end, cfg, s_val, s_test)
  end,
  profile = function(cfg, s_val, s_test, ev)
    if not ev.category then return nil end
    return baseline(function(h, r) return tide.models.profile.new{ half_life = h, pop_half_life = h, unit = cfg.unit, reference = r } end,
      cfg, s_val, s_test)
  end,
}

local extra = {}
if os.getenv("QUALITY_OPTS") then
  local f = assert(load("return " .. os.getenv("QUALITY_OPTS")), "QUALITY_OPTS must be a Lua table")
  extra = f()
end
local cap = tonumber(os.getenv("QUALITY_EPOCHS") or "")

-- a sequence model at its defaults (+ QUALITY_OPTS, epochs capped), early-stopped on validation
local function sequence_model(name, ev, s_val, s_test)
  local o = { n_items = ev.n_items }
  for k, v in pairs(extra) do o[k] = v end
  local m = tide.models[name](o)
  if cap then
    -- the cap applies to the epochs the model would resolve from the data (seq_defaults)
    local D = require "tide.models.seq_defaults"
    local e = (m.auto == 1 and not o.epochs) and D.resolve(D.shape(tide.data.sequences(s_val.train))).epochs or m.epochs
    m.epochs = math.min(e, cap)
    if m.pretrain_epochs then m.pretrain_epochs = math.min(m.pretrain_epochs, cap) end
  end
  m:fit(s_val.train, { valid = s_val.test, progress = os.getenv("QUALITY_PROGRESS") == "1" })
  local h = m.history
  m:set_history({ s_test.train })
  local ep = ("%d/%d ep (best %d), maxlen %d, batch %d, every %d, patience %d"):format(#h.train, m.epochs,
    h.best_epoch, m.maxlen, m.batch, m.every, m.patience)
  if m.pretrain_epochs then ep = ("pre %d + "):format(m.pretrain_epochs) .. ep end
  return m, h.best or 0 / 0, ep
end

local sets = words(os.getenv("QUALITY_SETS") or "games beauty movielens sim")
local models = words(os.getenv("QUALITY_MODELS") or "pop sar profile mlp gru4rec sasrec tisasrec decay_attention bert4rec")
print(("%-9s %-16s %7s | %-15s %-15s | %-15s %-15s | %7s %s"):format("set", "model", "valNDCG",
  "full HR@10", "full NDCG@10", "samp HR@10", "samp NDCG@10", "secs", "settings"))
for _, sname in ipairs(sets) do
  local ev, cfg = assert(SETS[sname], "unknown set " .. sname)()
  if not ev then print(sname .. ": data not found, skipped") else
    local s_test = tide.split.split(ev, { by = "leave_last", n_valid = 0, min_len = 3 })
    local s_val = tide.split.split(s_test.train, { by = "leave_last", n_valid = 0, min_len = 2 })
    print(("%s: %d users, %d items, %d events, %d test users"):format(sname, ev.n_users, ev.n_items, ev.n, s_test.test.n))
    for _, mname in ipairs(models) do
      local t0 = tide.core.io.wall()
      local m, val, note
      if BASELINES[mname] then m, val, note = BASELINES[mname](cfg, s_val, s_test, ev)
      else m, val, note = sequence_model(mname, ev, s_val, s_test) end
      if m then
        local f, s = evaluate(m, s_test, "full"), evaluate(m, s_test, "sampled")
        print(("%-9s %-16s %7.4f | %.4f ±%.4f %.4f ±%.4f | %.3f ±%.3f   %.3f ±%.3f   | %7.0f %s"):format(sname, mname, val,
          f.hr, f.hr_ci, f.ndcg, f.ndcg_ci, s.hr, s.hr_ci, s.ndcg, s.ndcg_ci, tide.core.io.wall() - t0, note))
        io.stdout:flush()
      end
    end
  end
end
