-- tide.decay — interest decay laws fitted from behaviour logs, forecasts, decayed interest
-- profiles and Hawkes return intensities. Heavy lifting is in C (engine/decay*.c, hawkes.c,
-- interest.c); this module orchestrates.
--   local fit = tide.decay.fit(ev, {family = "exponential", per = "user", unit = "day"})
--   print(fit:params(1).half_life)
--   local ranked = tide.decay.select(ev, {families = {"exponential", "weibull", "mixture"}})
--   local prof = tide.decay.profile(ev, {by = "category", half_life = 7, threshold = 0.05})
--   fit:save("fit.tide"); fit = tide.decay.load("fit.tide")   -- also Hawkes fits
local fitmod = require("tide.decay.fit")
local M = {}

local function core() return require("tide").core.decay end

M.families = function() return core().families() end
M.gaps = fitmod.gaps
M.fit = fitmod.fit
M.Fit = fitmod.Fit

-- Values S(t; θ) and dS/dθ for a family: theta is a table/tensor of natural parameters
-- ([P] or [S, P] with series ids), t a table/tensor of times.
function M.eval(family, theta, t, opts)
  opts = opts or {}
  return core().eval(family, opts.k or 2, theta, t, opts.series)
end

-- Half-lives: of a fit result (tensor [S]) or of (family, theta).
function M.half_life(a, theta, k)
  if type(a) == "table" then return a.half_life end
  return core().half_life(a, k or 2, theta)
end

-- Fits every family and ranks them by AIC (or BIC): list of {family, aic, bic, loglik, fit}.
function M.select(ev, opts)
  opts = opts or {}
  local fams = opts.families or { "exponential", "hyperbolic", "power", "weibull", "mixture",
                                  "linear", "logarithmic" }
  local crit = opts.criterion or "aic"
  local out = {}
  for _, f in ipairs(fams) do
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.family, o.shrink = f, false
    local r = M.fit(ev, o)
    out[#out + 1] = { family = f, aic = r.aic, bic = r.bic, loglik = r.total_loglik, fit = r }
  end
  table.sort(out, function(a, b) return a[crit] < b[crit] end)
  for i, r in ipairs(out) do r["delta_" .. crit] = r[crit] - out[1][crit] end
  return out
end

-- Forecast I(age + h) = I_now · S(age + h) / S(age) for series s (ages, h in fit units).
-- For the exponential family this is the memoryless I_now · e^(−λh).
function M.forecast(fit, I_now, age, h, s)
  local now = fit:value(age, s)
  local later = fit:value(age + h, s)
  return now > 0 and I_now * later / now or 0
end

local EVENT_NAMES = { "browse", "click", "cart", "fav", "buy" }

-- Event-type weights: an array, or a table keyed by name (browse/click/cart/fav/buy).
local function weights(w)
  if w == nil then return nil end
  if #w > 0 then return w end
  local out = {}
  for i, name in ipairs(EVENT_NAMES) do out[i] = w[name] or 0 end
  return out
end

-- The decay curve S and per-type weights of any fitted law, as an interest spec: a return-gap
-- fit (tide.decay.fit: S per user when per = "user"), a response-kernel Fit (each interaction
-- weighs w[type]·S(age): the target actions it still has to trigger), or a Hawkes law (each
-- visit's excitation α·e^(−β·age): S = e^(−β·age), one weight).
local function law_spec(law, fn)
  if type(law) ~= "table" then
    error(fn .. ": opts.law must be a fitted law (tide.decay.fit, tide.decay.response.fit or a Hawkes law), got " .. type(law), 3)
  end
  if law.mu and law.alpha and law.beta then
    return { family = "exponential", theta = { law.beta }, unit = law.unit or 86400 }
  end
  if type(law.weights) == "table" and law.type_names then
    local w = {}
    for i, name in ipairs(EVENT_NAMES) do w[i] = law.weights[name] or 0 end
    return { family = law.family, k = law.k, theta = law.theta, unit = law.unit, weights = w }
  end
  if law.family and law.theta then return { family = law.family, k = law.k, theta = law.theta, unit = law.unit } end
  error(fn .. ": opts.law is not a fitted decay law (needs family and theta, or Hawkes mu/alpha/beta)", 3)
end

--- profile(ev, opts) -> decayed interest profiles interest(u, x, t) = Σ_e w(type_e)·S(t − t_e).
--- opts: by = "category"|"item"; law (any fitted law: tide.decay.fit result, per = "user" or
--- global; a tide.decay.response Fit, which brings its learned type weights; a Hawkes law)
--- — `fit` is the same option —, or family/theta, or half_life (days, exponential); weights
--- (array or by name; override the law's); at (epoch seconds, number or i64 tensor [U];
--- default: end of the log); h (seconds, forecast horizon added to at); norm = "sum"|"max";
--- threshold (θ: keep keys at or above it, after norm); top_k (keep each user's k strongest
--- keys, strongest first); dense = true for a [U, X] tensor (no top_k).
--- Returns {off, key, val} (sparse CSR, keys 1-based) or a tensor.
function M.profile(ev, opts)
  opts = opts or {}
  local seq = require("tide.decay.seq")
  local s = seq.of(ev)
  local by = opts.by or "category"
  if by ~= "category" and by ~= "item" then error("decay.profile: by must be 'category' or 'item'", 2) end
  local key
  if by == "category" then key = s.category else key = s.item end
  if not key then error("decay.profile: the event table has no " .. by .. " column", 2) end
  local tk = opts.top_k
  if tk ~= nil and not (type(tk) == "number" and tk >= 1 and tk == math.floor(tk)) then
    error("decay.profile: top_k must be an integer >= 1, got " .. tostring(tk), 2)
  end
  if tk and opts.dense then error("decay.profile: top_k applies to sparse profiles; drop dense = true", 2) end
  local X = by == "category" and s.n_categories or s.n_items
  local spec
  local law = opts.law or opts.fit
  if law ~= nil then
    spec = law_spec(law, "decay.profile")
  elseif opts.theta then
    spec = { family = opts.family or "exponential", k = opts.k or 2, theta = opts.theta, unit = opts.unit or 86400 }
  else
    spec = { family = "exponential", theta = { math.log(2) / (opts.half_life or 7) }, unit = 86400 }
  end
  spec.unit = spec.unit or 86400
  if opts.weights then spec.weights = weights(opts.weights) end
  local at = opts.at or seq.t_end(ev)
  if opts.h then
    at = type(at) == "number" and at + opts.h or at + require("tide").tensor.full({ s.n_users }, opts.h, "i64")
  end
  local types = spec.weights and s.event or nil
  if opts.dense then
    return core().interest(spec, s.off, key, s.time, types, X, at, { dense = true })
  end
  local off, k, v = core().interest(spec, s.off, key, s.time, types, X, at,
    { norm = opts.norm, threshold = opts.threshold })
  if tk then off, k, v = core().rows_topk(off, k, v, tk) end
  return setmetatable({ off = off, key = k, val = v, n_users = s.n_users, n_keys = X, by = by }, { __index = M.Profile })
end

M.Profile = {}
-- The (key, value) pairs of user u, strongest first.
function M.Profile:of(u)
  local a, b = self.off:get(u), self.off:get(u + 1)
  local out = {}
  for p = a + 1, b do out[#out + 1] = { self.key:get(p), self.val:get(p) } end
  table.sort(out, function(x, y) return x[2] > y[2] end)
  return out
end

M.hawkes = require("tide.decay.hawkes")
M.response = require("tide.decay.response")
M.online = require("tide.decay.online")

--- decay.load(path) -> the decay fit (fit:save), Hawkes law (h:save) or response-kernel fit
--- (tide.decay.response Fit:save, or a marked one, response_marked) stored in path, exact:
--- parameters, standard errors and forecasts equal the saved object's bit for bit.
function M.load(path)
  local tensors, meta = require("tide.models.io").load(path, "decay.load",
    { decay_fit = true, hawkes = true, response_fit = true, response_marked = true, response_stacked = true })
  if meta.kind == "hawkes" then return M.hawkes.from_state(tensors, meta) end
  if meta.kind == "response_marked" then return require("tide.decay.response_marked").from_state(tensors, meta) end
  if meta.kind == "response_stacked" then return require("tide.decay.response_stacked").from_state(tensors, meta) end
  if meta.kind == "response_fit" then return M.response.from_state(tensors, meta) end
  return fitmod.from_state(tensors, meta)
end

-- Least-squares fit of I(t) = I0·S(t; θ) to observed (t, y) points (tide.decay.curve).
function M.curve_fit(t, y, opts) return require("tide.decay.curve").curve_fit(t, y, opts) end

-- ŷ = α(z)·e^(−β(z)·t) with (α, β) = softplus(MLP(z)), trained end to end (tide.decay.net)
function M.network(opts) return require("tide.decay.net").new(opts) end

return M
