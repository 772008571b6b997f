-- tide.abtest.ridge — a small ridge regression (closed form, Cholesky) with the activation
-- models' fit/predict interface; the X-learner's default second-stage regressor, since its
-- targets (imputed effects) are continuous. Features are few (tens), so the d x d normal
-- equations are solved in Lua; rows are streamed once.
local M = {}
local Ridge = {}
Ridge.__index = Ridge

--- ridge.rows(X, fn) -> Lua array of rows (X: tensor [n, d] or array of rows), d
function M.rows(X, fn)
  local T = require("tide").tensor
  if T.is_tensor(X) then
    if X:dim() ~= 2 then error(fn .. ": X must be a 2-d tensor [n, d]", 3) end
    X = X:contiguous():totable()
  end
  if type(X) ~= "table" or #X == 0 or type(X[1]) ~= "table" then
    error(fn .. ": X must be a non-empty tensor [n, d] or an array of rows", 3)
  end
  local d = #X[1]
  for i, row in ipairs(X) do
    if type(row) ~= "table" or #row ~= d then error(("%s: X[%d] must have %d numbers"):format(fn, i, d), 3) end
    for j = 1, d do
      local v = row[j]
      if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
        error(("%s: X[%d][%d] must be a finite number"):format(fn, i, j), 3)
      end
    end
  end
  return X, d
end

-- Solves A x = b for symmetric positive definite A (Cholesky, in place on copies).
function M.solve_spd(A, b)
  local n = #b
  local L = {}
  for i = 1, n do
    L[i] = {}
    for j = 1, i do
      local s = A[i][j]
      for k = 1, j - 1 do s = s - L[i][k] * L[j][k] end
      if i == j then
        if s <= 0 then return nil end
        L[i][i] = math.sqrt(s)
      else
        L[i][j] = s / L[j][j]
      end
    end
  end
  local y, x = {}, {}
  for i = 1, n do
    local s = b[i]
    for k = 1, i - 1 do s = s - L[i][k] * y[k] end
    y[i] = s / L[i][i]
  end
  for i = n, 1, -1 do
    local s = y[i]
    for k = i + 1, n do s = s - L[k][i] * x[k] end
    x[i] = s / L[i][i]
  end
  return x
end

--- ridge.new{l2 = 1e-3} -> model with :fit(X, y [, w]) and :predict(X) -> Lua array.
--- The intercept is not penalised; w (optional) are row weights.
function M.new(opts)
  opts = opts or {}
  local l2 = opts.l2 or 1e-3
  if type(l2) ~= "number" or l2 < 0 then error("ridge.new: l2 must be a number >= 0", 2) end
  return setmetatable({ l2 = l2 }, Ridge)
end

function Ridge:fit(X, y, w)
  local fn = "ridge:fit"
  local d
  X, d = M.rows(X, fn)
  y = require("tide.abtest.util").numbers(y, fn, "y")
  if #y ~= #X then error(("%s: %d rows but %d targets"):format(fn, #X, #y), 2) end
  local p = d + 1
  local A, b = {}, {}
  for i = 1, p do A[i] = {}; b[i] = 0; for j = 1, p do A[i][j] = 0 end end
  local z = {}
  for r = 1, #X do
    z[1] = 1
    for j = 1, d do z[j + 1] = X[r][j] end
    local wr = w and w[r] or 1
    for i = 1, p do
      local zi = wr * z[i]
      b[i] = b[i] + zi * y[r]
      for j = 1, i do A[i][j] = A[i][j] + zi * z[j] end
    end
  end
  for i = 1, p do for j = i + 1, p do A[i][j] = A[j][i] end end
  for i = 2, p do A[i][i] = A[i][i] + self.l2 end
  A[1][1] = A[1][1] + 1e-12 -- keeps a constant-only design solvable
  local beta = M.solve_spd(A, b)
  if not beta then error(fn .. ": the design is singular (constant or collinear columns); raise l2", 2) end
  self.beta = beta
  return self
end

function Ridge:predict(X)
  if not self.beta then error("ridge:predict: fit the model first", 2) end
  local rows, d = M.rows(X, "ridge:predict")
  if d + 1 ~= #self.beta then error(("ridge:predict: X has %d columns, the fit had %d"):format(d, #self.beta - 1), 2) end
  local out, b = {}, self.beta
  for r = 1, #rows do
    local s = b[1]
    for j = 1, d do s = s + b[j + 1] * rows[r][j] end
    out[r] = s
  end
  return out
end

return M
