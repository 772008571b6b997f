-- tide.decay.fit — maximum-likelihood decay laws per user / category / item / segment / globally.
--
-- Estimand (documented, see engine/decay_fit.c): the survival function of the RETURN GAP,
-- S(t) = P(no new interaction t time units after the last one), from observed gaps between
-- consecutive interactions (of a user, or of a user with a category/item) and the open gap
-- from the last interaction to the end of the window (right-censored). Interest decay reads
-- the same curve: I(t) = I0 · S(t); half-life = the t with S(t) = 1/2 (ln 2 / λ for exponential).
-- Sparse series are shrunk towards their pool: exponential rates by Gamma empirical Bayes
-- (posterior mean (a + d) / (b + T)), other families by a Gaussian prior on the transformed
-- parameters centred on the pooled fit (prior_prec).
--
-- opts: family ("exponential"; see tide.decay.families()), k (mixture components, 2),
--   per ("global" | "user" | "category" | "item" | "segment"), segment (i32 [n_users] ids,
--   for per = "segment", or to give per-user shrinkage one prior per segment), gaps_by
--   ("category" | "item": gaps within (user, key) while pooling per = "global"/"user"),
--   unit ("day" or seconds; rates are per unit), min_gap (seconds: an event closer than this
--   to the previous one continues the same visit; default 0 — use ~1800 for click streams),
--   t_end (end of the observation window, epoch seconds; default the last event), shrink
--   (default true unless per = "global"), prior_prec (1), se (true), max_iter (L-BFGS iterations
--   per series, 200), shape = "shared" (one
--   power/Weibull shape for all series, a rate per series shrunk toward their geometric mean
--   with prior_prec; exponential: rates only — engine/decay_shared.c. AIC then counts S rates
--   + 1 shape, so heterogeneous exponential users are not mislabelled "power" by pooling;
--   with few gaps per series the shared shape carries the incidental-parameter bias of order
--   1/(gaps per series), e.g. Weibull k ≈ 1.02 at ~36 gaps per user on exponential data).
-- Result: theta [S, P], se [S, P], half_life [S], loglik [S], status [S], total_loglik, aic,
--   bic, n_gaps, n_returns, prior, mle_theta/mle_se (before shrinkage), no_return (i32 [S]:
--   1 for a series without any observed return — its MLE rate is 0, so theta holds a
--   placeholder (0.5 / exposure without shrinkage, the prior-pulled value with it), not an
--   estimate; n_no_return counts them); methods params(s), value(t, s), save(path)
--   (tide.decay.load(path) reads it back exactly).
--   Convergence is reported, never hidden: converged (true when every series
--   with returns converged), convergence = {reason = number of series} with reasons
--   converged, max_iter, line_search_failed, non_finite_start, non_finite (the estimate left
--   the finite range), no_returns (no observed gap: theta is the prior / start value), and
--   reason (a sentence, nil when converged). params(s) also gives status and converged.
local seq = require("tide.decay.seq")
local M = {}

local function core() return require("tide").core.decay end
local UNITS = { second = 1, minute = 60, hour = 3600, day = 86400, week = 604800 }

local function unit_seconds(u)
  if u == nil then return 86400 end
  if type(u) == "number" and u > 0 then return u end
  return UNITS[u] or error("decay.fit: unit must be a number of seconds or one of second/minute/hour/day/week, got " .. tostring(u), 3)
end

-- gaps + the series id of every gap, for the requested pooling
function M.gaps(ev, opts)
  local T = require("tide").tensor
  local s = seq.of(ev)
  local per = opts.per or "global"
  -- gaps are measured within (user, key) when pooling by category/item, or when asked with
  -- gaps_by = "category"|"item" (e.g. one global law of category return times)
  local by = opts.gaps_by or ((per == "category" or per == "item") and per or nil)
  local key
  if by == "category" then key = s.category or error("decay.fit: per/gaps_by = 'category' needs a category column", 3)
  elseif by == "item" then key = s.item
  elseif by ~= nil then error("decay.fit: gaps_by must be 'category' or 'item', got " .. tostring(by), 3) end
  local t_end = opts.t_end or seq.t_end(ev)
  local unit = unit_seconds(opts.unit)
  local gap, event, user, gkey = core().gaps(s.off, s.time, key, t_end, opts.min_gap or 0, unit)
  local series, S
  if per == "user" then series, S = user, s.n_users
  elseif per == "category" then series, S = gkey, s.n_categories
  elseif per == "item" then series, S = gkey, s.n_items
  elseif per == "segment" then
    local seg = opts.segment or error("decay.fit: per = 'segment' needs opts.segment (i32 tensor [n_users] of segment ids)", 3)
    series = seg:index_select(1, user)
    S = opts.n_segments or math.floor(seg:cast("f32"):max():item())
  elseif per == "global" then series, S = T.ones({ gap:numel() }, "i32"), 1
  else error("decay.fit: per must be user, category, item, segment or global, got " .. tostring(per), 3) end
  return { gap = gap, event = event, user = user, series = series, n_series = S, unit = unit, t_end = t_end }
end

-- sums of events and exposure per series (for empirical Bayes)
local function counts(g)
  local T = require("tide").tensor
  local d = T.zeros({ g.n_series }):index_add(1, g.series, g.event:cast("f32"))
  local exposure = T.zeros({ g.n_series }):index_add(1, g.series, g.gap)
  return d, exposure
end

local REASONS = { [0] = "converged", [2] = "max_iter", [-2] = "line_search_failed",
  [-3] = "non_finite_start", [-4] = "bad_arguments", [-5] = "non_finite", [3] = "no_returns" }
M.REASONS = REASONS

-- converged, counts per reason, and a sentence naming the failures (nil when none)
local function convergence(status)
  local counts, bad, S = {}, 0, 0
  for _, st in ipairs(status:reshape({ -1 }):totable()) do
    local r = REASONS[st] or "unknown"
    counts[r], S = (counts[r] or 0) + 1, S + 1
    if st ~= 0 and st ~= 3 then bad = bad + 1 end
  end
  if bad == 0 then return true, counts, nil end
  local parts = {}
  for r, n in pairs(counts) do
    if r ~= "converged" and r ~= "no_returns" then parts[#parts + 1] = n .. " " .. r end
  end
  table.sort(parts)
  return false, counts, ("%d of %d series did not converge (%s); see fit.status"):format(bad, S, table.concat(parts, ", "))
end

function M.fit(ev, opts)
  opts = opts or {}
  local T = require("tide").tensor
  local family, k = opts.family or "exponential", opts.k or 2
  local g = M.gaps(ev, opts)
  local off, perm = core().group(g.series, nil, g.n_series)
  local gap, event = g.gap:index_select(1, perm), g.event:index_select(1, perm)
  local shared = opts.shape == "shared"
  if opts.shape ~= nil and not shared then error("decay.fit: shape must be 'shared' or nil, got " .. tostring(opts.shape), 2) end
  local theta, se, ll, status, total = core().fit(family, k, off, gap, event, { se = opts.se ~= false, shared_shape = shared,
    max_iter = opts.max_iter })
  local P, F = core().nparams(family, k)
  local n_obs = gap:numel()
  local d_series = counts(g)
  local no_return = d_series:eq(0):cast("i32")
  local res = setmetatable({
    family = family, k = k, per = opts.per or "global", unit = g.unit, t_end = g.t_end,
    n_series = g.n_series, n_gaps = n_obs, n_returns = event:sum():item(), n_params = P,
    theta = theta, se = se, loglik = ll, status = status, total_loglik = total,
    aic = 2 * F * g.n_series - 2 * total, bic = F * g.n_series * math.log(math.max(n_obs, 1)) - 2 * total,
    no_return = no_return, n_no_return = no_return:sum():item(), shape = opts.shape,
  }, { __index = M.Fit })
  if shared then -- S rates + one shared shape
    local nf = g.n_series + (P > 1 and 1 or 0)
    res.aic, res.bic = 2 * nf - 2 * total, nf * math.log(math.max(n_obs, 1)) - 2 * total
  end
  local shrink = opts.shrink
  if shrink == nil then shrink = res.per ~= "global" end
  if shrink and g.n_series > 1 then
    res.mle_theta, res.mle_se = theta, se
    if shared then
      res.prior = { prec = opts.prior_prec or 1 }
      res.theta, res.se = core().fit(family, k, off, gap, event, { se = opts.se ~= false, shared_shape = true,
                                                                   prior_prec = res.prior.prec })
    elseif family == "exponential" then
      local d, expo = counts(g)
      local seg, nseg = nil, 1
      if res.per == "user" and opts.segment then seg, nseg = opts.segment, opts.n_segments or math.floor(opts.segment:cast("f32"):max():item()) end
      local a, b = core().gamma_eb(d, expo, seg, nseg)
      res.prior = { a = a, b = b }
      local A, B = T.fromtable(a), T.fromtable(b)
      if seg then A, B = A:index_select(1, seg), B:index_select(1, seg)
      else A, B = A:expand({ g.n_series }), B:expand({ g.n_series }) end
      local post = (A + d) / (B + expo)
      res.theta = post:reshape({ g.n_series, 1 })
      res.se = ((A + d):sqrt() / (B + expo)):reshape({ g.n_series, 1 })
    else
      -- pooled law first, then penalised MLE around it
      local pooled = M.fit(ev, { family = family, k = k, per = "global", unit = opts.unit,
                                 min_gap = opts.min_gap, t_end = opts.t_end, se = false,
                                 max_iter = opts.max_iter })
      local th = pooled.theta:reshape({ -1 }):totable()
      local u = {}
      if family == "mixture" then
        for i = 1, k - 1 do u[i] = math.log(th[i]) - math.log(th[k]) end
        for i = 1, k do u[k - 1 + i] = math.log(th[k + i]) end
      else
        for i = 1, P do u[i] = math.log(th[i]) end
      end
      res.prior = { theta = th, prec = opts.prior_prec or 1 }
      local _
      res.theta, res.se, _, res.status = core().fit(family, k, off, gap, event,
        { prior = u, prior_prec = opts.prior_prec or 1, init = th, se = opts.se ~= false,
          max_iter = opts.max_iter })
    end
  end
  res.half_life = core().half_life(family, k, res.theta)
  res.converged, res.convergence, res.reason = convergence(res.status)
  return res
end

-- methods of a fit result
M.Fit = {}

-- Named parameters of series s (default 1), natural units per `unit` seconds.
function M.Fit:params(s)
  s = s or 1
  local row = self.theta:select(1, s):totable()
  local se = self.se:select(1, s):totable()
  local names = ({ exponential = { "lambda" }, linear = { "lambda" }, logarithmic = { "lambda" },
                   hyperbolic = { "lambda" }, power = { "lambda", "a" }, weibull = { "lambda", "k" } })[self.family]
  local st = self.status:get(s)
  local out = { half_life = self.half_life:get(s), status = REASONS[st] or "unknown", converged = st == 0 }
  if self.family == "mixture" then
    for i = 1, self.k do
      out["w" .. i], out["lambda" .. i] = row[i], row[self.k + i]
      out["se_w" .. i], out["se_lambda" .. i] = se[i], se[self.k + i]
    end
  else
    for i, nm in ipairs(names) do out[nm], out["se_" .. nm] = row[i], se[i] end
  end
  return out
end

-- S(t) for series s (t in units of the fit)
function M.Fit:value(t, s)
  local th = self.theta:select(1, s or 1)
  local v = core().eval(self.family, self.k, th, type(t) == "table" and t or { t })
  return type(t) == "table" and v or v:get(1)
end

local SCALARS = { "family", "k", "per", "unit", "t_end", "n_series", "n_gaps", "n_returns", "n_params",
                  "total_loglik", "aic", "bic", "n_no_return", "shape" }
local TENSORS = { "theta", "se", "loglik", "status", "half_life", "mle_theta", "mle_se", "no_return" }

--- fit:save(path) — the fitted parameters, their standard errors, fit statistics and the
--- shrinkage prior, atomically in a checksummed file; tide.decay.load(path) restores them.
function M.Fit:save(path)
  local t, m = self:state()
  require("tide.models.io").save(path, t, m, "decay fit:save")
end

--- fit:state() -> tensors, meta (what save writes; tide.models.io)
function M.Fit:state()
  local io = require("tide.models.io")
  local t, m = {}, { kind = "decay_fit" }
  for _, k in ipairs(TENSORS) do t[k] = self[k] end
  for _, k in ipairs(SCALARS) do m[k] = self[k] end
  local p = self.prior
  if p then
    io.put_numbers(m, "prior.a", p.a); io.put_numbers(m, "prior.b", p.b)
    io.put_numbers(m, "prior.theta", p.theta); m["prior.prec"] = p.prec
  end
  return t, m
end

--- decay.fit.from_state(tensors, meta) -> the fit result (tide.decay.load calls this)
function M.from_state(t, m)
  local io = require("tide.models.io")
  local res = {}
  for _, k in ipairs(TENSORS) do res[k] = t[k] end
  for _, k in ipairs(SCALARS) do res[k] = m[k] end
  if m["prior.a.n"] or m["prior.theta.n"] then
    res.prior = { a = io.get_numbers(m, "prior.a"), b = io.get_numbers(m, "prior.b"),
                  theta = io.get_numbers(m, "prior.theta"), prec = m["prior.prec"] }
  end
  if res.status then res.converged, res.convergence, res.reason = convergence(res.status) end
  return setmetatable(res, { __index = M.Fit })
end

return M
