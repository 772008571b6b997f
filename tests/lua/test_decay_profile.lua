-- test_decay_profile.lua — tide.decay.profile with any fitted law as the weight (a response
-- kernel with its learned type weights, a Hawkes law, a return-gap fit) and per-user top-k;
-- expectations computed by hand from the closed-form curves.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local tests = {}
local DAY = 86400

-- user 1: item 1 clicked at day 0 and carted at day 2, item 2 browsed at day 1, item 3 bought
-- at day 4; user 2: item 2 clicked at day 3. Events: browse 1, click 2, cart 3, fav 4, buy 5.
local function log()
  return U.events({ user = { 1, 1, 1, 1, 2 }, item = { 1, 1, 2, 3, 2 }, event = { 2, 3, 1, 5, 2 },
                    time = { 0, 2 * DAY, DAY, 4 * DAY, 3 * DAY }, n_items = 3 })
end

local function row(p, u)
  local out = {}
  for _, kv in ipairs(p:of(u)) do out[kv[1]] = kv[2] end
  return out
end

function tests.response_kernel_law_brings_its_type_weights()
  local law = setmetatable({ family = "exponential", k = 2, theta = { 0.3 }, unit = DAY, type_names = { "click", "cart", "buy" },
                             weights = { click = 0.5, cart = 2, buy = 0.25 } }, tide.decay.response.Fit)
  local p = tide.decay.profile(log(), { by = "item", law = law, at = 5 * DAY })
  local S = function(a) return math.exp(-0.3 * a) end
  local r1 = row(p, 1)
  check.near(r1[1], 0.5 * S(5) + 2 * S(3), 1e-6, "click + cart")
  check.eq(r1[2], nil, "browse has no learned weight: weight 0, below the zero threshold")
  check.near(r1[3], 0.25 * S(1), 1e-6)
  check.near(row(p, 2)[2], 0.5 * S(2), 1e-6)
  -- explicit weights override the law's
  local q = tide.decay.profile(log(), { by = "item", law = law, at = 5 * DAY, weights = { click = 1, cart = 1, browse = 1 } })
  check.near(row(q, 1)[2], S(4), 1e-6)
end

function tests.hawkes_and_return_gap_laws()
  local hk = { mu = 0.1, alpha = 0.4, beta = 0.5, unit = DAY }
  local p = tide.decay.profile(log(), { by = "item", law = hk, at = 5 * DAY })
  check.near(row(p, 1)[1], math.exp(-0.5 * 5) + math.exp(-0.5 * 3), 1e-6, "e^(−β·age) per visit")
  local f = tide.decay.fit(log(), { family = "hyperbolic", t_end = 5 * DAY })
  local lam = f.theta:get(1, 1)
  local q = tide.decay.profile(log(), { by = "item", law = f, at = 5 * DAY })
  check.near(row(q, 1)[3], 1 / (1 + lam * 1), 1e-5, "hyperbolic S(1)")
end

function tests.top_k_per_user()
  local p = tide.decay.profile(log(), { by = "item", half_life = 1, at = 5 * DAY })
  local t = tide.decay.profile(log(), { by = "item", half_life = 1, at = 5 * DAY, top_k = 2 })
  local full, top = p:of(1), t:of(1)
  check.eq(#full, 3)
  check.eq(#top, 2)
  for i = 1, 2 do check.eq(top[i][1], full[i][1]); check.near(top[i][2], full[i][2], 0) end
  -- stored strongest first: item 3 (age 1) then item 1 (ages 5 and 3)
  check.eq(t.key:get(1), 3); check.eq(t.key:get(2), 1)
  check.eq(t.off:get(3) - t.off:get(2), 1, "user 2 keeps its single key")
  local one = tide.decay.profile(log(), { by = "item", half_life = 1, at = 5 * DAY, top_k = 1 })
  check.eq(one.key:numel(), 2)
end

function tests.profile_bad_options()
  check.errors(function() tide.decay.profile(log(), { by = "item", law = 5 }) end, "opts.law must be a fitted law")
  check.errors(function() tide.decay.profile(log(), { by = "item", law = { foo = 1 } }) end, "not a fitted decay law")
  check.errors(function() tide.decay.profile(log(), { by = "item", top_k = 0 }) end, "top_k must be an integer >= 1")
  check.errors(function() tide.decay.profile(log(), { by = "item", top_k = 1.5 }) end, "top_k must be an integer")
  check.errors(function() tide.decay.profile(log(), { by = "item", top_k = 2, dense = true }) end, "drop dense")
  check.errors(function() tide.core.decay.rows_topk(tide.tensor.fromtable({ 0, 1 }, "i64"), tide.tensor.fromtable({ 1 }, "i32"),
    tide.tensor.fromtable({ 1 }), 0) end, "k must be")
end

return tests
