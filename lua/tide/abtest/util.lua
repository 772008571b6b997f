-- tide.abtest.util — argument checking and small numeric helpers shared by the abtest modules:
-- numbers from tensors or Lua arrays (every entry checked, errors name the function and the
-- argument), means and variances, option-name checking, and the core.ab distribution functions.
local M = {}

local core = require("tide").core.ab
M.core = core

--- util.numbers(x, fn, what [, min_n]) -> Lua array of finite numbers (x: tensor or array).
function M.numbers(x, fn, what, min_n)
  local T = require("tide").tensor
  local out
  if type(x) == "table" then
    out = x
    for i = 1, #x do
      local v = x[i]
      if type(v) == "boolean" then
        if out == x then out = {}; for j = 1, i - 1 do out[j] = x[j] end end
        v = v and 1 or 0
      end
      if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
        error(("%s: %s[%d] must be a finite number, got %s"):format(fn, what, i, tostring(v)), 3)
      end
      if out ~= x then out[i] = v end
    end
  elseif T.is_tensor(x) then
    out = x:contiguous():view(-1):totable()
    for i = 1, #out do
      local v = out[i]
      if v ~= v or v == math.huge or v == -math.huge then
        error(("%s: %s[%d] is not finite (%s)"):format(fn, what, i, tostring(v)), 3)
      end
    end
  else
    error(("%s: %s must be a tensor or a table of numbers, got %s"):format(fn, what, type(x)), 3)
  end
  if min_n and #out < min_n then
    error(("%s: %s needs at least %d values, got %d"):format(fn, what, min_n, #out), 3)
  end
  return out
end

--- util.mean_var(x) -> mean, sample variance (n - 1 divisor; 0 for n = 1), n
function M.mean_var(x)
  local n, s = #x, 0
  for i = 1, n do s = s + x[i] end
  local m = s / n
  local ss = 0
  for i = 1, n do local d = x[i] - m; ss = ss + d * d end
  return m, n > 1 and ss / (n - 1) or 0, n
end

--- util.cov(x, y) -> sample covariance (n - 1 divisor)
function M.cov(x, y)
  local n, sx, sy = #x, 0, 0
  for i = 1, n do sx = sx + x[i]; sy = sy + y[i] end
  local mx, my, s = sx / n, sy / n, 0
  for i = 1, n do s = s + (x[i] - mx) * (y[i] - my) end
  return s / (n - 1)
end

--- util.opts(opts, allowed_set, fn) -> opts (or {}), erroring on a non-table or an unknown key
function M.opts(opts, allowed, fn)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(("%s: options must be a table, got %s"):format(fn, type(opts)), 3) end
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for a in pairs(allowed) do names[#names + 1] = a end
      table.sort(names)
      error(("%s: unknown option '%s' (known: %s)"):format(fn, tostring(k), table.concat(names, ", ")), 3)
    end
  end
  return opts
end

--- util.prob(v, fn, what, lo_open, hi_open) -> v, checked to lie in (0, 1)
function M.level(v, fn, what)
  if type(v) ~= "number" or not (v > 0 and v < 1) then
    error(("%s: %s must be a number in (0, 1), got %s"):format(fn, what, tostring(v)), 3)
  end
  return v
end

--- util.z(q) -> standard normal quantile; util.t(q, df) -> Student t quantile (df = inf: normal)
function M.z(q) return core.norm_ppf(q) end
function M.t(q, df) return core.t_ppf(q, df) end

--- util.p_two_sided_z(z) / util.p_two_sided_t(t, df) -> two-sided p-values
function M.p_z(z) return 2 * core.norm_cdf(-math.abs(z)) end
function M.p_t(t, df) return 2 * core.t_cdf(-math.abs(t), df) end

return M
