-- tide.abtest.power — sample size, power and minimum detectable effect for two-arm tests with a
-- two-sided level alpha (normal approximation):
--   means:       n_a = (z_{1-α/2} + z_{power})^2 σ^2 (1 + 1/ratio) / δ^2, n_b = ratio n_a;
--   proportions: n = (z_{1-α/2} sqrt(2 p̄ q̄) + z_{power} sqrt(p1 q1 + p2 q2))^2 / δ^2 per arm
--                (Fleiss, Levin & Paik 2003, eq. 4.14, without continuity correction).
-- The MDE is the effect the test detects with the given power at the given size.
local util = require("tide.abtest.util")

local M = {}

local function common(o, fn)
  local alpha, power = o.alpha or 0.05, o.power or 0.8
  util.level(alpha, fn, "alpha")
  util.level(power, fn, "power")
  return util.z(1 - alpha / 2), util.z(power)
end

local function positive(v, fn, what)
  if type(v) ~= "number" or not (v > 0 and v < math.huge) then
    error(("%s: '%s' must be a positive number, got %s"):format(fn, what, tostring(v)), 3)
  end
  return v
end

local keys_means = { sd = 1, delta = 1, n = 1, alpha = 1, power = 1, ratio = 1 }

--- power.n_means{sd=, delta=, alpha=0.05, power=0.8, ratio=1} -> n_a, n_b (ceil), exact n_a
function M.n_means(o)
  local fn = "abtest.power.n_means"
  o = util.opts(o, keys_means, fn)
  local za, zb = common(o, fn)
  local sd, d, ratio = positive(o.sd, fn, "sd"), positive(math.abs(o.delta or 0), fn, "delta"), positive(o.ratio or 1, fn, "ratio")
  local na = (za + zb) ^ 2 * sd * sd * (1 + 1 / ratio) / (d * d)
  return math.ceil(na - 1e-9), math.ceil(ratio * na - 1e-9), na
end

--- power.mde_means{sd=, n= (arm a), alpha=0.05, power=0.8, ratio=1} -> smallest |δ| detected
function M.mde_means(o)
  local fn = "abtest.power.mde_means"
  o = util.opts(o, keys_means, fn)
  local za, zb = common(o, fn)
  local sd, n, ratio = positive(o.sd, fn, "sd"), positive(o.n, fn, "n"), positive(o.ratio or 1, fn, "ratio")
  return (za + zb) * sd * math.sqrt((1 + 1 / ratio) / n)
end

--- power.power_means{sd=, delta=, n= (arm a), alpha=0.05, ratio=1} -> power (both tails)
function M.power_means(o)
  local fn = "abtest.power.power_means"
  o = util.opts(o, keys_means, fn)
  local za = common(o, fn)
  local sd, n, ratio = positive(o.sd, fn, "sd"), positive(o.n, fn, "n"), positive(o.ratio or 1, fn, "ratio")
  local shift = math.abs(o.delta or 0) / (sd * math.sqrt((1 + 1 / ratio) / n))
  local cdf = util.core.norm_cdf
  return cdf(shift - za) + cdf(-shift - za)
end

local keys_prop = { p = 1, delta = 1, n = 1, alpha = 1, power = 1 }

local function n_prop(p1, d, za, zb)
  local p2 = p1 + d
  local pb = (p1 + p2) / 2
  return (za * math.sqrt(2 * pb * (1 - pb)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ^ 2 / (d * d)
end

local function rate(v, fn, what)
  if type(v) ~= "number" or not (v > 0 and v < 1) then
    error(("%s: '%s' must be a rate in (0, 1), got %s"):format(fn, what, tostring(v)), 3)
  end
  return v
end

--- power.n_proportions{p= (control rate), delta= (absolute change), alpha=0.05, power=0.8}
---   -> n per arm (ceil), exact n
function M.n_proportions(o)
  local fn = "abtest.power.n_proportions"
  o = util.opts(o, keys_prop, fn)
  local za, zb = common(o, fn)
  local p = rate(o.p, fn, "p")
  if type(o.delta) ~= "number" or o.delta == 0 then error(fn .. ": 'delta' must be a non-zero number", 2) end
  rate(p + o.delta, fn, "p + delta")
  local n = n_prop(p, o.delta, za, zb)
  return math.ceil(n - 1e-9), n
end

--- power.mde_proportions{p=, n= (per arm), alpha=0.05, power=0.8} -> smallest increase δ > 0
---   detected (solved by bisection on the sample-size formula, which falls as δ grows)
function M.mde_proportions(o)
  local fn = "abtest.power.mde_proportions"
  o = util.opts(o, keys_prop, fn)
  local za, zb = common(o, fn)
  local p, n = rate(o.p, fn, "p"), positive(o.n, fn, "n")
  local lo, hi = 0, 1 - p
  if n_prop(p, hi * (1 - 1e-12), za, zb) > n then return nil end -- undetectable at this size
  for _ = 1, 200 do
    local mid = 0.5 * (lo + hi)
    if n_prop(p, mid, za, zb) > n then lo = mid else hi = mid end
  end
  return hi
end

return M
