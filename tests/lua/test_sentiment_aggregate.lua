-- test_sentiment_aggregate.lua — review weights in tide.sentiment.aggregate / item_series come
-- from tide.decay (C): the default exponential half-life law reproduces the former Lua closed
-- form 2^(-(now - t)/h) bit for bit; fitted laws (exponential, Weibull from tide.decay.fit) and
-- parameter tables (power law, mixture) weight by their closed-form survival written out here;
-- future reviews carry no weight; bad laws fail with a clear message.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local S = tide.sentiment

local T = {}
local DAY = 86400

-- Deterministic reviews over ~200 days on a few users and items.
local function reviews(n, seed)
  local r = U.rng(seed)
  local rec = { user = {}, item = {}, time = {}, score = {} }
  for i = 1, n do
    rec.user[i] = "u" .. math.floor(r() * 5)
    rec.item[i] = "i" .. math.floor(r() * 4)
    rec.time[i] = math.floor(r() * 200 * DAY) + r() -- fractional seconds too
    rec.score[i] = 2 * r() - 1
  end
  return rec
end

-- Reference: weighted means per item in first-seen order with weight function wf(age).
local function by_item(rec, now, wf, prior)
  local acc, order = {}, {}
  for i = 1, #rec.time do
    local t = rec.time[i]
    if t <= now then
      local k = rec.item[i]
      if not acc[k] then acc[k] = { sw = 0, sws = 0, n = 0 }; order[#order + 1] = k end
      local w = wf(now - t)
      acc[k].sw, acc[k].sws, acc[k].n = acc[k].sw + w, acc[k].sws + w * rec.score[i], acc[k].n + 1
    end
  end
  local out = { item = {}, sentiment = {}, weight = {}, n = {} }
  for j, k in ipairs(order) do
    out.item[j], out.weight[j], out.n[j] = k, acc[k].sw, acc[k].n
    out.sentiment[j] = acc[k].sws / (acc[k].sw + (prior or 0))
  end
  return out
end

local function same_items(got, want, tol, what)
  check.eq(#got.item, #want.item, what .. ": rows")
  for j = 1, #want.item do
    check.eq(got.item[j], want.item[j], what .. ": item order")
    check.eq(got.n[j], want.n[j], what .. ": count")
    if tol == 0 then
      check.eq(got.weight[j], want.weight[j], what .. ": weight (exact)")
      check.eq(got.sentiment[j], want.sentiment[j], what .. ": sentiment (exact)")
    else
      check.near(got.weight[j], want.weight[j], tol, what .. ": weight")
      check.near(got.sentiment[j], want.sentiment[j], tol, what .. ": sentiment")
    end
  end
end

function T.exponential_default_equals_closed_form()
  local rec = reviews(400, 1)
  local now = 150 * DAY + 0.25
  for _, h in ipairs { 30 * DAY, 7.5 * DAY, 1 } do
    local e = S.aggregate(rec, { half_life = h, now = now, prior = 0.5 })
    -- the closed form the module used before (bit-identical: same pow(2, x), same order)
    same_items(e.item, by_item(rec, now, function(a) return 2 ^ (-a / h) end, 0.5), 0, "h=" .. h)
    check.eq(e.half_life, h, "half_life reported")
  end
  -- no opts: 30 days, now = the latest review
  local e = S.aggregate(rec)
  local latest = -math.huge
  for _, t in ipairs(rec.time) do latest = math.max(latest, t) end
  check.eq(e.now, latest)
  same_items(e.item, by_item(rec, latest, function(a) return 2 ^ (-a / (30 * DAY)) end), 0, "defaults")
  -- the same law spelled as a table gives the same numbers
  local e2 = S.aggregate(rec, { law = { family = "exponential", half_life = 30, unit = "day" }, now = latest })
  same_items(e2.item, e.item, 1e-13, "law table, days")
  -- the engine's aliases name the same family ("exp": exponential, lambda = ln 2 / half-life)
  local e3 = S.aggregate(rec, { law = { family = "EXP", lambda = math.log(2) / 30, unit = "day" }, now = latest })
  same_items(e3.item, e.item, 1e-12, "alias exp")
end

function T.item_series_default_matches_direct_sums()
  local rec = reviews(120, 2)
  local q = { item = {}, time = {} }
  for j = 1, 40 do q.item[j] = "i" .. (j % 5); q.time[j] = j * 5 * DAY end -- "i4" has no review
  for _, law in ipairs { false, { family = "weibull", lambda = 0.05, k = 0.6, unit = "day" } } do
    local h = 20 * DAY
    local wf = law and function(a) return math.exp(-(0.05 * a / DAY) ^ 0.6) end
      or function(a) return 2 ^ (-a / h) end
    local got = S.item_series(rec, q, law and { law = law } or { half_life = h })
    for j = 1, #q.time do
      local sw, sws = 0, 0
      for i = 1, #rec.time do
        if rec.item[i] == q.item[j] and rec.time[i] <= q.time[j] then
          local w = wf(q.time[j] - rec.time[i])
          sw, sws = sw + w, sws + w * rec.score[i]
        end
      end
      check.near(got[j], sw > 0 and sws / sw or 0, 1e-9, ("query %d (%s)"):format(j, law and "weibull" or "default"))
    end
  end
end

function T.power_law_and_mixture_tables()
  local rec = reviews(300, 3)
  local now = 180 * DAY
  local e = S.aggregate(rec, { law = { family = "power", lambda = 0.3, a = 1.7, unit = "day" }, now = now })
  same_items(e.item, by_item(rec, now, function(a) return (1 + 0.3 * a / DAY) ^ -1.7 end), 1e-12, "power")
  check.near(e.half_life, (2 ^ (1 / 1.7) - 1) / 0.3 * DAY, 1e-5, "power half-life (seconds)")
  local m = S.aggregate(rec, { law = { family = "mixture", w = { 0.3, 0.7 }, lambda = { 1e-5, 1e-7 } }, now = now })
  same_items(m.item, by_item(rec, now, function(a) return 0.3 * math.exp(-1e-5 * a) + 0.7 * math.exp(-1e-7 * a) end),
    1e-12, "mixture (seconds)")
  local hyp = S.aggregate(rec, { law = { family = "hyperbolic", theta = { 2e-6 } }, now = now })
  same_items(hyp.item, by_item(rec, now, function(a) return 1 / (1 + 2e-6 * a) end), 1e-12, "hyperbolic theta")
end

function T.fitted_laws_weight_by_their_survival()
  -- Weibull return gaps (k = 0.6, lambda = 0.1 / day) -> a global Weibull fit
  local cols = U.simulate(400, 60, function(r) return (-math.log(r())) ^ (1 / 0.6) / 0.1 end, 5)
  local ev = U.events(cols)
  local fit = tide.decay.fit(ev, { family = "weibull", per = "global", t_end = 60 * DAY })
  local p = fit:params(1)
  check.truthy(p.k > 0.4 and p.k < 0.8, "fitted shape " .. p.k)
  local rec = reviews(300, 4)
  local now = 170 * DAY
  local e = S.aggregate(rec, { law = fit, now = now })
  -- the fit's parameters are f32 in its tensor: compare at that precision of θ, exactly in t
  same_items(e.item, by_item(rec, now, function(a) return math.exp(-(p.lambda * a / DAY) ^ p.k) end),
    1e-12, "weibull fit")
  check.near(e.half_life, math.log(2) ^ (1 / p.k) / p.lambda * DAY, 1e-4, "weibull half-life")
  -- a per-user exponential fit: pick a series
  local fu = tide.decay.fit(ev, { family = "exponential", per = "user", t_end = 60 * DAY })
  local lam = fu:params(3).lambda
  local e3 = S.aggregate(rec, { law = fu, series = 3, now = now })
  same_items(e3.item, by_item(rec, now, function(a) return math.exp(-lam * a / DAY) end), 1e-12, "user 3 exponential")
  check.errors(function() S.aggregate(rec, { law = fu, series = 401 }) end, "series must be an integer in 1..400")
  local s = S.item_series(rec, { item = { "i1" }, time = { now } }, { law = fu, series = 3 })
  check.near(s[1], e3.item.sentiment[(function() for j, it in ipairs(e3.item.item) do if it == "i1" then return j end end end)()],
    1e-9, "item_series = aggregate at now (memoryless recursion)")
end

function T.future_reviews_ignored()
  local rec = { user = { "a", "a", "b" }, item = { "x", "x", "x" }, time = { 0, 10 * DAY, 20 * DAY },
                score = { 1, -1, 0.5 } }
  for _, opts in ipairs { { half_life = DAY }, { law = { family = "power", lambda = 1, a = 2, unit = "day" } } } do
    opts.now = 10 * DAY
    local e = S.aggregate(rec, opts)
    check.eq(e.item.n[1], 2, "the review after now is not counted")
    local w0 = opts.half_life and 2 ^ -10 or (1 + 10) ^ -2
    check.near(e.item.weight[1], w0 + 1, 1e-12, "weights of the two past reviews")
    check.eq(#e.user_item.user, 1, "user b has no past review")
  end
  -- a law's survival at a negative age is 0 in C too
  local w = tide.core.decay.weights("weibull", 2, { 0.1, 0.7 }, { -1, 0, 1 })
  check.eq(w[1], 0); check.eq(w[2], 1)
end

function T.bad_laws_error_clearly()
  local rec = reviews(10, 6)
  local function errs(opts, pat) check.errors(function() S.aggregate(rec, opts) end, pat) end
  errs({ law = { family = "gamma", lambda = 1 } }, "unknown law family 'gamma'")
  errs({ law = { family = "weibull", lambda = 1 } }, "law.k must be a finite number > 0, got nil")
  errs({ law = { family = "power", lambda = -1, a = 2 } }, "law.lambda must be a finite number > 0")
  errs({ law = { family = "power", lambda = 0 / 0, a = 2 } }, "law.lambda must be a finite number > 0")
  errs({ law = { family = "weibull", lambda = 1, k = 1, lamda = 2 } }, "law.lamda is not a parameter of the weibull law")
  errs({ law = { family = "mixture", w = { 0.5, 0.6 }, lambda = { 1, 2 } } }, "mixture weights sum to")
  errs({ law = { family = "mixture", w = { 1 }, lambda = { 1, 2 } } }, "arrays w and lambda of equal length")
  errs({ law = { family = "hyperbolic", theta = { 1, 2 } } }, "hyperbolic needs 1 parameters, got 2")
  errs({ law = { family = "exponential", half_life = 1, lambda = 1 } }, "half_life or lambda, not both")
  errs({ law = { family = "exponential", lambda = 1, unit = "fortnight" } }, "law.unit must be seconds or one of")
  errs({ law = "weibull" }, "law must be a tide.decay.fit result or a table")
  errs({ law = { family = "weibull", lambda = 1, k = 1 }, half_life = 5 }, "give law or half_life, not both")
  errs({ half_life = 0 }, "half_life must be > 0")
  errs({ half_life = -1 / 0 }, "half_life must be > 0")
  errs({ now = 0 / 0 }, "now must be a number")
  local bad = reviews(3, 7)
  bad.time[2] = 0 / 0
  check.errors(function() S.aggregate(bad) end, "time[2] is not a number")
  check.errors(function() S.item_series(rec, { item = { 1 } }) end, "queries must be")
  check.errors(function() tide.core.decay.weights("weibull", 2, { 1, 1 }, { 0 / 0 }) end, "age 1 is NaN")
end

return T
