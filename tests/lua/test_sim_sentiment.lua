-- test_sim_sentiment.lua — the simulator's review-sentiment signal: strength 0 changes nothing,
-- ratings leave every other field unchanged, the truth hazards carry e^(s z), ratings follow
-- their closed form, and (H(X, E) = P) the decay-weighted sentiment feature raises held-out
-- AUC of a logistic model when, and only when, sentiment drives returns.
local tide = require "tide"
local check = require "check"
local T = tide.tensor
local A = tide.activation

local DAY = 86400
local base = os.tmpname()
local function path(name) return base .. "_" .. name end

local function slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local tests = {}

function tests.strength_zero_and_ratings_leave_the_log_unchanged()
  local cfg = { users = 200, seed = 3, horizon = 60 }
  local function gen(name, extra)
    local o = {}
    for k, v in pairs(cfg) do o[k] = v end
    for k, v in pairs(extra) do o[k] = v end
    o.out, o.truth = path(name), false
    tide.sim.generate(o)
    local s = slurp(o.out)
    os.remove(o.out)
    return s
  end
  local plain = gen("a.csv", {})
  check.eq(gen("b.csv", { sentiment = 0 }), plain, "sentiment = 0 is byte-identical")
  local rated = gen("c.csv", { p_review = 0.7 })
  check.truthy(rated:sub(1, 70):find("dwell,rating\n", 1, true), "rating column in the header")
  -- dropping the rating field gives back the plain log
  local stripped = rated:gsub(",rating\n", "\n", 1):gsub(",[1-5]?\n", "\n")
  check.eq(stripped, plain, "ratings leave every other field unchanged")
  local nb, nr = 0, 0
  for line in rated:gmatch("[^\n]+") do
    if line:find(",buy,", 1, true) then
      nb = nb + 1
      if line:match(",[1-5]$") then nr = nr + 1 end
    else
      check.truthy(line:sub(-1) == "," or line:find("rating", 1, true), "only buy rows carry ratings")
    end
  end
  -- binomial(nb, 0.7): 4.5 standard deviations
  check.truthy(math.abs(nr - 0.7 * nb) < 4.5 * math.sqrt(nb * 0.21), ("reviewed share %d/%d ~ 0.7"):format(nr, nb))
end

function tests.truth_hazards_carry_the_multiplier()
  local cfg = { users = 500, seed = 9 }
  local s0 = tide.sim.new(cfg)
  local t0 = s0:truth(); s0:free()
  cfg.sentiment = 0.8
  local s1 = tide.sim.new(cfg)
  local t1 = s1:truth(); s1:free()
  check.eq((t1.sentiment - t0.sentiment):abs():max():item(), 0, "z_u does not depend on the strength")
  local z = t0.sentiment
  check.near(z:mean():item(), 0, 0.15, "z ~ N(0, 1): mean") -- 4.5 sd of the mean of 500
  check.near(z:std():item(), 1, 0.15, "z ~ N(0, 1): sd")
  local m = (z * 0.8):exp()
  check.truthy(((t1.react - t0.react * m):abs() / t1.react):max():item() < 1e-5, "react x e^(s z)")
  check.truthy(((t1.churn - t0.churn / m):abs() / t1.churn):max():item() < 1e-5, "churn / e^(s z)")
  check.eq((t1.rate - t0.rate):abs():max():item(), 0, "decay-law rate unchanged")
end

-- review_noise = 0: rating = clamp(round(3 + 1.5 z), 1, 5) exactly
function tests.noiseless_ratings_follow_the_latent_sentiment()
  local out = path("r.csv")
  local _, truth = tide.sim.generate{ users = 300, seed = 4, out = out, truth = false, p_review = 1,
                                      review_noise = 0, funnel = { click = 0.8, cart = 0.8, fav = 0.8, buy = 0.8 } }
  local z = truth.users.sentiment:totable()
  local n = 0
  for line in io.lines(out) do
    local u, r = line:match("^(%d+),.*,buy,.*,(%d)$")
    if u then
      local want = math.max(1, math.min(5, math.floor(3 + 1.5 * z[tonumber(u)] + 0.5)))
      check.eq(tonumber(r), want, "rating of user " .. u)
      n = n + 1
    end
  end
  os.remove(out)
  check.truthy(n > 100, "enough reviews checked")
end

function tests.bad_options_are_errors()
  check.errors(function() tide.sim.new{ users = 10, p_review = 1.5 } end, "p_review must be a probability")
  check.errors(function() tide.sim.new{ users = 10, sentiment = 9 } end, "sentiment strength must be in [-5, 5]")
  check.errors(function() tide.sim.new{ users = 10, review_noise = -1 } end, "review_noise")
  check.errors(function() tide.sim.new{ users = 10, sentiment = 0 / 0 } end, "sentiment strength")
end

-- Penalised logistic regression (tide.activation.logistic, l2 = 1 on standardised columns) on
-- sign·log1p features.
local function fit_predict(Xtr, ytr, Xte)
  local m = A.logistic{ l2 = 1 }
  m:fit(A.slog1p(Xtr), ytr)
  return m:predict(A.slog1p(Xte))
end

-- Out-of-fold predictions (5 folds grouped by user) with and without the sentiment columns,
-- and a paired bootstrap of the AUC difference over users' rows.
local function sentiment_gain(strength)
  local out = path("s.csv")
  tide.sim.generate{ users = 5000, mean_pv = 1.2, seed = 21, out = out, truth = false, p_review = 0.8,
                     sentiment = strength, horizon = 120, funnel = { click = 0.6, cart = 0.6, fav = 0.8, buy = 0.8 } }
  local ev = tide.data.read_events(out, "sim_reviews")
  os.remove(out)
  local fr = A.frame(ev, { cut = 1704067200 + 90 * DAY, horizon = 30, label = "reactivation", dormant = 20,
                           groups = { "rfm", "gaps", "decay", "hawkes", "interest", "sentiment" } })
  check.eq(fr.names[fr.d - 2], "sentiment_mean", "sentiment columns last")
  local with, without, ys = {}, {}, {}
  for _, f in ipairs(A.folds(fr, 5, 1)) do
    local d = fr.d
    local pa = fit_predict(f.train.X, f.train.y, f.test.X):totable()
    local pb = fit_predict(f.train.X:narrow(2, 1, d - 3), f.train.y, f.test.X:narrow(2, 1, d - 3)):totable()
    for i, y in ipairs(f.test.y:totable()) do
      ys[#ys + 1], with[#with + 1], without[#without + 1] = y, pa[i], pb[i]
    end
  end
  local auc = tide.metrics.auc
  local Y, PA, PB = T.fromtable(ys), T.fromtable(with), T.fromtable(without)
  local gain = auc(PA, Y) - auc(PB, Y)
  local n, x, diffs = #ys, 777, {}
  for b = 1, 200 do
    local idx = {}
    for i = 1, n do x = (x * 48271) % 2147483647; idx[i] = x % n + 1 end
    local I = T.fromtable(idx, "i32")
    local yb = Y:index_select(1, I)
    diffs[b] = auc(PA:index_select(1, I), yb) - auc(PB:index_select(1, I), yb)
  end
  table.sort(diffs)
  return gain, diffs[6], diffs[195], n -- 95% percentile interval
end

function tests.sentiment_features_help_only_when_they_carry_signal()
  local g1, lo1, hi1, n1 = sentiment_gain(1.5)
  if os.getenv("TIDE_VERBOSE") then print(("strength 1.5: gain %.4f [%.4f, %.4f] n=%d"):format(g1, lo1, hi1, n1)) end
  check.truthy(lo1 > 0, ("strength 1.5: AUC gain %.4f, 95%% CI [%.4f, %.4f] excludes 0 (n = %d)"):format(g1, lo1, hi1, n1))
  local g0, lo0, hi0, n0 = sentiment_gain(0)
  if os.getenv("TIDE_VERBOSE") then print(("strength 0: gain %.4f [%.4f, %.4f] n=%d"):format(g0, lo0, hi0, n0)) end
  -- no signal: no significant gain (three pure-noise columns may cost a little AUC)
  check.truthy(lo0 < 0 and g0 < 0.005,
    ("strength 0: AUC gain %.4f, 95%% CI [%.4f, %.4f] shows no gain (n = %d)"):format(g0, lo0, hi0, n0))
  check.truthy(g1 > g0 + 0.02, "signal gain exceeds the no-signal gain")
end

return tests
