-- tide.abtest.bootstrap — seeded stratified bootstrap intervals (engine/ab_boot.c): each arm is
-- resampled within itself; percentile and BCa intervals (Efron 1987). The difference in means
-- runs entirely in C; any other statistic gets resampled index sets from C and is evaluated in
-- Lua once per replicate, with a jackknife over every unit for the BCa acceleration.
local util = require("tide.abtest.util")
local core = util.core

local M = {}

local function interval(iv, B)
  return { estimate = iv.est, se = iv.se, percentile = { lo = iv.pct_lo, hi = iv.pct_hi },
           bca = { lo = iv.bca_lo, hi = iv.bca_hi }, z0 = iv.z0, accel = iv.accel, replicates = B }
end

local function check_opts(opts, fn)
  opts = util.opts(opts, { replicates = 1, B = 1, seed = 1, level = 1, stat = 1, jackknife = 1 }, fn)
  local B = opts.replicates or opts.B or 2000
  if type(B) ~= "number" or B < 2 or B ~= math.floor(B) then error(fn .. ": 'replicates' must be an integer >= 2", 3) end
  local seed = opts.seed or 1
  if type(seed) ~= "number" or seed < 0 or seed ~= math.floor(seed) then error(fn .. ": 'seed' must be an integer >= 0", 3) end
  if opts.stat ~= nil and type(opts.stat) ~= "function" then error(fn .. ": 'stat' must be a function(ia, ib) -> number", 3) end
  return opts, B, seed, util.level(opts.level or 0.95, fn, "level")
end

--- bootstrap.bootstrap(a, b [, {replicates = 2000, seed = 1, level = 0.95, stat = nil,
---   jackknife = true}]) -> {estimate, se, percentile = {lo, hi}, bca = {lo, hi}, z0, accel,
---   replicates}
--- Without stat: the difference mean(b) - mean(a) of the two samples (tensors or arrays).
--- With stat = function(ia, ib) -> number: a and b are the arm SIZES (integers) and stat gets
--- Lua arrays of 1-based row indices into each arm (resampled, or the full arms for the
--- estimate), so any statistic over the caller's data works (ratio metrics, medians, ...).
--- jackknife = false skips the n_a + n_b leave-one-out evaluations (then a = 0: BC interval).
function M.bootstrap(a, b, opts)
  local fn = "abtest.bootstrap"
  local B, seed, level
  opts, B, seed, level = check_opts(opts, fn)
  if not opts.stat then
    a, b = util.numbers(a, fn, "a", 2), util.numbers(b, fn, "b", 2)
    local ok, iv = pcall(core.boot_mean_diff, a, b, B, seed, level)
    if not ok then error(iv, 2) end
    return interval(iv, B)
  end
  for _, v in ipairs({ a, b }) do
    if type(v) ~= "number" or v < 2 or v ~= math.floor(v) then
      error(fn .. ": with 'stat', a and b must be the arm sizes (integers >= 2)", 2)
    end
  end
  local stat = opts.stat
  local function eval(ia, ib, what)
    local v = stat(ia, ib)
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      error(("%s: stat returned %s on %s (expected a finite number)"):format(fn, tostring(v), what), 3)
    end
    return v
  end
  local full_a, full_b = {}, {}
  for i = 1, a do full_a[i] = i end
  for i = 1, b do full_b[i] = i end
  local est = eval(full_a, full_b, "the data")
  local ra = core.boot_indices(a, B, seed, 0):totable()
  local rb = core.boot_indices(b, B, seed, 1):totable()
  local reps = {}
  for k = 1, B do reps[k] = eval(ra[k], rb[k], "replicate " .. k) end
  local jack
  if opts.jackknife ~= false then
    jack = {}
    local function loo(n, j)
      local t = {}
      for i = 1, n - 1 do t[i] = i < j and i or i + 1 end
      return t
    end
    for j = 1, a do jack[#jack + 1] = eval(loo(a, j), full_b, "a jackknife sample") end
    for j = 1, b do jack[#jack + 1] = eval(full_a, loo(b, j), "a jackknife sample") end
  end
  local ok, iv = pcall(core.boot_ci, reps, est, { a, b }, jack, level)
  if not ok then error(iv, 2) end
  return interval(iv, B)
end

return M
