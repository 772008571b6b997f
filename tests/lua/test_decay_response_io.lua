-- test_decay_response_io.lua — save / load of response-kernel fits (with segments) and of the
-- interest recommender that holds one: exact reload (parameters, standard errors, scores bit
-- for bit), atomic files, and errors naming the file and kind.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local R = tide.decay.response
local tests = {}
local DAY = 86400

-- a small log: 60 (user, item) pairs, browses / carts / buys on a 40-day window
local function log(seed)
  math.randomseed(seed)
  local c = { user = {}, item = {}, event = {}, time = {}, category = {} }
  for p = 1, 60 do
    local u, i = (p - 1) % 20 + 1, math.floor((p - 1) / 20) + 1
    local t = math.random() * 10
    while t < 40 do
      local r = math.random()
      local code = r < 0.6 and 1 or (r < 0.85 and 3 or 5)
      c.user[#c.user + 1], c.item[#c.item + 1], c.event[#c.event + 1] = u, i, code
      c.time[#c.time + 1], c.category[#c.category + 1] = math.floor(t * DAY), i % 2 + 1
      t = t + (code == 3 and 0.5 or 3) * math.random()
    end
  end
  return tide.data.from_columns{ user = T.fromtable(c.user, "i32"), item = T.fromtable(c.item, "i32"),
    event = T.fromtable(c.event, "i32"), time = T.fromtable(c.time, "i64"), category = T.fromtable(c.category, "i32") }
end

local function tmp(name) return os.tmpname() .. name end

function tests.response_fit_reloads_exactly()
  local ev = log(3)
  local f = R.fit(ev, { key = "item", target = "buy", family = "exponential", segment = "category" })
  local path = tmp("resp.tm")
  f:save(path)
  local g = tide.decay.load(path)
  local g2 = R.load(path)
  os.remove(path)
  for _, k in ipairs({ "family", "k", "mu", "se_mu", "loglik", "aic", "half_life", "unit", "origin", "max_hist", "key", "target" }) do
    check.eq(g[k], f[k], k)
    check.eq(g2[k], f[k], k)
  end
  for name, w in pairs(f.weights) do check.eq(g.weights[name], w, name); check.eq(g.se_weights[name], f.se_weights[name]) end
  check.eq(#g.theta, #f.theta)
  for i = 1, #f.theta do check.eq(g.theta[i], f.theta[i]) end
  local n = 0
  for s, sf in pairs(f.segments) do
    n = n + 1
    check.eq(g.segments[s].weights.cart, sf.weights.cart, "segment " .. s)
  end
  check.eq(n, 2)
  -- the reloaded law predicts bit for bit
  local a, b = f:expected(ev, ev.time:max():item(), 14), g:expected(ev, ev.time:max():item(), 14)
  local sa, sb = a.score:totable(), b.score:totable()
  for i = 1, #sa do check.eq(sb[i], sa[i], "score " .. i) end
end

function tests.interest_model_reloads_and_scores_identically()
  local ev = log(5)
  local m = tide.models.interest{ family = "exponential", horizon = 7, marked = true }:fit(ev)
  local path = tmp("interest.tm")
  m:save(path)
  local m2 = tide.models.load(path)
  os.remove(path)
  local users = T.fromtable({ 1, 2, 3, 20 }, "i32")
  local s1, s2 = m:score(users), m2:score(users)
  check.eq(s1:shape()[2], s2:shape()[2])
  check.eq((s1 - s2):abs():max():item(), 0, "bit-identical scores")
  check.eq(m2:topk(users, 2, { exclude_seen = false }):totable()[1][1], m:topk(users, 2, { exclude_seen = false }):totable()[1][1])
  check.eq(m2.law.weights.cart, m.law.weights.cart)
  check.errors(function() tide.models.interest{}:save(tmp("x.tm")) end, "not fitted")
end

function tests.load_errors_name_the_file_and_kind()
  check.errors(function() tide.decay.load("/nonexistent/d16.tm") end, "decay.load")
  local ev = log(7)
  local f = tide.decay.fit(ev, { family = "exponential" })
  local path = tmp("gap.tm")
  f:save(path)
  check.errors(function() R.load(path) end, "not one of the kinds")
  os.remove(path)
  check.errors(function() R.fit(ev, { key = "item" }):save("") end, "path must be a non-empty string")
end

return tests
