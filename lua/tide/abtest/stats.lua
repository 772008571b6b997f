-- tide.abtest.stats — two-arm effect estimates with intervals and p-values. Every result is
-- "treatment minus control" (arm b minus arm a) with a `level` interval (default 0.95).
--   welch: difference in means, Welch-Satterthwaite t (Welch 1947), plus the relative lift
--     b/a - 1 with a delta-method interval;
--   proportions: difference in rates with Newcombe's hybrid score interval (Newcombe 1998,
--     Stat. Med. 17, method 10, from Wilson intervals) or Wald, the pooled z-test p-value, and
--     the relative lift with a delta-method interval;
--   ratio: ratio metrics sum(num)/sum(den) per arm (revenue per visit: units are users, the
--     ratio's numerator and denominator are per-user sums) by the delta method (Deng, Knoblich
--     & Lu 2018, "Applying the delta method in metric analytics", KDD, sec. 3):
--     Var(R) = (s_y^2 - 2 R s_xy + R^2 s_x^2) / (n mean_x^2).
local util = require("tide.abtest.util")

local M = {}

local function lift_delta(ma, va, mb, vb, level)
  -- delta method for g(ma, mb) = mb / ma - 1 with independent arms: gradient (-mb/ma^2, 1/ma)
  local lift = mb / ma - 1
  local se = math.sqrt(vb / (ma * ma) + mb * mb * va / ma ^ 4)
  local z = util.z(0.5 + level / 2)
  return { estimate = lift, se = se, lo = lift - z * se, hi = lift + z * se }
end

--- stats.welch(a, b [, {level = 0.95}]) -> {estimate = mean(b) - mean(a), se, df, t, p, lo, hi,
---   mean_a, mean_b, n_a, n_b, lift = {estimate, se, lo, hi}}
--- a, b: tensors or arrays of numbers (control, treatment), at least 2 values each.
function M.welch(a, b, opts)
  local fn = "abtest.welch"
  opts = util.opts(opts, { level = 1 }, fn)
  local level = util.level(opts.level or 0.95, fn, "level")
  a, b = util.numbers(a, fn, "a", 2), util.numbers(b, fn, "b", 2)
  local ma, va, na = util.mean_var(a)
  local mb, vb, nb = util.mean_var(b)
  local sa, sb = va / na, vb / nb
  local se = math.sqrt(sa + sb)
  local d = mb - ma
  if se == 0 then error(fn .. ": both arms are constant: the difference has no sampling variance", 2) end
  local df = (sa + sb) ^ 2 / (sa * sa / (na - 1) + sb * sb / (nb - 1))
  local q = util.t(0.5 + level / 2, df)
  local res = { estimate = d, se = se, df = df, t = d / se, p = util.p_t(d / se, df), lo = d - q * se,
                hi = d + q * se, mean_a = ma, mean_b = mb, n_a = na, n_b = nb, level = level }
  if ma ~= 0 then res.lift = lift_delta(ma, sa, mb, sb, level) end
  return res
end

local function wilson(x, n, z)
  local p = x / n
  local c = p + z * z / (2 * n)
  local h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
  local d = 1 + z * z / n
  return (c - h) / d, (c + h) / d
end

local function count(v, fn, what)
  if type(v) ~= "number" or v < 0 or v ~= math.floor(v) then
    error(("%s: %s must be an integer >= 0, got %s"):format(fn, what, tostring(v)), 3)
  end
  return v
end

--- stats.proportions(x_a, n_a, x_b, n_b [, {level = 0.95, method = "newcombe"|"wald"}])
---   -> {estimate = p_b - p_a, lo, hi, se (Wald), z, p (pooled z-test), p_a, p_b, lift}
function M.proportions(xa, na, xb, nb, opts)
  local fn = "abtest.proportions"
  opts = util.opts(opts, { level = 1, method = 1 }, fn)
  local level = util.level(opts.level or 0.95, fn, "level")
  local method = opts.method or "newcombe"
  if method ~= "newcombe" and method ~= "wald" then
    error(fn .. ": method must be 'newcombe' or 'wald', got " .. tostring(method), 2)
  end
  xa, na, xb, nb = count(xa, fn, "x_a"), count(na, fn, "n_a"), count(xb, fn, "x_b"), count(nb, fn, "n_b")
  if na == 0 or nb == 0 then error(fn .. ": both arms need at least one unit", 2) end
  if xa > na or xb > nb then error(fn .. ": successes exceed the arm size", 2) end
  local pa, pb = xa / na, xb / nb
  local d, z = pb - pa, util.z(0.5 + level / 2)
  local se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
  local lo, hi
  if method == "wald" then lo, hi = d - z * se, d + z * se
  else
    local l1, u1 = wilson(xb, nb, z)
    local l2, u2 = wilson(xa, na, z)
    lo = d - math.sqrt((pb - l1) ^ 2 + (u2 - pa) ^ 2)
    hi = d + math.sqrt((u1 - pb) ^ 2 + (pa - l2) ^ 2)
  end
  local pp = (xa + xb) / (na + nb)
  local sp = math.sqrt(pp * (1 - pp) * (1 / na + 1 / nb))
  local zs = sp > 0 and d / sp or 0
  local res = { estimate = d, lo = lo, hi = hi, se = se, z = zs, p = sp > 0 and util.p_z(zs) or 1,
                p_a = pa, p_b = pb, n_a = na, n_b = nb, method = method, level = level }
  if pa > 0 then res.lift = lift_delta(pa, pa * (1 - pa) / na, pb, pb * (1 - pb) / nb, level) end
  return res
end

-- ratio of sums and its delta-method variance for one arm
local function ratio_arm(y, x)
  local my, vy, n = util.mean_var(y)
  local mx, vx = util.mean_var(x)
  local r = my / mx
  return r, (vy - 2 * r * util.cov(y, x) + r * r * vx) / (n * mx * mx), n
end

--- stats.ratio(num_a, den_a, num_b, den_b [, {level = 0.95}]) -> {estimate = R_b - R_a, se,
---   lo, hi, z, p, ratio_a, ratio_b, lift}: ratio metrics sum(num)/sum(den) per arm, one entry
---   per randomisation unit (user), normal intervals from the delta method.
function M.ratio(ya, xa, yb, xb, opts)
  local fn = "abtest.ratio"
  opts = util.opts(opts, { level = 1 }, fn)
  local level = util.level(opts.level or 0.95, fn, "level")
  ya, xa = util.numbers(ya, fn, "num_a", 2), util.numbers(xa, fn, "den_a", 2)
  yb, xb = util.numbers(yb, fn, "num_b", 2), util.numbers(xb, fn, "den_b", 2)
  if #ya ~= #xa or #yb ~= #xb then error(fn .. ": numerator and denominator lengths differ within an arm", 2) end
  local ra, va = ratio_arm(ya, xa)
  local rb, vb = ratio_arm(yb, xb)
  if ra ~= ra or rb ~= rb or ra == math.huge or rb == math.huge then
    error(fn .. ": a denominator sums to 0", 2)
  end
  local d, se, z = rb - ra, math.sqrt(va + vb), util.z(0.5 + level / 2)
  local res = { estimate = d, se = se, lo = d - z * se, hi = d + z * se, z = se > 0 and d / se or 0,
                p = se > 0 and util.p_z(d / se) or 1, ratio_a = ra, ratio_b = rb, level = level }
  if ra ~= 0 then res.lift = lift_delta(ra, va, rb, vb, level) end
  return res
end

return M
