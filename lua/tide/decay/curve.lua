-- tide.decay.curve_fit — least-squares fit of an interest curve I(t) = I0 · S(t; θ) to observed
-- (t, y) points (e.g. an engagement rate measured t days after an interaction), for any family
-- of decay.h. Minimises Σ w_i (y_i − I0 S(t_i))² over log I0 and the family's unconstrained
-- parameters (log rates; the mixture's weights through softmax logits) with L-BFGS; gradients
-- come from the C family gradients (core.decay.eval).
--   local c = tide.decay.curve_fit({0, 1, 2, 4}, {1.0, 0.61, 0.37, 0.14}, {family = "exponential"})
--   print(c.I0, c.theta[1], c.half_life)
local M = {}

local function core() return require("tide").core.decay end

local function totable(x)
  if type(x) == "table" then return x end
  return x:reshape({ -1 }):totable()
end

local function to_theta(family, k, u)
  -- u = free parameters (after log I0): log θ, or for the mixture k−1 logits then k log rates
  if family ~= "mixture" then
    local th = {}
    for i = 1, #u do th[i] = math.exp(u[i]) end
    return th
  end
  local z, w = 1, {}
  for i = 1, k - 1 do w[i] = math.exp(u[i]); z = z + w[i] end
  w[k] = 1
  local th = {}
  for i = 1, k do th[i] = w[i] / z; th[k + i] = math.exp(u[k - 1 + i]) end
  return th
end

function M.curve_fit(t, y, opts)
  opts = opts or {}
  local family, k = opts.family or "exponential", opts.k or 2
  t, y = totable(t), totable(y)
  if #t ~= #y or #t == 0 then error("decay.curve_fit: t and y must be non-empty and of equal length", 2) end
  local wts = opts.weights and totable(opts.weights)
  local P = core().nparams(family, k)
  -- start: I0 = max y, rate from the time the curve first drops below half of it
  local y0, th_half = -math.huge, nil
  for i = 1, #y do y0 = math.max(y0, y[i]) end
  for i = 1, #t do if y[i] <= y0 / 2 and t[i] > 0 then th_half = t[i]; break end end
  local rate = math.log(2) / (th_half or (t[#t] > 0 and t[#t] or 1))
  local u = { math.log(math.max(y0, 1e-12)) }
  if family == "mixture" then
    for i = 1, k - 1 do u[#u + 1] = 0 end
    for i = 1, k do u[#u + 1] = math.log(rate * 4 ^ ((k - 1) / 2 - (i - 1))) end
  else
    local init = ({ linear = { 0.5 / math.max(t[#t], 1e-12) }, logarithmic = { 0.5 / math.log(1 + math.max(t[#t], 1e-12)) },
                    power = { 2 * rate, 1.5 }, weibull = { rate, 1 } })[family] or { rate }
    for i = 1, P do u[#u + 1] = math.log(init[i]) end
  end
  local function f(x)
    local I0 = math.exp(x[1])
    local fr = {}
    for i = 2, #x do fr[i - 1] = x[i] end
    local th = to_theta(family, k, fr)
    local v, g = core().eval(family, k, th, t)
    local loss, gu = 0, {}
    for i = 1, #x do gu[i] = 0 end
    local gth = {}
    for p = 1, P do gth[p] = 0 end
    for i = 1, #t do
      local s = v:get(i)
      local r = I0 * s - y[i]
      local wi = wts and wts[i] or 1
      loss = loss + wi * r * r
      gu[1] = gu[1] + 2 * wi * r * I0 * s
      for p = 1, P do gth[p] = gth[p] + 2 * wi * r * I0 * g:get(i, p) end
    end
    if family == "mixture" then
      local sw = 0
      for i = 1, k do sw = sw + gth[i] * th[i] end
      for j = 1, k - 1 do gu[1 + j] = th[j] * (gth[j] - sw) end
      for i = 1, k do gu[k + i] = th[k + i] * gth[k + i] end
    else
      for p = 1, P do gu[1 + p] = th[p] * gth[p] end
    end
    return loss, gu
  end
  local x, info = require("tide.lbfgs").minimize(f, u, { max_iter = opts.max_iter or 500, gtol = 1e-10 })
  local fr = {}
  for i = 2, #x do fr[i - 1] = x[i] end
  local th = to_theta(family, k, fr)
  if family == "mixture" then -- components by decreasing rate, as tide.decay.fit reports them
    local comp = {}
    for i = 1, k do comp[i] = { th[i], th[k + i] } end
    table.sort(comp, function(a, b) return a[2] > b[2] end)
    for i = 1, k do th[i], th[k + i] = comp[i][1], comp[i][2] end
  end
  return { family = family, k = k, I0 = math.exp(x[1]), theta = th, sse = info.f,
           half_life = core().half_life(family, k, th):get(1), status = info.status }
end

return M
