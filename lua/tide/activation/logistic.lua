-- tide.activation.logistic — penalised logistic regression for reactivation propensity, fitted
-- in double precision in C (engine/glm_*.c: Newton/IRLS, L-BFGS, proximal Newton for l1).
--
--   local m = logistic.new{l2 = 1, l1 = 0, class_weight = nil | "balanced" | {[0] = w0, [1] = w1},
--                          solver = "auto" | "irls" | "lbfgs", standardize = true, max_iter, tol}
--   m:fit(X, y, {names = {...}, weight = w, valid = {X, y}})   X f32 [n, d] or rows; y 0/1
--   m:predict(X) -> f32 [n];  m:coef() -> {{name, beta, se, z, p}, ...} (intercept first)
--   m:contributions(X) -> [n, d], intercept;  m:summary() -> text;  m:save(path) / M.load(path)
--
-- Objective: sum_i w_i logloss_i + l2/2 ||beta||^2 + l1 ||beta||_1 (intercept unpenalised), so
-- l2 = 1/C gives sklearn's LogisticRegression(C) coefficients (elastic net: l2 = (1-r)/C,
-- l1 = r/C). The fit always runs on standardised features z = (x - mean)/sd (population sd;
-- mean and sd are stored in the model). With standardize = true (default) the penalty acts on
-- the z coefficients, i.e. it matches sklearn fitted on StandardScaler output; with
-- standardize = false it acts on the raw coefficients and matches sklearn on raw X.
-- Standard errors: inverse penalised Hessian at the optimum.
local M = {}
local Model = {}
Model.__index = Model
M.KIND = "tide.activation.logistic" -- the checkpoint's "kind" entry, for tide.activation.load

local function T() return require("tide").tensor end
local function core() return require("tide").core.glm end
local OPTS = { l2 = "number", l1 = "number", class_weight = true, solver = "string", standardize = "boolean",
               max_iter = "number", tol = "number", quiet = "boolean" }

-- f32 [n, d] from a tensor or a Lua array of rows; errors name fn
local function matrix(X, fn)
  if type(X) == "table" then
    if #X == 0 then error(fn .. ": X is empty", 3) end
    local ok, t = pcall(T().fromtable, X)
    if not ok then error(fn .. ": X must be an array of equal-length rows of numbers (" .. tostring(t) .. ")", 3) end
    X = t
  elseif not T().is_tensor(X) then
    error(fn .. ": X must be a tensor [n, d] or an array of rows, got " .. type(X), 3)
  end
  if #X:shape() ~= 2 then error(fn .. ": X must have 2 dims, got " .. #X:shape(), 3) end
  return X
end

local function vector(y, fn, what)
  if type(y) == "table" then
    local ok, t = pcall(T().fromtable, y)
    if not ok then error(("%s: %s must be an array of numbers (%s)"):format(fn, what, tostring(t)), 3) end
    return t
  end
  if not T().is_tensor(y) then error(("%s: %s must be a tensor or a table of numbers, got %s"):format(fn, what, type(y)), 3) end
  return y
end

--- logistic.new(opts) -> unfitted model; options as in the header (unknown ones are errors).
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("logistic.new: opts must be a table", 2) end
  for k, v in pairs(opts) do
    if not OPTS[k] then error("logistic.new: unknown option '" .. tostring(k) .. "'", 2) end
    if OPTS[k] ~= true and type(v) ~= OPTS[k] then
      error(("logistic.new: opts.%s must be a %s, got %s"):format(k, OPTS[k], type(v)), 2)
    end
  end
  local cw = opts.class_weight
  if cw ~= nil and cw ~= "balanced" and type(cw) ~= "table" then
    error("logistic.new: opts.class_weight must be 'balanced' or {[0] = w0, [1] = w1}", 2)
  end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  return setmetatable({ opts = o }, Model)
end

--- m:fit(X, y, {names, weight, valid = {X, y}}) -> m. Refuses non-finite X, labels other than
-- 0/1, one class, n ~= #y. Sets m.converged / m.message (and warns on stderr unless quiet).
function Model:fit(X, y, fo)
  fo = fo or {}
  X = matrix(X, "logistic:fit")
  y = vector(y, "logistic:fit", "y")
  local d = X:shape()[2]
  local names = fo.names or {}
  if #names ~= 0 and #names ~= d then error(("logistic:fit: %d names for %d columns"):format(#names, d), 2) end
  local nm = {}
  for j = 1, d do nm[j] = names[j] or ("x" .. j) end
  local o = self.opts
  local w = fo.weight and vector(fo.weight, "logistic:fit", "weight") or nil
  local r = core().fit(X, y, w, { l2 = o.l2, l1 = o.l1, solver = o.solver, standardize = o.standardize,
                                  max_iter = o.max_iter, tol = o.tol, class_weight = o.class_weight, names = nm })
  self.names, self.d, self.n_train = nm, d, X:shape()[1]
  for _, k in ipairs { "beta", "mean", "sd", "cov", "converged", "iterations", "objective", "grad_inf",
                       "solver", "message" } do self[k] = r[k] end
  if not r.converged and not o.quiet then
    io.stderr:write("logistic:fit: warning: " .. r.message .. "\n")
  end
  if fo.valid then
    local vx, vy = fo.valid[1] or fo.valid.X, fo.valid[2] or fo.valid.y
    local p, mt = self:predict(vx), require("tide.metrics")
    vy = vector(vy, "logistic:fit", "valid y")
    self.valid = { log_loss = mt.log_loss(p, vy), auc = mt.auc(p, vy), brier = mt.brier(p, vy) }
  end
  return self
end

local function fitted(self, fn)
  if not self.beta then error(fn .. ": model is not fitted", 3) end
end

--- m:predict(X) -> f32 tensor [n] of probabilities
function Model:predict(X)
  fitted(self, "logistic:predict")
  return (core().predict(matrix(X, "logistic:predict"), self.mean, self.sd, self.beta))
end

--- m:contributions(X) -> contrib f32 [n, d], intercept: contrib[i][j] = beta_j z_ij on the
-- standardised scale z = (x - mean)/sd, so logit_i = intercept + sum_j contrib[i][j].
function Model:contributions(X)
  fitted(self, "logistic:contributions")
  local _, c = core().predict(matrix(X, "logistic:contributions"), self.mean, self.sd, self.beta, true)
  return c, self.beta[1]
end

--- m:coef({scale = "original" | "standardized"}) -> {{name, beta, se, z, p}, ...}, intercept
-- first. Original scale: beta_j / sd_j, intercept beta_0 - sum beta_j mean_j / sd_j, with the
-- covariance mapped through the same linear map. p is two-sided Wald, erfc(|z| / sqrt 2).
function Model:coef(opts)
  fitted(self, "logistic:coef")
  local scale = (opts or {}).scale or "original"
  if scale ~= "original" and scale ~= "standardized" then
    error("logistic:coef: opts.scale must be 'original' or 'standardized'", 2)
  end
  local p, b, cov = self.d + 1, self.beta, self.cov
  -- A maps z-scale coefficients to the reported ones (identity for "standardized")
  local function A(i, a)
    if scale == "standardized" then return i == a and 1 or 0 end
    if i == 1 then return a == 1 and 1 or -self.mean[a - 1] / self.sd[a - 1] end
    return i == a and 1 / self.sd[a - 1] or 0
  end
  -- an l1-zeroed coefficient is fixed at 0: its (NaN) covariance contributes nothing
  local function cv(a, c)
    local v = cov[(a - 1) * p + c]
    if v ~= v and (b[a] == 0 or b[c] == 0) then return 0 end
    return v
  end
  local rows = {}
  for i = 1, p do
    local beta, var = 0, cov and 0 or 0 / 0
    for a = 1, p do beta = beta + A(i, a) * b[a] end
    for a = 1, cov and p or 0 do
      for c = 1, p do
        local wa, wc = A(i, a), A(i, c)
        if wa ~= 0 and wc ~= 0 then var = var + wa * wc * cv(a, c) end
      end
    end
    if cov and cov[(i - 1) * p + i] ~= cov[(i - 1) * p + i] then var = 0 / 0 end
    local se = math.sqrt(var)
    local z = beta / se
    rows[i] = { name = i == 1 and "(intercept)" or self.names[i - 1], beta = beta, se = se, z = z,
                p = core().erfc(math.abs(z) / math.sqrt(2)), beta_std = b[i] }
  end
  return rows
end

--- m:summary() -> printable text: fit facts and the coefficient table (original scale)
function Model:summary()
  fitted(self, "logistic:summary")
  local o = self.opts
  local out = { ("logistic regression: n = %d, d = %d, l2 = %g, l1 = %g, standardize = %s, solver = %s"):format(
    self.n_train or 0, self.d, o.l2 or 1, o.l1 or 0, tostring(o.standardize ~= false), self.solver),
    ("objective = %.6g, iterations = %d, %s"):format(self.objective, self.iterations, self.message) }
  if self.valid then
    out[#out + 1] = ("valid: log_loss = %.5f, auc = %.4f, brier = %.5f"):format(self.valid.log_loss, self.valid.auc,
      self.valid.brier)
  end
  out[#out + 1] = ("%-24s %12s %12s %9s %10s %12s"):format("term", "beta", "se", "z", "p", "beta_std")
  for _, r in ipairs(self:coef()) do
    out[#out + 1] = ("%-24s %12.6g %12.6g %9.3f %10.4g %12.6g"):format(r.name:sub(1, 24), r.beta, r.se, r.z, r.p, r.beta_std)
  end
  return table.concat(out, "\n")
end

local io_ = require("tide.activation.logistic_io")
Model.save, Model.to_bytes = io_.save, io_.to_bytes
--- logistic.load(path) -> model;  logistic.from_bytes(s [, name]) -> model
function M.load(path) return io_.load(path, M.new) end
function M.from_bytes(s, name) return io_.from_bytes(s, name, M.new) end

return M
