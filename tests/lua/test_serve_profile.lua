-- test_serve_profile.lua — the scoring service's shared decayed profile (tide.serve.profile)
-- outside nginx, over a table-backed dict: equals the explicit batch sum Σ w·2^(−age/hl) and
-- tide.decay.online at any query time, whatever the arrival order; weights; bad input named;
-- the serving config reader's errors.
local check = require "check"
local tide = require "tide"
local profile = require "tide.serve.profile"

local tests = {}
local DAY = 86400

local function events(seed, n)
  math.randomseed(seed)
  local e = {}
  for i = 1, n do e[i] = { math.random(3), math.random(4), math.random(5), 1.7e9 + math.random(0, 40 * DAY) } end
  return e
end

function tests.equals_batch_sum_in_any_order()
  local ev = events(3, 200)
  local W = { 1, 2, 4, 3, 5 }
  local opts = { half_life = 5, t0 = 1.7e9 + 20 * DAY, weights = { browse = 1, click = 2, cart = 4, fav = 3, buy = 5 } }
  local P1, P2 = profile.new(profile.table_dict(), opts), profile.new(profile.table_dict(), opts)
  for _, e in ipairs(ev) do assert(P1:add(e[1], e[2], e[3], e[4])) end
  for i = #ev, 1, -1 do local e = ev[i]; assert(P2:add(e[1], e[2], e[3], e[4])) end
  local online = tide.decay.online.new{ half_life = 5, weights = opts.weights }
  for _, e in ipairs(ev) do online:add(e[1], e[2], e[3], e[4]) end
  for _, t in ipairs({ 1.7e9 + 41 * DAY, 1.7e9 + 60 * DAY + 3600 }) do
    for u = 1, 3 do
      for k = 1, 4 do
        local want = 0
        for _, e in ipairs(ev) do
          if e[1] == u and e[2] == k then want = want + W[e[3]] * 2 ^ (-(t - e[4]) / (5 * DAY)) end
        end
        check.near(P1:value(u, k, t), want, 1e-12, "batch sum")
        check.near(P2:value(u, k, t), want, 1e-12, "reversed order")
        check.near(P1:value(u, k, t), online:value(u, k, t), 1e-12, "decay.online")
      end
      local vals = P1:values(u, { 1, 2, 3, 4 }, t)
      for k = 1, 4 do check.near(vals[k], P1:value(u, k, t), 1e-15, "values") end
    end
  end
  check.eq(P1:value(9, 9, 1.7e9), 0, "no events: 0")
  check.eq(P1:signature() == profile.new(profile.table_dict(), { half_life = 6, t0 = opts.t0 }):signature(), false,
           "another law, another signature")
end

function tests.weights_and_errors()
  local P = profile.new(profile.table_dict(), { lambda = 0.1, unit = 3600, t0 = 0, weights = { cart = 2 } })
  assert(P:add(1, 1, "cart", 0)); assert(P:add(1, 1, "pv", 0)) -- pv weighs 0 once any weight is given
  check.near(P:value(1, 1, 3600), 2 * math.exp(-0.1), 1e-14, "lambda per unit")
  local ok, err = P:add(1, 1, "teleport", 0)
  check.eq(ok, nil); check.truthy(err:find("unknown event type", 1, true), err)
  ok, err = P:add(1, 1, "cart", 1e9)
  check.eq(ok, nil); check.truthy(err:find("too far", 1, true), err)
  ok, err = P:add(1, 1, "cart", 0 / 0)
  check.truthy(err:find("time must be a number", 1, true), err)
  check.errors(function() profile.new(profile.table_dict(), { half_life = 7 }) end, "t0")
  check.errors(function() profile.new(profile.table_dict(), { half_life = -1, t0 = 0 }) end, "half_life must be")
  check.errors(function() profile.new(profile.table_dict(), { lambda = 0, t0 = 0 }) end, "lambda must be")
  check.errors(function() profile.new(profile.table_dict(), { t0 = 0, weights = { nap = 1 } }) end, "unknown event type 'nap'")
  check.errors(function() profile.new(nil, { t0 = 0 }) end, "dict must be")
end

function tests.config_reader()
  local state = require "tide.serve.state"
  local path = os.tmpname()
  local function write(s) local f = assert(io.open(path, "w")); f:write(s); f:close() end
  write('return { model = "m.tm", events = "/abs/h.csv", half_life = 3 }')
  local c = state.read_config(path)
  check.eq(c.model, (path:match("^(.*)/") or ".") .. "/m.tm", "relative to the config")
  check.eq(c.events, "/abs/h.csv", "absolute kept")
  check.eq(c.max_k, 100, "default max_k"); check.eq(c.exclude_seen, true, "default exclude_seen")
  write('return { model = "m", events = "e", top_k = 3 }')
  check.errors(function() state.read_config(path) end, "unknown option 'top_k'")
  write('return { events = "e" }')
  check.errors(function() state.read_config(path) end, "model")
  write('return { model = "m", events = "e", interest_by = "brand" }')
  check.errors(function() state.read_config(path) end, "interest_by must be")
  write('return 42')
  check.errors(function() state.read_config(path) end, "must return a table")
  os.remove(path)
  check.errors(function() state.read_config(path) end, "cannot read config")
end

return tests
