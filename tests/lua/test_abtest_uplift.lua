-- test_abtest_uplift.lua — uplift learners and curves: a hand-worked Qini/uplift curve, ties as
-- one step, T- and X-learners on simulated heterogeneous effects with a known per-unit uplift
-- (the ranking beats random and tracks the truth), ridge against the closed form, errors.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local ab = tide.abtest
local U = ab.uplift
local ridge = require "tide.abtest.ridge"
local T = tide.tensor
local tests = {}

function tests.curve_hand_worked()
  -- (score, treat, y): (4,1,1) (3,0,0) (2,1,0) (1,0,1); worked out in the comments below
  local c = U.curve({ 4, 3, 2, 1 }, { 1, 0, 0, 1 }, { 1, 0, 1, 0 })
  -- Qini / n: t=1: 1/4 (no control yet), t=2: 1/4, t=3: 1/4, t=4: (1 - 1 * 2/2)/4 = 0
  check.all_near(c.qini, { 0, 0.25, 0.25, 0.25, 0 }, 1e-15)
  -- uplift / n: t=1: 1*1/4, t=2: 1*2/4, t=3: (1/2 - 0)*3/4, t=4: 0
  check.all_near(c.uplift, { 0, 0.25, 0.5, 0.375, 0 }, 1e-15)
  check.near(c.qini_area, 0.1875, 1e-15)
  check.near(c.qini_coef, 0.1875, 1e-15)
  check.near(c.auuc, 0.28125, 1e-15)
  check.near(c.auuc_random, 0, 1e-15)
  local up, m = U.at_k({ 4, 3, 2, 1 }, { 1, 0, 0, 1 }, { 1, 0, 1, 0 }, 0.5)
  check.eq(m, 2); check.near(up, 1, 1e-15)
  -- the curve feeds tide.report's Qini plot
  local R = tide.report.new("uplift")
  R:qini { curves = { { name = "model", x = c.x, y = c.qini } } }
  check.truthy(R:html():find("Qini", 1, true), "Qini plot drawn")
  -- tied scores are one step: the constant score gives just the end point
  local t = U.curve({ 1, 1, 1, 1 }, { 1, 0, 0, 1 }, { 1, 0, 1, 0 })
  check.eq(#t.x, 2)
  check.errors(function() U.curve({ 1, 2 }, { 1, 0 }, { 1, 2 }) end, "treat[2] must be 0 or 1")
  check.errors(function() U.curve({ 1, 2 }, { 1, 0 }, { 1, 1 }) end, "both treated and control")
  check.errors(function() U.at_k({ 1, 2 }, { 1, 0 }, { 1, 0 }, 0) end, "k must be a fraction")
end

function tests.ridge_closed_form()
  -- y = 1 + 2 x exactly: ridge with a tiny penalty recovers it
  local m = ridge.new { l2 = 0 }
  m:fit({ { 0 }, { 1 }, { 2 }, { 3 } }, { 1, 3, 5, 7 })
  check.all_near(m.beta, { 1, 2 }, 1e-10)
  check.all_near(m:predict(T.fromtable({ { 10 } })), { 21 }, 1e-9)
  check.errors(function() ridge.new { l2 = 0 }:fit({ { 1, 1 }, { 1, 1 } }, { 0, 1 }) end, "singular")
  check.errors(function() m:predict({ { 1, 2 } }) end, "X has 2 columns, the fit had 1")
  check.errors(function() m:fit({ { 1 }, { 0 / 0 } }, { 0, 1 }) end, "X[2][1] must be a finite number")
end

-- n units: x1, x2 ~ U(0,1); control rate 0.2 + 0.3 x1, true uplift τ = 0.4 x2 - 0.1 (negative
-- for x2 < 0.25: "sleeping dogs"); treatment 50 % at random
local function data(seed, n)
  T.manual_seed(seed)
  local u = T.rand(n, 4):totable()
  local X, y, tr, tau = {}, {}, {}, {}
  for i = 1, n do
    local x1, x2 = u[i][1], u[i][2]
    X[i] = { x1, x2 }
    tau[i] = 0.4 * x2 - 0.1
    tr[i] = u[i][3] < 0.5 and 1 or 0
    local p = 0.2 + 0.3 * x1 + (tr[i] == 1 and tau[i] or 0)
    y[i] = u[i][4] < p and 1 or 0
  end
  return X, y, tr, tau
end

local function corr(a, b)
  local n, ma, mb = #a, 0, 0
  for i = 1, n do ma, mb = ma + a[i] / n, mb + b[i] / n end
  local sab, saa, sbb = 0, 0, 0
  for i = 1, n do sab, saa, sbb = sab + (a[i] - ma) * (b[i] - mb), saa + (a[i] - ma) ^ 2, sbb + (b[i] - mb) ^ 2 end
  return sab / math.sqrt(saa * sbb)
end

function tests.learners_beat_random_and_track_truth()
  local X, y, tr = data(1, 6000)
  local Xt, yt, trt, taut = data(2, 6000) -- held-out units
  local factory = function() return ridge.new { l2 = 1e-3 } end
  T.manual_seed(3)
  local rnd = T.rand(6000):totable()
  local base = U.curve(rnd, yt, trt)
  local oracle = U.curve(taut, yt, trt)
  for _, name in ipairs({ "t_learner", "x_learner" }) do
    local L = U[name] { model = factory }:fit(X, y, tr)
    local s = L:predict(Xt)
    check.truthy(corr(s, taut) > 0.8, ("%s: correlation with the true uplift %.3f"):format(name, corr(s, taut)))
    local c = U.curve(s, yt, trt)
    check.truthy(c.qini_coef > base.qini_coef + 0.01, ("%s: Qini %.4f vs random %.4f"):format(name, c.qini_coef, base.qini_coef))
    check.truthy(c.auuc > c.auuc_random, name .. ": AUUC above the random line")
    check.truthy(math.abs(c.qini_coef - oracle.qini_coef) < 0.01, ("%s: Qini %.4f near the oracle's %.4f"):format(name, c.qini_coef, oracle.qini_coef))
    -- the top 20 % by the model: its mean TRUE uplift is near the best possible (0.4 * 0.9 - 0.1)
    local order = {}
    for i = 1, #s do order[i] = i end
    table.sort(order, function(a, b) return s[a] > s[b] end)
    local m = 0
    for r = 1, 1200 do m = m + taut[order[r]] / 1200 end
    check.truthy(m > 0.23, ("%s: true uplift of the top 20 %% = %.3f (best 0.26, random 0.10)"):format(name, m))
    local at = U.at_k(s, yt, trt, 0.2)
    check.truthy(math.abs(at - 0.26) < 0.07, ("%s: observed uplift@20%% %.3f"):format(name, at))
  end
end

function tests.learner_errors()
  local f = function() return ridge.new() end
  check.errors(function() U.t_learner {} end, "'model' must be a factory")
  check.errors(function() U.t_learner { model = function() return {} end } end, "must return a model")
  check.errors(function() U.t_learner { model = f }:fit({ { 1 }, { 2 }, { 3 } }, { 0, 1, 1 }, { 1, 1, 1 }) end, "need at least 2 treated and 2 control")
  check.errors(function() U.t_learner { model = f }:fit({ { 1 }, { 2 } }, { 0, 1, 1 }, { 1, 0 }) end, "X has 2 rows, y 3")
  check.errors(function() U.t_learner { model = f }:predict({ { 1 } }) end, "fit the learner first")
  check.errors(function() U.x_learner { model = f, regresor = f } end, "unknown option 'regresor'")
end

-- the meta-learners over the activation models themselves (a binary outcome: logistic
-- regression for the response models; the X-learner's effect regression stays ridge)
function tests.learners_over_the_activation_logistic_model()
  local X, y, tr = data(1, 6000)
  local Xt, yt, trt, taut = data(2, 6000)
  local logistic = function() return tide.activation.logistic{ l2 = 1, quiet = true } end
  for _, name in ipairs({ "t_learner", "x_learner" }) do
    local L = U[name] { model = logistic }:fit(X, y, tr)
    local s = L:predict(Xt)
    check.truthy(corr(s, taut) > 0.7, ("%s over logistic: correlation with the true uplift %.3f"):format(name, corr(s, taut)))
    local c = U.curve(s, yt, trt)
    check.truthy(c.auuc > c.auuc_random, name .. " over logistic: AUUC above the random line")
  end
end

return tests
