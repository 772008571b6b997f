-- tide.sim — behaviour simulator (engine/sim.c): synthetic e-commerce logs with known truth,
-- from a thousand to a hundred million rows, streamed to CSV or gzip, deterministic per seed.
--
-- LOG FORMAT (stable: tide.data's `sim` schema preset reads it; do not rename columns)
--   header: user_id,item_id,category_id,behavior,timestamp,price,dwell
--   user_id      integer 1..users
--   item_id      integer 1..items; item i belongs to category (i - 1) % categories + 1
--   category_id  integer 1..categories
--   behavior     pv | click | cart | fav | buy  (funnel pv -> click -> cart -> fav -> buy, each
--                stage conditional on the previous one with rates p_click, p_cart, p_fav, p_buy)
--   timestamp    epoch seconds (UTC), integer
--   price        item price with 2 decimals
--   dwell        integer seconds on the page for pv and click rows, 0 for cart/fav/buy
--   rating       only when p_review > 0: 1..5 on reviewed buy rows, empty elsewhere (read it
--                with the `sim_reviews` schema preset). Review sentiment: each user has a
--                latent z ~ N(0, 1); rating = round(3 + 1.5 z + review_noise·N(0, 1)) clamped
--                to 1..5; with sentiment = s the reactivation hazard is multiplied and the
--                churn hazard divided by e^(s z), so s = 0 means reviews carry no signal
--                about returns
-- Rows are grouped by user (1, 2, ...) and time-sorted within a user, not globally sorted.
-- TRUTH: <stem>.truth.json next to the log (x.csv.gz -> x.truth.json): config, per-segment
-- priors, and one row per user [user_id, segment, rate, theta, mu, alpha, beta, branching,
-- churn, react, visits, alive_at_end, top_category, sentiment]; rates per day; theta in decay.h's
-- parameterisation.
-- See engine/sim.h for the generative model.
local core = require("tide").core.sim
local T = require("tide").tensor

local M = {}

-- Calls f(...) and re-raises an engine error at the caller of the public function, without
-- the location inside this file, prefixed with the public name.
local function guarded(fn, f, ...)
  local res = { pcall(f, ...) }
  if not res[1] then
    local msg = tostring(res[2]):gsub("^[^:]*%.lua:%d+: ", "")
    for _, p in ipairs({ "^sim:%a+: ", "^sim future: ", "^sim: " }) do msg = msg:gsub(p, "") end
    error(fn .. ": " .. msg, 3)
  end
  return unpack(res, 2)
end

-- config keys passed to the engine (anything else is a typo and an error)
local engine_keys = {
  seed = 1, users = 1, events = 1, items = 1, categories = 1, start = 1, decay = 1,
  horizon = 1, join_spread = 1, mean_pv = 1, p_click = 1, p_cart = 1, p_fav = 1, p_buy = 1,
  zipf_items = 1, zipf_categories = 1, dirichlet_conc = 1, stick = 1, drift = 1,
  price_median = 1, price_sigma = 1, dwell_median = 1, dwell_sigma = 1, hawkes = 1, churn = 1,
  join_visit = 1, segments = 1, sentiment = 1, p_review = 1, review_noise = 1,
}
local other_keys = { out = 1, truth = 1, user_truth = 1, truth_tensors = 1, level = 1,
                     threads = 1, chunk_users = 1, funnel = 1 }

-- Flattens the friendly options into the engine's config table.
local function engine_config(opts, fn)
  if type(opts) ~= "table" then
    error(fn .. ": expected an options table, got " .. type(opts), 3)
  end
  local cfg = {}
  for k, v in pairs(opts) do
    if engine_keys[k] then cfg[k] = v
    elseif not other_keys[k] then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 3) end
  end
  if opts.funnel ~= nil then
    if type(opts.funnel) ~= "table" then error(fn .. ": 'funnel' must be a table", 3) end
    for k, v in pairs(opts.funnel) do
      local key = ({ click = "p_click", cart = "p_cart", fav = "p_fav", buy = "p_buy" })[k]
      if not key then error(("%s: unknown funnel stage '%s' (click, cart, fav, buy)"):format(fn, tostring(k)), 3) end
      cfg[key] = v
    end
  end
  -- only a row count given: about 100 rows per user
  if cfg.users == nil and type(cfg.events) == "number" then
    cfg.users = math.max(1, math.floor(cfg.events / 100))
  end
  return cfg
end

--- sim.new(cfg) -> simulator object (methods: write, write_truth, truth, visits, future,
--- config, free). Construction with `events` set runs a visits-only pass to calibrate.
function M.new(opts)
  return guarded("sim.new", core.new, engine_config(opts, "sim.new"))
end

-- x.csv.gz / x.csv / x -> x.truth.json
function M.truth_path(out)
  local stem = out:gsub("%.gz$", ""):gsub("%.csv$", ""):gsub("%.tsv$", "")
  return stem .. ".truth.json"
end

--- sim.generate{users=, events=, seed=, decay="exponential"|"mixture"|"power", out="x.csv[.gz]",
---   truth=path|false, user_truth=true, level=1..9 (gzip, default 1), threads=0 (one per core),
---   chunk_users=0 (users per block, automatic), funnel={click=,cart=,fav=,buy=},
---   ...model options (see engine_keys)} -> summary, truth
--- The CSV bytes never depend on threads or chunk_users; gzip bytes do not depend on threads.
--- summary: rows, users, visits, behaviors{pv,click,cart,fav,buy}, bytes (CSV), path,
---   truth_path, seconds (wall: calibration + log; not the truth JSON), rows_per_second,
---   config (effective, after calibration).
--- truth: {decay, time_unit = "day", segments = {...}, users = {segment, rate, theta, mu, alpha,
---   beta, branching, churn, react, visits, alive, sentiment} tensors (nil when truth_tensors = false;
---   the default is true up to a million users)}.
function M.generate(opts)
  local cfg = engine_config(opts, "sim.generate")
  if type(opts.out) ~= "string" or opts.out == "" then
    error("sim.generate: 'out' (path of the .csv or .csv.gz to write) is required", 2)
  end
  local truth_path = opts.truth
  if truth_path == nil then truth_path = M.truth_path(opts.out) end
  if truth_path ~= false and type(truth_path) ~= "string" then
    error("sim.generate: 'truth' must be a path or false", 2)
  end
  local s = guarded("sim.generate", core.new, cfg)
  local ok, summary = pcall(s.write, s, opts.out, opts.level, opts.threads, opts.chunk_users)
  if ok and truth_path then
    local tok, err = pcall(s.write_truth, s, truth_path, opts.user_truth ~= false)
    if not tok then ok, summary = false, err end
  end
  if not ok then s:free(); guarded("sim.generate", error, summary, 0) end
  local conf = s:config()
  summary.path, summary.truth_path = opts.out, truth_path or nil
  summary.users, summary.config = conf.users, conf
  summary.seconds = summary.seconds + summary.build_seconds -- wall: calibration + writing
  summary.rows_per_second = summary.seconds > 0 and summary.rows / summary.seconds or nil
  local truth = { decay = conf.decay, time_unit = "day", segments = conf.segments }
  local want = opts.truth_tensors
  if want == nil then want = conf.users <= 1e6 end -- large runs: read the JSON instead
  if want then truth.users = s:truth() end
  s:free()
  return summary, truth
end

local function as_index_tensor(x, what, fn)
  if T.is_tensor and T.is_tensor(x) then return x end
  if type(x) ~= "table" then
    error(("%s: '%s' must be a list or a tensor, got %s"):format(fn, what, type(x)), 3)
  end
  local vals = {}
  for i, v in ipairs(x) do
    if type(v) == "boolean" then v = v and 1 or 0 end
    if type(v) ~= "number" or v ~= math.floor(v) then
      error(("%s: %s[%d] must be an integer, got %s"):format(fn, what, i, tostring(v)), 3)
    end
    vals[i] = v
  end
  if #vals == 0 then return T.zeros({ 0 }, "i32") end
  return T.fromtable(vals, "i32")
end

--- sim.future(cfg, {users = {ids} | tensor, treated = {bool} | tensor | nil, effect = 0.3,
---   window = 30}) -> {returned, first, visits} tensors, one entry per listed user.
--- cfg is the log's config (the table given to generate). Each listed user's logged history
--- is continued `window` days past the log's end; treated users get reactivation hazard
--- x (1 + effect) and churn hazard / (1 + effect). Treated and control share random numbers,
--- so effect = 0 reproduces the control exactly. first = days to the first return (NaN: none).
function M.future(cfg, exp)
  cfg = engine_config(cfg, "sim.future")
  if type(exp) ~= "table" then error("sim.future: argument #2 must be a table {users=, treated=, effect=, window=}", 2) end
  for k in pairs(exp) do
    if k ~= "users" and k ~= "treated" and k ~= "effect" and k ~= "window" then
      error(("sim.future: unknown option '%s'"):format(tostring(k)), 2)
    end
  end
  if exp.users == nil then error("sim.future: 'users' (ids to simulate) is required", 2) end
  local users = as_index_tensor(exp.users, "users", "sim.future")
  local treated = exp.treated ~= nil and as_index_tensor(exp.treated, "treated", "sim.future") or nil
  local effect, window = exp.effect or 0, exp.window or 30
  if type(effect) ~= "number" or type(window) ~= "number" then
    error("sim.future: 'effect' and 'window' must be numbers", 2)
  end
  local s = guarded("sim.future", core.new, cfg)
  local ok, ret, first, visits = pcall(s.future, s, users, treated, effect, window)
  s:free()
  if not ok then guarded("sim.future", error, ret, 0) end
  return { returned = ret, first = first, visits = visits }
end

--- sim.visits(cfg, user) -> times (days from the log start), kinds (0 join, 1 decay-law return,
--- 2 self-excited, 3 reactivation), alive_at_end. For checking fits against the process.
function M.visits(cfg, user)
  local s = guarded("sim.visits", core.new, engine_config(cfg, "sim.visits"))
  local ok, t, k, alive = pcall(s.visits, s, user)
  s:free()
  if not ok then guarded("sim.visits", error, t, 0) end
  return t, k, alive
end

--- sim.profile(cfg, user) -> θ_u (f32 tensor [categories], sums to 1), top category (1-based):
--- the category interest profile that decay-law return visits draw their category from.
function M.profile(cfg, user)
  local s = guarded("sim.profile", core.new, engine_config(cfg, "sim.profile"))
  local ok, p, top = pcall(s.profile, s, user)
  s:free()
  if not ok then guarded("sim.profile", error, p, 0) end
  return p, top
end

--- sim.read_truth(path) -> the truth JSON as a table, plus t.user_table: one Lua array per
--- user column (user_id, segment, rate, theta (arrays), mu, alpha, beta, branching, churn,
--- react, visits, alive_at_end, top_category), indexed by user id.
function M.read_truth(path)
  if type(path) ~= "string" then error("sim.read_truth: path must be a string", 2) end
  local f, err = io.open(path, "rb")
  if not f then error("sim.read_truth: " .. tostring(err), 2) end
  local text = f:read("*a")
  f:close()
  local ok, t = pcall(require("tide.data.json").decode, text)
  if not ok or type(t) ~= "table" or t.format ~= "tide.sim.truth/1" then
    error(("sim.read_truth: '%s' is not a tide.sim truth file (%s)"):format(path,
      ok and "format mismatch" or tostring(t)), 2)
  end
  local cols = {}
  for j, name in ipairs(t.user_columns or {}) do
    local col = {}
    for i, row in ipairs(t.users or {}) do col[i] = row[j] end
    cols[name] = col
  end
  t.user_table = cols
  return t
end

return M
