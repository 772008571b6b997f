-- tide.forecast.arima — ARIMA(p, d, q) by conditional sum of squares (engine/arima.c; Box &
-- Jenkins ch. 7, Hamilton sec. 5.4), forecasts with psi-weight intervals, and order selection:
-- d by the KPSS level-stationarity test (Kwiatkowski, Phillips, Schmidt & Shin 1992), then p
-- and q by AIC over a grid fitted on the same conditioning sample (the Hyndman-Khandakar
-- recipe, 2008, with an exhaustive grid instead of the stepwise search).
local M = {}
local A = {}
A.__index = A
M.Arima = A

local function core() return require("tide").core.arima end

local function series_of(x, fn)
  if type(x) == "table" then
    for i, v in ipairs(x) do
      if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
        error(("%s: series[%d] must be a finite number, got %s"):format(fn, i, tostring(v)), 3)
      end
    end
    return x
  end
  if type(x) == "userdata" and x.totable then return series_of(x:reshape({ -1 }):totable(), fn) end
  error(fn .. ": series must be a Lua array or a tensor, got " .. type(x), 3)
end

local KNOWN = { p = true, d = true, q = true, mean = true, cond = true, strict = true, method = true }

--- arima(series, {p = 0, d = 0, q = 0, mean = (d == 0), cond = p, method = "css", strict = true})
--- -> model. method "css": conditional sum of squares (conditioning on the first cond values);
--- "ml": exact Gaussian likelihood by the Kalman filter, stationary and invertible by
--- construction (engine/arima_ml.c; forecasts then use the CSS residual recursion at the ML
--- estimates).
--- model.phi, model.theta, model.mu, model.se (same order: phi, theta, mu), sigma2, loglik,
--- aic, converged, reason, stationary, invertible. strict: a fit that does not converge
--- raises an error saying why (false: keep it, model.converged = false).
function M.arima(series, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not KNOWN[k] then error("forecast.arima: unknown option '" .. tostring(k) .. "'", 2) end
  end
  local x = series_of(series, "forecast.arima")
  local o = { p = opts.p or 0, d = opts.d or 0, q = opts.q or 0, cond = opts.cond or 0 }
  for _, k in ipairs({ "p", "d", "q", "cond" }) do
    if type(o[k]) ~= "number" or o[k] < 0 or o[k] ~= math.floor(o[k]) then
      error(("forecast.arima: opts.%s must be a non-negative integer, got %s"):format(k, tostring(o[k])), 2)
    end
  end
  if opts.mean == nil then o.mean = o.d == 0 else o.mean = not not opts.mean end
  o.method = opts.method or "css"
  if o.method ~= "css" and o.method ~= "ml" then error("forecast.arima: opts.method must be 'css' or 'ml'", 2) end
  if o.method == "ml" then o.cond = o.p end
  local ok, r = pcall(core().fit, x, o)
  if not ok then error("forecast.arima: " .. tostring(r):gsub("^arima%.fit: ", ""), 2) end
  local m = setmetatable(r, A)
  m.order, m.x = o, x
  m.phi, m.theta = { unpack(r.params, 1, o.p) }, { unpack(r.params, o.p + 1, o.p + o.q) }
  m.mu = o.mean and r.params[o.p + o.q + 1] or nil
  if not r.converged and opts.strict ~= false then
    error(("forecast.arima: ARIMA(%d,%d,%d) did not converge: %s (pass strict=false to keep it)"):format(o.p, o.d, o.q, r.reason), 2)
  end
  return m
end

-- the standard normal quantile at (1 + level)/2: bisection on the CDF, itself a Simpson
-- integral of the density (2000 panels: ~1e-13 accurate, and only run for levels other than 95 %)
local function z_of(level)
  if level == 0.95 then return 1.959963984540054 end
  if type(level) ~= "number" or level <= 0 or level >= 1 then error("forecast: level must be in (0, 1)", 3) end
  local lo, hi = 0, 10
  local function cdf(z)
    local n, s, h = 2000, 0, z / 2000
    for i = 0, n do
      local w = (i == 0 or i == n) and 1 or (i % 2 == 1 and 4 or 2)
      s = s + w * math.exp(-(i * h) ^ 2 / 2)
    end
    return 0.5 + s * h / 3 / math.sqrt(2 * math.pi)
  end
  for _ = 1, 60 do
    local mid = (lo + hi) / 2
    if cdf(mid) < (1 + level) / 2 then lo = mid else hi = mid end
  end
  return (lo + hi) / 2
end

--- model:forecast(h [, {level = 0.95}]) -> {mean = {...}, se = {...}, lower = {...}, upper = {...}}
--- h-step forecasts of the original (undifferenced) series; intervals mean -+ z se with
--- se_k = sigma sqrt(sum_{j<k} psi_j^2) (Box & Jenkins 5.2), Gaussian errors assumed
function A:forecast(h, opts)
  if type(h) ~= "number" or h < 1 or h ~= math.floor(h) then error("arima:forecast: h must be an integer >= 1", 2) end
  local z = z_of((opts or {}).level or 0.95)
  local ok, mean, se = pcall(core().forecast, self.x, self.order, self.params, self.sigma2, h)
  if not ok then error("arima:forecast: " .. tostring(mean), 2) end
  local lo, hi = {}, {}
  for k = 1, h do lo[k], hi[k] = mean[k] - z * se[k], mean[k] + z * se[k] end
  return { mean = mean, se = se, lower = lo, upper = hi }
end

--- model:residuals() -> array of the CSS residuals of the differenced series (0 for the
--- conditioning values)
function A:residuals()
  local w = { unpack(self.x) }
  for _ = 1, self.order.d do
    for t = 1, #w - 1 do w[t] = w[t + 1] - w[t] end
    w[#w] = nil
  end
  local _, _, e = core().css(w, self.order, self.params)
  return e
end

--- model:save(path) — atomic, checksummed (tide.checkpoint); the series is kept (as %.17g
--- text, exact) because forecasts condition on it. forecast.load_arima(path) restores it.
function A:save(path)
  if type(path) ~= "string" then error("arima:save: path must be a string", 2) end
  local o, xs = self.order, {}
  for i, v in ipairs(self.x) do xs[i] = ("%.17g"):format(v) end
  local meta = { format = "tide.arima", p = o.p, d = o.d, q = o.q, cond = o.cond, mean = o.mean and 1 or 0, method = o.method,
                 sigma2 = self.sigma2, loglik = self.loglik, aic = self.aic, nobs = self.nobs,
                 converged = self.converged and 1 or 0, stationary = self.stationary and 1 or 0,
                 invertible = self.invertible and 1 or 0, reason = self.reason, series = table.concat(xs, ",") }
  for i = 1, #self.params do meta["param" .. i], meta["se" .. i] = self.params[i], self.se[i] end
  require("tide").checkpoint.save(path, {}, meta)
end

--- load(path) -> ARIMA model saved by model:save
function M.load(path)
  if type(path) ~= "string" then error("forecast.load_arima: path must be a string", 2) end
  local _, meta = require("tide").checkpoint.load(path)
  if meta.format ~= "tide.arima" then error("forecast.load_arima: " .. path .. " is not a tide ARIMA model", 2) end
  local o = { p = meta.p, d = meta.d, q = meta.q, cond = meta.cond, mean = meta.mean == 1, method = meta.method }
  local m = setmetatable({ order = o, x = {}, params = {}, se = {}, sigma2 = meta.sigma2, loglik = meta.loglik,
    aic = meta.aic, nobs = meta.nobs, converged = meta.converged == 1, stationary = meta.stationary == 1,
    invertible = meta.invertible == 1, reason = meta.reason }, A)
  for v in meta.series:gmatch("[^,]+") do m.x[#m.x + 1] = tonumber(v) end
  for i = 1, o.p + o.q + (o.mean and 1 or 0) do m.params[i], m.se[i] = meta["param" .. i], meta["se" .. i] end
  m.phi, m.theta = { unpack(m.params, 1, o.p) }, { unpack(m.params, o.p + 1, o.p + o.q) }
  m.mu = o.mean and m.params[o.p + o.q + 1] or nil
  return m
end

--- kpss(series [, lags]) -> statistic, lags. Level-stationarity KPSS statistic
--- eta = sum S_t^2 / (n^2 s^2(l)) with the Bartlett-weighted long-run variance, l =
--- floor(4 (n/100)^(1/4)) by default; reject stationarity at 5 % when eta > 0.463.
function M.kpss(series, lags)
  local x = series_of(series, "forecast.kpss")
  local n = #x
  if n < 3 then error("forecast.kpss: need at least 3 values", 2) end
  local mean = 0
  for i = 1, n do mean = mean + x[i] end
  mean = mean / n
  local e, s, eta = {}, 0, 0
  for i = 1, n do e[i] = x[i] - mean; s = s + e[i]; eta = eta + s * s end
  local l = lags or math.floor(4 * (n / 100) ^ 0.25)
  local lrv = 0
  for i = 1, n do lrv = lrv + e[i] * e[i] end
  for k = 1, l do
    local c = 0
    for i = k + 1, n do c = c + e[i] * e[i - k] end
    lrv = lrv + 2 * (1 - k / (l + 1)) * c
  end
  lrv = lrv / n
  if lrv <= 0 then return 0, l end -- a constant series is stationary
  return eta / (n * n * lrv), l
end

--- auto_arima(series, {max_p = 3, max_q = 3, max_d = 2, mean, method = "css"|"ml"}) -> best
--- model by AIC (CSS candidates all condition on the first max_p values), with
--- model.candidates = {{p, d, q, aic}, ...} and model.kpss = {statistic per d tried}
function M.auto_arima(series, opts)
  opts = opts or {}
  local x = series_of(series, "forecast.auto_arima")
  local max_p, max_q, max_d = opts.max_p or 3, opts.max_q or 3, opts.max_d or 2
  local d, w, stats = 0, { unpack(x) }, {}
  while true do
    local stat = M.kpss(w)
    stats[#stats + 1] = stat
    if stat <= 0.463 or d >= max_d or #w < 10 then break end
    for t = 1, #w - 1 do w[t] = w[t + 1] - w[t] end
    w[#w] = nil
    d = d + 1
  end
  local best, cands = nil, {}
  for p = 0, max_p do
    for q = 0, max_q do
      local ok, m = pcall(M.arima, x, { p = p, d = d, q = q, cond = max_p, mean = opts.mean, strict = false,
                                        method = opts.method })
      if ok and m.converged then
        cands[#cands + 1] = { p = p, d = d, q = q, aic = m.aic }
        if not best or m.aic < best.aic then best = m end
      end
    end
  end
  if not best then error("forecast.auto_arima: no candidate model converged (series too short or constant?)", 2) end
  best.candidates, best.kpss = cands, stats
  return best
end

return M
