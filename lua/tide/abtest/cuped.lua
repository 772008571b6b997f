-- tide.abtest.cuped — variance reduction with a pre-period covariate (CUPED: Deng, Xu, Kohavi &
-- Walker 2013, "Improving the sensitivity of online controlled experiments by utilizing
-- pre-experiment data", WSDM). Y_adj = Y - θ (X - mean(X)) with θ = cov(Y, X) / var(X) pooled
-- over both arms; X must not be affected by the treatment (measure it before assignment), so
-- E[mean(X_b) - mean(X_a)] = 0 and the adjusted difference stays unbiased while its variance
-- shrinks by the factor 1 - ρ^2.
local util = require("tide.abtest.util")
local stats = require("tide.abtest.stats")

local M = {}

--- cuped.adjust(y_a, x_a, y_b, x_b) -> adjusted y_a, adjusted y_b (Lua arrays), θ, mean of X
function M.adjust(ya, xa, yb, xb, fn)
  fn = fn or "abtest.cuped"
  ya, xa = util.numbers(ya, fn, "y_a", 2), util.numbers(xa, fn, "x_a", 2)
  yb, xb = util.numbers(yb, fn, "y_b", 2), util.numbers(xb, fn, "x_b", 2)
  if #ya ~= #xa or #yb ~= #xb then
    error(("%s: y and x lengths differ (%d/%d in arm a, %d/%d in arm b)"):format(fn, #ya, #xa, #yb, #xb), 3)
  end
  local y, x = {}, {}
  for i = 1, #ya do y[i], x[i] = ya[i], xa[i] end
  for i = 1, #yb do y[#ya + i], x[#xa + i] = yb[i], xb[i] end
  local mx, vx = util.mean_var(x)
  if vx == 0 then error(fn .. ": the covariate is constant: nothing to adjust with", 3) end
  local theta = util.cov(y, x) / vx
  local aa, ab = {}, {}
  for i = 1, #ya do aa[i] = ya[i] - theta * (xa[i] - mx) end
  for i = 1, #yb do ab[i] = yb[i] - theta * (xb[i] - mx) end
  return aa, ab, theta, mx
end

--- cuped.cuped(y_a, x_a, y_b, x_b [, {level = 0.95}]) -> Welch result on the adjusted metric
---   (estimate, se, lo, hi, p, ...) plus theta, variance_reduction (1 - var(Y_adj)/var(Y),
---   pooled within arms), raw (the unadjusted Welch result) and adjusted_a / adjusted_b (the
---   adjusted outcomes, for a bootstrap of the adjusted difference)
function M.cuped(ya, xa, yb, xb, opts)
  local fn = "abtest.cuped"
  opts = util.opts(opts, { level = 1 }, fn)
  local aa, ab, theta = M.adjust(ya, xa, yb, xb, fn)
  local res = stats.welch(aa, ab, opts)
  local raw = stats.welch(ya, yb, opts)
  local _, v0a = util.mean_var(util.numbers(ya, fn, "y_a"))
  local _, v0b = util.mean_var(util.numbers(yb, fn, "y_b"))
  local _, v1a = util.mean_var(aa)
  local _, v1b = util.mean_var(ab)
  res.theta, res.raw, res.adjusted_a, res.adjusted_b = theta, raw, aa, ab
  res.variance_reduction = 1 - (v1a + v1b) / (v0a + v0b)
  return res
end

return M
