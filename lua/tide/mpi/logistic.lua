-- tide.mpi.fit_logistic(X, y, opts) — the activation model (tide.activation.logistic) fitted on
-- rows sharded over MPI ranks: each rank holds its own rows, and every Newton step sums the
-- ranks' log-loss, gradient and Hessian (one all-reduce of 1 + p + p² doubles, p = d + 1).
-- The objective is the serial one — Σ_i w_i logloss_i + l2/2 ||β_slopes||² on features
-- standardised with the GLOBAL mean and population sd (all-reduced sums) — so the result equals
-- the serial fit on all rows to the solver tolerance. Every rank computes the same step from
-- the same sums, so β stays identical on all ranks without a broadcast.
-- opts: l2 (default 1), max_iter (100), tol (1e-8, on ||grad||_inf / Σw as in engine/glm_fit.c),
-- names, weight (this rank's row weights). l1 and standardize = false are not sharded.
-- Returns a fitted tide.activation.logistic model (predict, coef with standard errors, save).
local mpi = require "tide.mpi"

-- Cholesky factor of the p x p matrix A (flat, row-major): L with A = L L^T, or nil if A is
-- not positive definite
local function cholesky(A, p)
  local L = {}
  for i = 0, p - 1 do
    for j = 0, i do
      local s = A[i * p + j + 1]
      for k = 0, j - 1 do s = s - L[i * p + k + 1] * L[j * p + k + 1] end
      if i == j then
        if not (s > 0) then return nil end
        L[i * p + i + 1] = math.sqrt(s)
      else
        L[i * p + j + 1] = s / L[j * p + j + 1]
      end
    end
    for j = i + 1, p - 1 do L[i * p + j + 1] = 0 end
  end
  return L
end

-- x with L L^T x = b
local function chol_solve(L, p, b)
  local y = {}
  for i = 0, p - 1 do
    local s = b[i + 1]
    for k = 0, i - 1 do s = s - L[i * p + k + 1] * y[k + 1] end
    y[i + 1] = s / L[i * p + i + 1]
  end
  local x = {}
  for i = p - 1, 0, -1 do
    local s = y[i + 1]
    for k = i + 1, p - 1 do s = s - L[k * p + i + 1] * x[k + 1] end
    x[i + 1] = s / L[i * p + i + 1]
  end
  return x
end

return function(X, y, opts)
  opts = opts or {}
  local tide = require "tide"
  local T = tide.tensor
  for k in pairs(opts) do
    if not ({ l2 = 1, max_iter = 1, tol = 1, names = 1, weight = 1 })[k] then
      error("mpi.fit_logistic: unknown option '" .. tostring(k) .. "' (l1 and standardize = false are not sharded)", 2)
    end
  end
  if not T.is_tensor(X) or #X:shape() ~= 2 then error("mpi.fit_logistic: X must be a tensor [n, d]", 2) end
  if not T.is_tensor(y) or y:numel() ~= X:shape()[1] then error("mpi.fit_logistic: y must be a tensor of n labels", 2) end
  local l2, tol, max_iter = opts.l2 or 1, opts.tol or 1e-8, opts.max_iter or 100
  local n, d = X:shape()[1], X:shape()[2]
  local p = d + 1
  local Xf, yf = X:cast("f32"):contiguous(), y:cast("f32"):contiguous()
  local w = opts.weight and opts.weight:cast("f32"):contiguous() or nil
  -- global moments: n, Σw, Σw·y, Σx, Σx² (columns), and a shape check through max/min of d
  local dd = mpi.allreduce_numbers({ d, -d }, "max")
  if dd[1] ~= -dd[2] then error("mpi.fit_logistic: ranks disagree on the number of columns", 2) end
  local sx = Xf:sum(1):totable()
  local sxx = (Xf * Xf):sum(1):totable()
  local sums = { n, w and w:sum():item() or n, (w and (w * yf) or yf):sum():item() }
  for j = 1, d do sums[3 + j], sums[3 + d + j] = sx[j], sxx[j] end
  sums = mpi.allreduce_numbers(sums)
  local N, W = sums[1], sums[2]
  if N < 1 then error("mpi.fit_logistic: no rows on any rank", 2) end
  local mean, sd = {}, {}
  for j = 1, d do
    mean[j] = sums[3 + j] / N
    local v = sums[3 + d + j] / N - mean[j] ^ 2
    sd[j] = v > 0 and math.sqrt(v) or 1 -- constant column, as engine/glm_fit.c
  end
  local pbar = math.min(math.max(sums[3] / W, 1e-10), 1 - 1e-10)
  local beta = { math.log(pbar / (1 - pbar)) }
  for j = 2, p do beta[j] = 0 end

  local glm = tide.core.glm
  -- global f, g, H at b: local smooth parts (no penalty) summed over ranks, penalty added once
  local function objective(b)
    local f, g, H = glm.objective(Xf, yf, w, mean, sd, b, 0)
    local all = { f }
    for i = 1, p do all[1 + i] = g[i] end
    for i = 1, p * p do all[1 + p + i] = H[i] end
    all = mpi.allreduce_numbers(all)
    f = all[1]
    g, H = {}, {}
    for i = 1, p do g[i] = all[1 + i] end
    for i = 1, p * p do H[i] = all[1 + p + i] end
    for j = 2, p do
      f = f + 0.5 * l2 * b[j] ^ 2
      g[j] = g[j] + l2 * b[j]
      H[(j - 1) * p + j] = H[(j - 1) * p + j] + l2
    end
    return f, g, H
  end

  local it, f, g, H, L, converged, message = 0, nil, nil, nil, nil, false, nil
  while true do
    f, g, H = objective(beta)
    local gi = 0
    for j = 1, p do gi = math.max(gi, math.abs(g[j])) end
    if gi <= tol * W then converged, message = true, "converged"; break end
    if it >= max_iter then message = ("not converged after %d iterations"):format(it); break end
    L = cholesky(H, p)
    if not L then message = "Hessian not positive definite"; break end
    local neg = {}
    for j = 1, p do neg[j] = -g[j] end
    local dir = chol_solve(L, p, neg)
    local slope = 0
    for j = 1, p do slope = slope + g[j] * dir[j] end
    -- Armijo backtracking on the global objective (all ranks take the same steps)
    local step, accepted = 1, false
    for _ = 1, 40 do
      local trial = {}
      for j = 1, p do trial[j] = beta[j] + step * dir[j] end
      local ft = objective(trial)
      if ft <= f + 1e-4 * step * slope then beta, accepted = trial, true; break end
      step = step / 2
    end
    if not accepted then message = "line search made no progress"; break end
    it = it + 1
  end
  -- covariance: inverse penalised Hessian at the optimum (columns of H^-1 by solves)
  L = cholesky(H, p) -- H is the last evaluated (at the returned beta)
  local cov = {}
  if L then
    for c = 1, p do
      local e = {}
      for j = 1, p do e[j] = j == c and 1 or 0 end
      local col = chol_solve(L, p, e)
      for r = 1, p do cov[(r - 1) * p + c] = col[r] end
    end
  end
  local m = require("tide.activation.logistic").new{ l2 = l2, tol = tol, max_iter = max_iter }
  local names = {}
  for j = 1, d do names[j] = (opts.names or {})[j] or ("x" .. j) end
  m.names, m.d, m.n_train = names, d, N
  m.beta, m.mean, m.sd, m.cov = beta, mean, sd, L and cov or nil
  m.converged, m.iterations, m.objective, m.message, m.solver = converged, it, f, message, "newton (mpi)"
  local gi = 0
  for j = 1, p do gi = math.max(gi, math.abs(g[j])) end
  m.grad_inf = gi
  return m
end
