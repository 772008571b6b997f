-- stack_lr.lua — the stacker of the sentiment tuning benches (tune_sentiment_oof.lua,
-- tune_sentiment_views.lua): logistic regression of y on the columns of X (plus an intercept)
-- by Newton's method with a tiny ridge (the design has a handful of columns).
--   local fit_lr = dofile("tests/bench/stack_lr.lua"); local w = fit_lr(X, y, rows)
local function fit_lr(X, y, rows)
  local m = #X[1] + 1
  local w = {}
  for j = 1, m do w[j] = 0 end
  for _ = 1, 25 do
    local g, H = {}, {}
    for j = 1, m do g[j] = -1e-4 * w[j]; H[j] = {}; for k = 1, m do H[j][k] = j == k and 1e-4 or 0 end end
    for _, i in ipairs(rows) do
      local x = { 1 }
      for j = 1, m - 1 do x[j + 1] = X[i][j] end
      local z = 0
      for j = 1, m do z = z + w[j] * x[j] end
      local p = 1 / (1 + math.exp(-z))
      for j = 1, m do
        g[j] = g[j] + (y[i] - p) * x[j]
        for k = 1, m do H[j][k] = H[j][k] + p * (1 - p) * x[j] * x[k] end
      end
    end
    -- solve H d = g (Gaussian elimination; m is tiny)
    for c = 1, m do
      for r = c + 1, m do
        local f = H[r][c] / H[c][c]
        for k = c, m do H[r][k] = H[r][k] - f * H[c][k] end
        g[r] = g[r] - f * g[c]
      end
    end
    local d = {}
    for r = m, 1, -1 do
      local s = g[r]
      for k = r + 1, m do s = s - H[r][k] * d[k] end
      d[r] = s / H[r][r]
    end
    for j = 1, m do w[j] = w[j] + d[j] end
  end
  return w
end

return fit_lr
