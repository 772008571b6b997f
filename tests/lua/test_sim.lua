-- test_sim.lua — tide.sim from Lua: determinism (bytes independent of chunking), gzip round
-- trip, row counts, the exponential-rate MLE and Hawkes counts recomputed here from the CSV
-- against the returned truth, funnel rates, incentive futures, the CLI and error paths.
local tide = require "tide"
local check = require "check"

-- a unique directory per run (os.tmpname makes a unique file; the directory goes next to it)
local tmpfile = os.tmpname()
local dir = tmpfile .. "_tide_sim"
assert(os.execute("mkdir -p '" .. dir .. "'") == 0 or true)
local function path(name) return dir .. "/" .. name end

local function slurp(p, gz)
  local f = gz and io.popen("gzip -dc '" .. p .. "'") or io.open(p, "rb")
  local s = f:read("*a")
  f:close()
  return s
end

-- rows of a simulated CSV as Lua tables (small files only)
local function read_rows(p)
  local rows, header = {}, nil
  for line in io.lines(p) do
    if not header then header = line
    else
      local u, i, c, b, ts, pr, dw = line:match("^(%d+),(%d+),(%d+),(%a+),(%d+),([%d%.]+),(%d+)$")
      assert(u, "malformed row: " .. line)
      rows[#rows + 1] = { user = tonumber(u), item = tonumber(i), cat = tonumber(c), behavior = b,
                          ts = tonumber(ts), price = tonumber(pr), dwell = tonumber(dw) }
    end
  end
  return rows, header
end

local T = {}

function T.determinism_and_gzip()
  local cfg = { users = 300, events = 15000, seed = 5, decay = "mixture" }
  local function gen(out, chunk_users, threads, seed)
    local o = {}
    for k, v in pairs(cfg) do o[k] = v end
    o.out, o.chunk_users, o.threads, o.truth, o.seed = out, chunk_users, threads, false, seed or cfg.seed
    return (tide.sim.generate(o))
  end
  gen(path("a.csv"), 5, 1)
  gen(path("b.csv"), 0, 3)
  gen(path("a.csv.gz"), 0, 1)
  gen(path("b.csv.gz"), 0, 2)
  gen(path("e.csv.gz"), 17, 2)
  gen(path("c.csv"), 0, 0, 6)
  local a = slurp(path("a.csv"))
  check.truthy(#a > 100000, "file size")
  check.truthy(a == slurp(path("b.csv")), "same bytes for different chunk sizes and threads")
  check.truthy(a == slurp(path("e.csv.gz"), true), "many gzip members read back whole")
  check.truthy(a ~= slurp(path("c.csv")), "another seed differs")
  check.truthy(a == slurp(path("a.csv.gz"), true), "gzip reads back to the plain bytes")
  check.truthy(slurp(path("a.csv.gz")) == slurp(path("b.csv.gz")), "same gzip bytes")
end

function T.counts_and_format()
  local s, truth = tide.sim.generate{ users = 250, events = 20000, seed = 9, out = path("n.csv") }
  local rows, header = read_rows(path("n.csv"))
  check.eq(header, "user_id,item_id,category_id,behavior,timestamp,price,dwell", "header")
  check.eq(#rows, s.rows, "rows in file vs summary")
  check.truthy(math.abs(#rows - 20000) < 0.03 * 20000, "rows near the request: " .. #rows)
  local seen, n_users, by = {}, 0, {}
  for i, r in ipairs(rows) do
    if not seen[r.user] then seen[r.user] = true; n_users = n_users + 1 end
    if i > 1 and rows[i - 1].user == r.user then
      check.truthy(r.ts >= rows[i - 1].ts, "time-sorted within a user")
    end
    check.eq((r.item - 1) % 20 + 1, r.cat, "item -> category layout")
    by[r.behavior] = (by[r.behavior] or 0) + 1
  end
  check.eq(n_users, 250, "distinct users")
  for _, b in ipairs({ "pv", "click", "cart", "fav", "buy" }) do
    check.eq(by[b], s.behaviors[b], "count of " .. b)
  end
  check.eq(truth.users.rate:shape()[1], 250, "truth per user")
  check.eq(#truth.segments, 3, "segments")
  local f = io.open(s.truth_path)
  local js = f:read("*a")
  f:close()
  local _, nrows = js:gsub("\n%[", "")
  check.eq(nrows, 250, "per-user rows in the truth JSON")
  -- read back: same per-user values as the tensors (f32 there, 10 digits in the JSON)
  local rt = tide.sim.read_truth(s.truth_path)
  check.eq(rt.summary.rows, s.rows, "summary rows in the JSON")
  check.eq(#rt.user_table.rate, 250, "user rows read back")
  local rate, vis = truth.users.rate:totable(), truth.users.visits:totable()
  for u = 1, 250 do
    check.near(rt.user_table.rate[u], rate[u], 1e-6, "rate of user " .. u)
    check.eq(rt.user_table.visits[u], vis[u], "visits of user " .. u)
    check.eq(rt.user_table.user_id[u], u, "user id")
  end
  local prof, top = tide.sim.profile({ users = 250, events = 20000, seed = 9 }, 17)
  check.near(prof:sum():item(), 1, 1e-5, "profile sums to 1")
  check.eq(prof:shape()[1], 20, "one entry per category")
  check.eq(top, rt.user_table.top_category[17], "top category in the JSON")
  check.errors(function() tide.sim.profile({ users = 250 }, 251) end, "out of range")
  check.errors(function() tide.sim.read_truth(path("n.csv")) end, "not a tide.sim truth file")
  check.errors(function() tide.sim.read_truth(path("missing.json")) end, "missing.json")
end

-- one row per visit: mean_pv = 1 and no clicks, so the CSV timestamps are the visit times
local function visit_log(name, extra)
  local o = { users = 600, seed = 17, mean_pv = 1, p_click = 0, join_spread = 0, churn = false,
              out = path(name), truth = false }
  for k, v in pairs(extra) do o[k] = v end
  local s, truth = tide.sim.generate(o)
  local per = {}
  for _, r in ipairs((read_rows(path(name)))) do
    per[r.user] = per[r.user] or {}
    table.insert(per[r.user], r.ts)
  end
  return s, truth, per
end

function T.exponential_rate_mle_from_csv()
  local lam = 0.25
  local s, truth, per = visit_log("exp.csv", { hawkes = false, horizon = 150,
    segments = { { rate_shape = 1e7, rate_rate = 1e7 / lam } } })
  local t_end = s.config.start + s.config.horizon * 86400
  local d, exposure = 0, 0
  for u = 1, 600 do
    local ts = per[u]
    for i = 2, #ts do d = d + 1; exposure = exposure + (ts[i] - ts[i - 1]) / 86400 end
    exposure = exposure + (t_end - ts[#ts]) / 86400 -- censored tail
  end
  local mle, se = d / exposure, (d / exposure) / math.sqrt(d)
  local want = truth.users.rate:mean():item()
  check.near(want, lam, 1e-3, "truth rate")
  check.truthy(math.abs(mle - want) < 4 * se,
    ("MLE %.5f vs truth %.5f (se %.5f)"):format(mle, want, se))
end

function T.hawkes_counts_from_csv()
  local s, truth, per = visit_log("hawkes.csv", { horizon = 60,
    segments = { { rate_shape = 5, rate_rate = 10, branching = 0.5, beta = 2 } } })
  local mu, al, be = truth.users.mu:totable(), truth.users.alpha:totable(), truth.users.beta:totable()
  local Tn = s.config.horizon
  local obs, mean, var = 0, 0, 0
  for u = 1, 600 do
    -- E N(T) of a Hawkes process from empty history with an extra event at 0 (see test_sim.c)
    local g = be[u] - al[u]
    local e = 1 + al[u] / g * (1 - math.exp(-g * Tn))
      + mu[u] * Tn * be[u] / g - mu[u] * al[u] * (1 - math.exp(-g * Tn)) / (g * g)
    obs, mean = obs + #per[u], mean + e
    var = var + (mu[u] * Tn + 1) / (1 - al[u] / be[u]) ^ 3
  end
  check.eq(obs, s.visits, "one row per visit")
  local z = (obs - mean) / math.sqrt(var)
  check.truthy(math.abs(z) < 4, ("visits %d vs expected %.1f (z %.2f)"):format(obs, mean, z))
end

function T.funnel_rates()
  local f = { click = 0.35, cart = 0.3, fav = 0.4, buy = 0.8 }
  local s = tide.sim.generate{ users = 1500, events = 150000, seed = 23, funnel = f,
                               out = path("funnel.csv.gz"), truth = false }
  local b = s.behaviors
  local stages = { { "pv", "click" }, { "click", "cart" }, { "cart", "fav" }, { "fav", "buy" } }
  for _, st in ipairs(stages) do
    local n, x, p = b[st[1]], b[st[2]], f[st[2]]
    local z = (x - n * p) / math.sqrt(n * p * (1 - p))
    check.truthy(math.abs(z) < 4, ("%s|%s: %d/%d vs %.2f"):format(st[2], st[1], x, n, p))
  end
end

function T.future_incentive()
  local cfg = { users = 2000, seed = 29, hawkes = false, horizon = 100 }
  local ids, tr = {}, {}
  for u = 1, 2000 do ids[u] = u; tr[u] = true end
  local ctl = tide.sim.future(cfg, { users = ids, effect = 2, window = 30 })
  local zero = tide.sim.future(cfg, { users = ids, treated = tr, effect = 0, window = 30 })
  local trt = tide.sim.future(cfg, { users = ids, treated = tr, effect = 2, window = 30 })
  check.eq(ctl.returned:shape()[1], 2000, "one entry per user")
  check.truthy(table.concat(ctl.returned:totable(), ",") == table.concat(zero.returned:totable(), ","),
    "effect 0 reproduces the control")
  local s = tide.sim.new(cfg)
  local truth = s:truth()
  s:free()
  local alive, react = truth.alive:totable(), truth.react:totable()
  local r0, r1 = ctl.returned:totable(), trt.returned:totable()
  local obs, want, var = 0, 0, 0
  for u = 1, 2000 do
    if alive[u] == 0 then
      local p = 1 - math.exp(-react[u] * 3 * 30)
      obs, want, var = obs + r1[u], want + p, var + p * (1 - p)
      check.truthy(r1[u] >= r0[u], "a dormant user's return only comes sooner")
    end
  end
  check.truthy(var > 0 and math.abs(obs - want) < 4 * math.sqrt(var),
    ("treated dormant returns %d vs %.1f"):format(obs, want))
end

function T.cli()
  local out = path("cli.csv.gz")
  local rc = os.execute(("luajit scripts/tide sim --users 50 --events 2000 --seed 3 --decay power --out %s --quiet"):format(out))
  check.truthy(rc == 0 or rc == true, "tide sim exit code")
  check.truthy(io.open(out) ~= nil and io.open(path("cli.truth.json")) ~= nil, "log and truth written")
  local bad = os.execute(("luajit scripts/tide sim --users nope --out %s 2>/dev/null"):format(out))
  check.truthy(bad ~= 0 and bad ~= true, "bad option fails")
end

function T.errors()
  local g = tide.sim.generate
  check.errors(function() g{ users = 10, out = path("e.csv"), colour = 1 } end, "unknown option 'colour'")
  check.errors(function() g{ users = 10 } end, "'out'")
  check.errors(function() g{ users = 1.5, out = path("e.csv") } end, "'users' must be an integer")
  check.errors(function() g{ users = 10, decay = "weibull", out = path("e.csv") } end, "weibull")
  check.errors(function() g{ users = 10, horizon = 0 / 0, out = path("e.csv") } end, "horizon")
  check.errors(function() g{ users = 10, funnel = { view = 1 }, out = path("e.csv") } end, "funnel stage")
  check.errors(function() g{ users = 10, funnel = { buy = 2 }, out = path("e.csv") } end, "p_buy")
  check.errors(function() g{ users = 10, out = "/nonexistent/e.csv" } end, "/nonexistent/e.csv")
  check.errors(function() g{ users = 10, out = path("e.csv"), truth = 5 } end, "'truth'")
  check.errors(function() g{ users = 10, events = 5, out = path("e.csv") } end, "too few")
  check.errors(function() g{ users = 10, segments = { 1 }, out = path("e.csv") } end, "segment 1")
  check.errors(function() g("x") end, "options table")
  check.errors(function() g{ users = 10, out = path("e.csv"), level = 10 } end, "level")
  check.errors(function() g{ users = 10, out = path("e.csv"), threads = -1 } end, "threads")
  check.errors(function() tide.sim.future({ users = 10 }, { users = { 11 } }) end, "out of range")
  check.errors(function() tide.sim.future({ users = 10 }, { users = { 1 }, effect = -2 }) end, "effect")
  check.errors(function() tide.sim.future({ users = 10 }, {}) end, "'users'")
  check.errors(function() tide.sim.visits({ users = 10 }, 0) end, "out of range")
  local s = tide.sim.new{ users = 5 }
  s:free(); s:free()
  check.errors(function() s:write(path("e.csv")) end, "freed")
end

function T.visits_and_config()
  local cfg = { users = 40, events = 3000, seed = 13, decay = "power" }
  local t, k, alive = tide.sim.visits(cfg, 7)
  check.truthy(#t >= 1 and #t == #k, "visit times and kinds")
  check.eq(k[1], 0, "the first visit is the join")
  for i = 2, #t do
    check.truthy(t[i] >= t[i - 1], "visits sorted")
    check.truthy(k[i] >= 1 and k[i] <= 3, "kind code")
  end
  check.eq(type(alive), "boolean", "alive flag")
  local s = tide.sim.new(cfg)
  local c = s:config()
  local truth = s:truth()
  s:free()
  check.eq(c.decay, "power", "law")
  check.truthy(c.mean_pv >= 1 and c.horizon > 0, "calibrated mean_pv and horizon")
  check.eq(truth.visits:totable()[7], #t, "visits of user 7 agree")
  check.eq(truth.theta:shape()[2], 2, "power law has (rate, shape)")
  check.eq(truth.alive:totable()[7], alive and 1 or 0, "alive agrees")
  local t2 = tide.sim.visits({ users = 40, seed = 13, decay = "power", join_visit = false, join_spread = 0 }, 7)
  check.truthy(#t2 == 0 or t2[1] > 0, "without a join visit the first visit comes later")
end

-- the contract with tide.data: its `sim` preset reads these logs (skipped if tide.data is absent)
function T.read_by_data_sim_preset()
  local ok, data = pcall(function() return tide.data end)
  if not ok or type(data) ~= "table" or not data.read_events then return end
  local s = tide.sim.generate{ users = 120, events = 6000, seed = 4, out = path("d.csv.gz"), truth = false }
  local ev = data.read_events(path("d.csv.gz"), "sim")
  check.eq(ev.n, s.rows, "rows read")
  check.eq(ev.n_users, 120, "users read")
  local counts = { 0, 0, 0, 0, 0 }
  for _, e in ipairs(ev.event:totable()) do counts[e] = counts[e] + 1 end
  local names = { "pv", "click", "cart", "fav", "buy" }
  for code = 1, 5 do check.eq(counts[code], s.behaviors[names[code]], "event code " .. code) end
  check.truthy(ev.price and ev.dwell and ev.category, "price, dwell and category columns")
end

-- every option with hostile values: a clean Lua error or a valid result, never a crash or hang
function T.hostile_options()
  local keys = { "seed", "users", "events", "items", "categories", "start", "horizon",
    "join_spread", "mean_pv", "p_click", "p_cart", "p_fav", "p_buy", "zipf_items",
    "zipf_categories", "dirichlet_conc", "stick", "drift", "price_median", "price_sigma",
    "dwell_median", "dwell_sigma", "hawkes", "churn", "join_visit", "decay", "segments" }
  local values = { "x", 0 / 0, 1 / 0, -1 / 0, -1, 0, 1e300, 2 ^ 60, 1e5, true, {}, { {} }, 0.5 }
  for _, k in ipairs(keys) do
    for _, v in ipairs(values) do
      local ok, err = pcall(tide.sim.generate, { users = 5, events = 100, [k] = v,
        out = path("h.csv"), truth = false, truth_tensors = false })
      check.truthy(ok or type(err) == "string", "error is a message for " .. k)
    end
  end
  local seg_vals = { weight = 0, rate_shape = -1, branching = 0.99, beta = 0 / 0, mix_ratio = 0.5,
                     power_shape = 1 / 0, branching_conc = 0, rate_rate = 1e-300, beta = 1e300,
                     churn_rate = 1e-300, react_rate = 1e-300 }
  for k, v in pairs(seg_vals) do
    check.errors(function() tide.sim.new{ users = 5, segments = { { [k] = v } } } end, "segment 1")
  end
  check.errors(function() tide.sim.new{ users = 5, segments = { { name = 5 } } } end, "name")
end

function T.zz_cleanup()
  os.execute("rm -rf '" .. dir .. "'")
  os.remove(tmpfile)
end

return T
