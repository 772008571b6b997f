-- tide.abtest.uplift — who to treat: models of the individual treatment effect (uplift) from a
-- randomised (or logged, with propensities) experiment, and how to judge the ranking.
--   t_learner: one outcome model per arm, uplift = μ1(x) - μ0(x);
--   x_learner (Künzel, Sekhon, Bickel & Yu 2019, PNAS 116): the arm models impute each unit's
--     effect, D1 = Y1 - μ0(X1), D0 = μ1(X0) - Y0, two regressions τ1, τ0 fit them, and
--     τ(x) = g τ0(x) + (1 - g) τ1(x) with g the share treated (or a propensity function);
--   evaluation (Radcliffe 2007, "Using control groups to target on predicted lift";
--     Gutierrez & Gérardy 2017, PMLR 67): units sorted by predicted uplift, at the top t:
--     Qini  g(t) = R_T(t) - R_C(t) N_T(t) / N_C(t),
--     uplift curve  f(t) = (R_T/N_T - R_C/N_C)(t) (N_T(t) + N_C(t)),
--     both / n against the fraction targeted; AUUC = area under f / n, the Qini coefficient =
--     area between the Qini curve and the random-targeting line; uplift@k = the response-rate
--     difference within the top fraction k. Tied scores are one step (no arbitrary order).
-- Models come from factories: factory() -> an object with :fit(X, y) and :predict(X) (the
-- tide.activation models, or tide.abtest.ridge); X is a tensor [n, d] or an array of rows.
local util = require("tide.abtest.util")
local ridge = require("tide.abtest.ridge")

local M = {}

local function subset(X, idx)
  local T = require("tide").tensor
  if T.is_tensor(X) then return X:index_select(1, T.fromtable(idx, "i64")) end
  local out = {}
  for j, i in ipairs(idx) do out[j] = X[i] end
  return out
end

local function nrows(X)
  local T = require("tide").tensor
  if T.is_tensor(X) then return X:size(1) end
  return type(X) == "table" and #X or 0
end

local function split(X, y, treat, fn)
  local n = nrows(X)
  if n == 0 then error(fn .. ": X must be a non-empty tensor [n, d] or an array of rows", 3) end
  y, treat = util.numbers(y, fn, "y"), util.numbers(treat, fn, "treat")
  if #y ~= n or #treat ~= n then error(("%s: X has %d rows, y %d, treat %d"):format(fn, n, #y, #treat), 3) end
  local i1, i0, y1, y0 = {}, {}, {}, {}
  for i = 1, n do
    if treat[i] == 1 then i1[#i1 + 1] = i; y1[#y1 + 1] = y[i]
    elseif treat[i] == 0 then i0[#i0 + 1] = i; y0[#y0 + 1] = y[i]
    else error(("%s: treat[%d] must be 0 or 1, got %s"):format(fn, i, tostring(treat[i])), 3) end
  end
  if #i1 < 2 or #i0 < 2 then error(("%s: need at least 2 treated and 2 control units (got %d, %d)"):format(fn, #i1, #i0), 3) end
  return i1, i0, y1, y0, n
end

local function factory(f, fn, what)
  if type(f) ~= "function" then error(("%s: '%s' must be a factory function() -> model with fit/predict"):format(fn, what), 3) end
  local m = f()
  if type(m) ~= "table" or type(m.fit) ~= "function" or type(m.predict) ~= "function" then
    error(("%s: '%s'() must return a model with :fit(X, y) and :predict(X)"):format(fn, what), 3)
  end
  return m
end

local function predict(m, X, fn)
  return util.numbers(m:predict(X), fn, "model predictions")
end

local Learner = {}
Learner.__index = Learner

--- uplift.t_learner{model = factory} -> learner with :fit(X, y, treat) and :predict(X) -> uplift
function M.t_learner(o)
  o = util.opts(o, { model = 1 }, "uplift.t_learner")
  factory(o.model, "uplift.t_learner", "model")
  return setmetatable({ kind = "t", o = o }, Learner)
end

--- uplift.x_learner{model = factory, regressor = factory (default ridge), propensity = nil |
---   number | function(X) -> array} -> learner with :fit(X, y, treat) and :predict(X)
function M.x_learner(o)
  o = util.opts(o, { model = 1, regressor = 1, propensity = 1 }, "uplift.x_learner")
  factory(o.model, "uplift.x_learner", "model")
  o.regressor = o.regressor or function() return ridge.new { l2 = 1e-3 } end
  factory(o.regressor, "uplift.x_learner", "regressor")
  return setmetatable({ kind = "x", o = o }, Learner)
end

--- learner:fit(X, y, treat) -> learner (treat: 0/1 per row)
function Learner:fit(X, y, treat)
  local fn = "uplift:fit"
  local i1, i0, y1, y0 = split(X, y, treat, fn)
  local X1, X0 = subset(X, i1), subset(X, i0)
  self.m1 = factory(self.o.model, fn, "model"); self.m1:fit(X1, y1)
  self.m0 = factory(self.o.model, fn, "model"); self.m0:fit(X0, y0)
  self.share = #i1 / (#i1 + #i0)
  if self.kind == "x" then
    local p0, p1 = predict(self.m0, X1, fn), predict(self.m1, X0, fn)
    local d1, d0 = {}, {}
    for j = 1, #y1 do d1[j] = y1[j] - p0[j] end
    for j = 1, #y0 do d0[j] = p1[j] - y0[j] end
    self.t1 = factory(self.o.regressor, fn, "regressor"); self.t1:fit(X1, d1)
    self.t0 = factory(self.o.regressor, fn, "regressor"); self.t0:fit(X0, d0)
  end
  return self
end

--- learner:predict(X) -> Lua array of predicted uplifts
function Learner:predict(X)
  local fn = "uplift:predict"
  if not self.m1 then error(fn .. ": fit the learner first", 2) end
  local out = {}
  if self.kind == "t" then
    local a, b = predict(self.m1, X, fn), predict(self.m0, X, fn)
    for i = 1, #a do out[i] = a[i] - b[i] end
    return out
  end
  local a, b = predict(self.t0, X, fn), predict(self.t1, X, fn)
  local g = self.o.propensity or self.share
  if type(g) == "function" then g = util.numbers(g(X), fn, "propensity(X)") end
  for i = 1, #a do
    local gi = type(g) == "table" and g[i] or g
    out[i] = gi * a[i] + (1 - gi) * b[i]
  end
  return out
end

--- uplift.curve(scores, y, treat) -> {x = fraction targeted, qini = Qini / n, uplift = f / n,
---   random_qini, auuc, auuc_random, qini_coef, n}: points at every distinct score
function M.curve(scores, y, treat)
  local fn = "uplift.curve"
  scores, y, treat = util.numbers(scores, fn, "scores", 1), util.numbers(y, fn, "y"), util.numbers(treat, fn, "treat")
  local n = #scores
  if #y ~= n or #treat ~= n then error(("%s: %d scores, %d outcomes, %d treatment flags"):format(fn, n, #y, #treat), 2) end
  local order = {}
  for i = 1, n do
    if treat[i] ~= 0 and treat[i] ~= 1 then error(("%s: treat[%d] must be 0 or 1"):format(fn, i), 2) end
    order[i] = i
  end
  table.sort(order, function(a, b) if scores[a] ~= scores[b] then return scores[a] > scores[b] end return a < b end)
  local nt, nc, rt, rc = 0, 0, 0, 0
  local x, qini, up = { 0 }, { 0 }, { 0 }
  for r = 1, n do
    local i = order[r]
    if treat[i] == 1 then nt, rt = nt + 1, rt + y[i] else nc, rc = nc + 1, rc + y[i] end
    if r == n or scores[order[r + 1]] ~= scores[i] then
      x[#x + 1] = r / n
      qini[#qini + 1] = (nc > 0 and rt - rc * nt / nc or rt) / n
      up[#up + 1] = ((nt > 0 and rt / nt or 0) - (nc > 0 and rc / nc or 0)) * (nt + nc) / n
    end
  end
  if nt == 0 or nc == 0 then error(fn .. ": need both treated and control units", 2) end
  local function area(v)
    local s = 0
    for k = 2, #x do s = s + (x[k] - x[k - 1]) * (v[k] + v[k - 1]) / 2 end
    return s
  end
  local aq, au = area(qini), area(up)
  return { x = x, qini = qini, uplift = up, n = n, auuc = au, auuc_random = up[#up] / 2,
           qini_coef = aq - qini[#qini] / 2, qini_area = aq }
end

--- uplift.at_k(scores, y, treat, k) -> response-rate difference treated - control among the
---   top fraction k (0 < k <= 1) of units by score, and the number of units there
function M.at_k(scores, y, treat, k)
  local fn = "uplift.at_k"
  util.numbers(scores, fn, "scores", 1)
  if type(k) ~= "number" or not (k > 0 and k <= 1) then error(fn .. ": k must be a fraction in (0, 1]", 2) end
  scores, y, treat = util.numbers(scores, fn, "scores"), util.numbers(y, fn, "y"), util.numbers(treat, fn, "treat")
  local order = {}
  for i = 1, #scores do order[i] = i end
  table.sort(order, function(a, b) if scores[a] ~= scores[b] then return scores[a] > scores[b] end return a < b end)
  local m = math.max(1, math.floor(k * #scores + 0.5))
  local nt, nc, rt, rc = 0, 0, 0, 0
  for r = 1, m do
    local i = order[r]
    if treat[i] == 1 then nt, rt = nt + 1, rt + y[i] else nc, rc = nc + 1, rc + y[i] end
  end
  if nt == 0 or nc == 0 then return nil, m end
  return rt / nt - rc / nc, m
end

return M
