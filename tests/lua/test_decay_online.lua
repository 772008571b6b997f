-- test_decay_online.lua — query-time decayed interest updated event by event equals the batch
-- profile (tide.decay.profile) at any query time, in any arrival order, for the exponential
-- recursion and for a stored-events law; bad inputs are named.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local O = tide.decay.online

local tests = {}
local DAY = 86400

local function log(seed, n)
  math.randomseed(seed)
  local c = { user = {}, item = {}, category = {}, event = {}, time = {} }
  for i = 1, n do
    c.user[i], c.item[i], c.category[i] = math.random(5), math.random(20), math.random(4)
    c.event[i], c.time[i] = math.random(5), math.random(0, 30 * DAY)
  end
  table.sort(c.time)
  return tide.data.from_columns(c)
end

local W = { browse = 1, click = 2, cart = 3, fav = 4, buy = 5 }

local function compare(online, ev, spec, at)
  local dense = tide.decay.profile(ev, { by = "category", dense = true, at = at, weights = W,
                                         half_life = spec.half_life, family = spec.family, theta = spec.theta }):totable()
  for u = 1, #dense do
    for c = 1, #dense[u] do
      check.near(online:value(u, c, at), dense[u][c], 1e-5, ("user %d category %d at %d"):format(u, c, at))
    end
  end
end

function tests.exponential_recursion_equals_the_batch_profile_in_any_order()
  local ev = log(1, 300)
  local P = O.new{ half_life = 3, weights = W }
  -- shuffled arrival: the recursion also absorbs late (out-of-order) events exactly
  local u, c, e, t = ev.user:totable(), ev.category:totable(), ev.event:totable(), ev.time:totable()
  local order = {}
  for i = 1, #u do order[i] = i end
  for i = #order, 2, -1 do local j = math.random(i); order[i], order[j] = order[j], order[i] end
  for _, i in ipairs(order) do P:add(u[i], c[i], e[i], t[i]) end
  compare(P, ev, { half_life = 3 }, 31 * DAY)
  compare(P, ev, { half_life = 3 }, 45 * DAY)
  local top = P:top(1, 45 * DAY, 2)
  check.eq(#top, 2, "top-2"); check.truthy(top[1][2] >= top[2][2], "strongest first")
end

function tests.stored_events_law_equals_the_batch_profile_at_any_time()
  local ev = log(2, 200)
  local P = O.new{ family = "power", theta = { 0.5, 1.5 }, weights = W }:add_events(ev, "category")
  compare(P, ev, { family = "power", theta = { 0.5, 1.5 } }, 15 * DAY) -- events after t do not count
  compare(P, ev, { family = "power", theta = { 0.5, 1.5 } }, 40 * DAY)
end

function tests.bad_inputs_are_named()
  check.errors(function() O.new{ half_life = -1 } end, "half_life must be a number of days > 0")
  local P = O.new{ half_life = 1 }
  check.errors(function() P:add(1, 1, "refund", 0) end, "unknown event type 'refund'")
  check.errors(function() P:add(1, 1, "buy", 0 / 0) end, "time must be a number")
  P:add(1, 1, "buy", 100)
  check.errors(function() P:value(1, 1, 50) end, "query time precedes")
  check.eq(P:value(2, 1, 200), 0, "unknown user has no interest")
end

return tests
