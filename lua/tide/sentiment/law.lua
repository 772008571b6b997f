-- tide.sentiment.law — the decay law that weights reviews by age in tide.sentiment.aggregate,
-- evaluated in C by tide.decay (engine/decay.c tide_decay_weights via core.decay.weights).
--
-- A law is one of:
--   nil                 the default: exponential with opts.half_life seconds (30 days),
--                       w = 2^(-age / half_life) — the numbers aggregate always produced;
--   a tide.decay.fit result: its family, k, theta (row opts.series, default 1) and unit
--                       (seconds per time unit of its rates);
--   a table {family = name, <parameters>, unit = seconds | "day" | ... (default 1 second)}:
--     exponential: half_life or lambda;  linear, logarithmic, hyperbolic: lambda;
--     power: lambda, a;  weibull: lambda, k (shape);  mixture: w = {...}, lambda = {...};
--     or theta = {...} (natural parameters in decay.h order; mixture: k components).
-- resolve(opts, fn) -> law;  weights(law, ages_seconds) -> Lua array of weights (0 for
-- negative ages).
local M = {}

local function core() return require("tide").core.decay end

local UNITS = { second = 1, minute = 60, hour = 3600, day = 86400, week = 604800 }
local PARAMS = { exponential = { "lambda" }, linear = { "lambda" }, logarithmic = { "lambda" },
                 hyperbolic = { "lambda" }, power = { "lambda", "a" }, weibull = { "lambda", "k" } }

local function positive(v, what, fn)
  if type(v) ~= "number" or not (v > 0) or v == math.huge then
    error(("%s: %s must be a finite number > 0, got %s"):format(fn, what, tostring(v)), 4)
  end
  return v
end

local function from_fit(f, opts, fn)
  local S = f.theta:shape()[1]
  local s = opts.series or 1
  if type(s) ~= "number" or s % 1 ~= 0 or s < 1 or s > S then
    error(("%s: series must be an integer in 1..%d (the fit's series), got %s"):format(fn, S, tostring(s)), 4)
  end
  local theta = f.theta:select(1, s):totable()
  return { family = f.family, k = f.k or 2, theta = theta, unit = positive(f.unit, "law.unit", fn) }
end

local function from_table(t, fn)
  if type(t.family) ~= "string" then error(fn .. ": law.family must be a string", 4) end
  local ok, fam = pcall(core().family, t.family) -- the engine's names and aliases ("exp", ...)
  if not ok then
    error(("%s: unknown law family '%s' (exponential, linear, logarithmic, hyperbolic, power, weibull, mixture)"):format(fn, t.family), 4)
  end
  local allowed = { family = true, unit = true, theta = true, k = fam == "mixture" or nil }
  local law = { family = fam, k = 2 }
  local u = t.unit or 1
  if type(u) == "string" then
    u = UNITS[u] or error(("%s: law.unit must be seconds or one of second/minute/hour/day/week, got '%s'"):format(fn, u), 4)
  end
  law.unit = positive(u, "law.unit", fn)
  if t.theta ~= nil then
    if type(t.theta) ~= "table" then error(fn .. ": law.theta must be an array of numbers", 4) end
    law.theta = t.theta
    if fam == "mixture" then law.k = t.k or #t.theta / 2 end
  elseif fam == "mixture" then
    allowed.w, allowed.lambda = true, true
    if type(t.w) ~= "table" or type(t.lambda) ~= "table" or #t.w ~= #t.lambda or #t.w < 1 then
      error(fn .. ": a mixture law needs arrays w and lambda of equal length", 4)
    end
    law.k, law.theta = #t.w, {}
    for i = 1, #t.w do law.theta[i], law.theta[#t.w + i] = t.w[i], t.lambda[i] end
  elseif fam == "exponential" and t.half_life ~= nil then
    allowed.half_life = true
    if t.lambda ~= nil then error(fn .. ": give the exponential law half_life or lambda, not both", 4) end
    law.half_life = positive(t.half_life, "law.half_life", fn)
  else
    law.theta = {}
    for i, nm in ipairs(PARAMS[fam]) do
      allowed[nm] = true
      law.theta[i] = positive(t[nm], "law." .. nm, fn)
    end
  end
  for key in pairs(t) do
    if not allowed[key] then error(("%s: law.%s is not a parameter of the %s law"):format(fn, tostring(key), fam), 4) end
  end
  return law
end

function M.resolve(opts, fn)
  local law = opts.law
  if law == nil then
    local h = opts.half_life or 30 * 86400
    if type(h) ~= "number" or not (h > 0) or h == math.huge then error(fn .. ": half_life must be > 0 (seconds)", 3) end
    return { family = "exponential", half_life = h, unit = 1, k = 2 }
  end
  if opts.half_life ~= nil then error(fn .. ": give law or half_life, not both", 3) end
  if type(law) ~= "table" then error(fn .. ": law must be a tide.decay.fit result or a table {family = ...}", 3) end
  local r
  if type(law.theta) == "userdata" then r = from_fit(law, opts, fn) else r = from_table(law, fn) end
  -- validate the parameters in C now (a bad law fails before any review is read)
  local ok, err = pcall(M.weights, r, { 0 })
  if not ok then error(("%s: bad law: %s"):format(fn, tostring(err)), 3) end
  return r
end

-- The law's half-life in seconds (for reporting).
function M.half_life(law)
  if law.half_life then return law.half_life * law.unit end
  return core().half_life(law.family, law.k, law.theta):get(1) * law.unit
end

function M.is_exponential(law) return law.family == "exponential" end

-- Weights of reviews aged `ages` seconds (a Lua array), in C.
function M.weights(law, ages)
  if law.unit ~= 1 then
    local a = {}
    for i = 1, #ages do a[i] = ages[i] / law.unit end
    ages = a
  end
  if law.half_life then return core().weights("exponential", 2, nil, ages, law.half_life) end
  return core().weights(law.family, law.k, law.theta, ages)
end

return M
