-- tide.decay.response_fit — maximum-likelihood fits of the response kernel (pooled, or per
-- segment shrunk toward the pooled fit), family choice by held-out likelihood and AIC, and
-- expected actions per (user, key) for scoring. Installed into tide.decay.response.
return function(M, Fit, h)
  local function core() return h.core() end
  local function tide() return require("tide") end
  local FAMILIES = { exponential = true, hyperbolic = true, power = true, weibull = true, mixture = true }

  local function nfree(family, k, C)
    local P = core().nparams(family, k)
    return 1 + C + (family == "mixture" and P - 1 or P)
  end

  local function check_opts(opts, fn)
    local known = { key = 1, target = 1, unit = 1, family = 1, k = 1, window = 1, max_hist = 1, max_iter = 1,
                    segment = 1, shrink = 1, se = 1, origin = 1, pairs = 1, fn = 1, delay = 1,
                    frailty = 1 }
    for k in pairs(opts) do
      if not known[k] then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 3) end
    end
    local fam = core().family(opts.family or "exponential")
    if not FAMILIES[fam] then
      error(("%s: family '%s' has a bounded support; use exponential, hyperbolic, power, weibull or mixture"):format(fn, fam), 3)
    end
    local fr = opts.frailty
    if fr ~= nil and type(fr) ~= "boolean" and fr ~= "pair" and fr ~= "user" then
      error(("%s: frailty must be true, false, 'pair' or 'user', got %s"):format(fn, tostring(fr)), 3)
    end
    return fam, fr == "pair" or (fr or false)
  end

  -- par = (μ, w, θ[, κ]): κ, the gamma frailty's shape, last when `frailty`
  local function wrap(p, fam, k, par, se, ll, st, t0, t1, max_hist, frailty)
    local C = p.n_types
    local f = setmetatable({ family = fam, k = k, mu = par[1], se_mu = se[1], weights = {}, se_weights = {},
                             theta = {}, se_theta = {}, loglik = ll, status = st, converged = st == 0,
                             type_names = p.type_names, key = p.key_name, target = p.target_name,
                             unit = p.unit, origin = p.origin, window = { t0, t1 }, max_hist = max_hist,
                             frailty = frailty or false }, Fit)
    for c, name in ipairs(p.type_names) do f.weights[name], f.se_weights[name] = par[1 + c], se[1 + c] end
    local last = frailty and #par - 1 or #par
    for i = 2 + C, last do f.theta[#f.theta + 1], f.se_theta[#f.se_theta + 1] = par[i], se[i] end
    if frailty then f.kappa, f.se_kappa = par[#par], se[#par] end
    f.n_params = nfree(fam, k, C) + (frailty and 1 or 0)
    f.aic = 2 * f.n_params - 2 * ll
    f.half_life = core().half_life(fam, k, f.theta):get(1)
    f.par = par
    if not f.converged then
      f.message = ("the optimiser stopped with status %d (%s) before converging"):format(st,
        ({ [2] = "iteration budget used up", [-2] = "line search failed", [-3] = "non-finite likelihood at the start" })[st] or "?")
    end
    return f
  end

  -- the pairs in `which` (array of 0-based pair indices) as a sub-problem
  local function subset(p, which)
    local T = tide().tensor
    local off, tm, ty, tg, us = { 0 }, {}, {}, {}, {}
    local poff, ptype, ptarget, puser = p.off:totable(), p.type:totable(), p.target:totable(), p.user:totable()
    for _, q in ipairs(which) do
      for i = poff[q + 1] + 1, poff[q + 2] do
        tm[#tm + 1], ty[#ty + 1], tg[#tg + 1], us[#us + 1] = p.time[i], ptype[i], ptarget[i], puser[i]
      end
      off[#off + 1] = #tm
    end
    return { off = T.fromtable(off, "i64"), time = tm, type = T.fromtable(ty, "i32"), target = T.fromtable(tg, "i32"),
             user = T.fromtable(us, "i32"), n_types = p.n_types, n_pairs = #which }
  end

  --- fit(ev, {key = "item", target = "buy", family = "exponential", k = 2, unit = "day",
  ---   window = {t0, t1} (log time; default all), max_hist = 50, segment = column name (e.g.
  ---   "category": each pair takes its first event's value) , shrink = 1, delay = 0 (units of
  ---   dead time: an interaction excites from t_i + delay on, g(t − t_i − delay); e.g. 1/48 day
  ---   keeps a session's own view-cart-buy funnel out of a kernel of interest over days)}) -> Fit:
  ---   mu (base rate per pair per unit), weights[type] (expected target actions each
  ---   interaction of that type adds), theta, se_*, half_life (units), loglik, aic, converged,
  ---   delay; family "mixture" starts from the exponential fit spread fast/slow (best of four)
  ---   (with message when false), segments[value] = Fit shrunk toward the pooled fit.
  ---   frailty = false: when true (or "pair"), each pair's intensity is multiplied by an
  ---   unobserved Z_p ~ Gamma(kappa, kappa) (mean 1, variance 1/kappa), integrated out
  ---   (gamma-frailty marginal likelihood, engine/decay_frailty.h); kappa is fitted jointly
  ---   (f.kappa, f.se_kappa; large = homogeneous pairs) and Fit:expected scales each pair by its
  ---   posterior mean frailty (kappa + N_p) / (kappa + Λ_p) from its history since the window
  ---   start. frailty = "user": one Z shared by all of a user's pairs (a user who acts on the
  ---   keys they touched more than the kernel predicts), N and Λ summed over the user's pairs;
  ---   f.frailty is then "user".
  function M.fit(ev, opts)
    opts = opts or {}
    local fn = opts.fn or "decay.response.fit"
    local fam, fr = check_opts(opts, fn)
    local k = opts.k or 2
    local p = opts.pairs or h.pairs(ev, { key = opts.key, target = opts.target, unit = opts.unit,
                                          origin = opts.origin, fn = fn })
    local t0, t1 = h.window(p, opts)
    local mh = opts.max_hist or 50
    local delay = opts.delay or 0
    if not (type(delay) == "number" and delay >= 0 and delay < math.huge) then
      error(("%s: delay must be a number of units >= 0, got %s"):format(fn, tostring(opts.delay)), 2)
    end
    local par, se, ll, st = core().response_fit(fam, k, h.data(p, t0, t1, mh, delay, fr),
      { max_iter = opts.max_iter, se = opts.se ~= false })
    local f = wrap(p, fam, k, par, se, ll, st, t0, t1, mh, fr)
    f.delay = delay
    if opts.segment then
      local col = ev[opts.segment]
      if not tide().tensor.is_tensor(col) then
        error(("%s: the event table has no '%s' column (opts.segment)"):format(fn, tostring(opts.segment)), 2)
      end
      -- each pair's segment: the value on its first event (rows of the pair share the key)
      local seg, byseg = {}, {}
      local poff = p.off:totable()
      local perm_seg = col:index_select(1, p.perm):totable()
      for q = 0, p.n_pairs - 1 do
        local s = perm_seg[poff[q + 1] + 1]
        if not byseg[s] then byseg[s] = {}; seg[#seg + 1] = s end
        table.insert(byseg[s], q)
      end
      local prior = {}
      for i, v in ipairs(par) do prior[i] = math.log(v) end
      if fam == "mixture" then prior = nil end -- mixture logits: start from the pooled law instead
      f.segments = {}
      for _, s in ipairs(seg) do
        local sd = h.data(subset(p, byseg[s]), t0, t1, mh, delay, fr)
        local sp, sse, sll, sst = core().response_fit(fam, k, sd, { prior = prior, prior_prec = opts.shrink or 1,
                                                                     init = par, se = opts.se ~= false })
        f.segments[s] = wrap(p, fam, k, sp, sse, sll, sst, t0, t1, mh, fr)
        f.segments[s].delay = delay
      end
    end
    return f
  end

  --- Fit:kernel(ages) -> interest weights S(age) (the survival of one interaction's response);
  --- Fit:expected(ev, t, horizon) -> {user, key, score}: expected target actions of each
  --- (user, key) pair of ev in [t, t + horizon) (t in the log's time, horizon in the fit's
  --- unit), from the interactions before t only (with a frailty, times the pair's posterior
  --- mean frailty from its target actions and compensator in [window start, t)).
  function Fit:kernel(ages)
    return core().eval(self.family, self.k, self.theta, ages)
  end

  function Fit:expected(ev, t, horizon)
    local p = h.pairs(ev, { key = self.key, target = self.target, unit = self.unit, origin = self.origin,
                           need_target = false, fn = "decay.response.expected" })
    self:check_types(p)
    -- t1 is unused by the C side for expectations; t0, the fit's window start, is where a
    -- frailty's posterior starts counting each pair's actions and compensator
    local t0 = self.window and self.window[1] or 0
    local d = h.data(p, t0, t0 + 1, self.max_hist, self.delay, self.frailty)
    local s = core().response_expected(self.family, self.k, d, self:par_for(p), (t - self.origin) / self.unit, horizon)
    local first = p.off:narrow(1, 1, p.n_pairs) + 1
    return { user = p.user:index_select(1, first), key = p.key:index_select(1, first), score = s }
  end

  -- parameters ordered by the type numbering of pairs p (types unseen at fit time weigh 0+)
  function Fit:par_for(p)
    local par = { self.mu }
    for c, name in ipairs(p.type_names) do par[1 + c] = self.weights[name] or 1e-12 end
    for _, v in ipairs(self.theta) do par[#par + 1] = v end
    if self.frailty then par[#par + 1] = self.kappa end
    return par
  end

  function Fit:check_types(p)
    for _, name in ipairs(p.type_names) do
      if not self.weights[name] then
        io.stderr:write(("decay.response: '%s' events were not in the fitted data; they weigh nothing\n"):format(name))
      end
    end
  end

  --- select(ev, {families = {"exponential", "hyperbolic", "power", "weibull"}, holdout = 14
  ---   (units before the end), key, target, unit, max_hist}) -> fits ranked by held-out
  ---   log-likelihood per held-out target action; each has .heldout and .aic (training window).
  function M.select(ev, opts)
    opts = opts or {}
    local fams = opts.families or { "exponential", "hyperbolic", "power", "weibull" }
    local p = h.pairs(ev, { key = opts.key, target = opts.target, unit = opts.unit, fn = "decay.response.select" })
    local _, t_end = h.window(p, {})
    local ho = opts.holdout or 14
    if not (ho > 0 and ho < t_end) then error("decay.response.select: holdout must be > 0 and shorter than the log", 2) end
    local out = {}
    for _, fam in ipairs(fams) do
      local f = M.fit(ev, { pairs = p, key = opts.key, target = opts.target, unit = opts.unit, family = fam,
                            k = opts.k, max_hist = opts.max_hist, se = false, delay = opts.delay, frailty = opts.frailty,
                            window = { p.origin, p.origin + (t_end - ho) * p.unit } })
      if f.frailty then -- predictive: each pair's frailty posterior carries over from its history
        local t0 = f.window[1]
        f.heldout = core().response_loglik(f.family, f.k, h.data(p, t0, t_end, f.max_hist, f.delay, f.frailty), f.par)
          - core().response_loglik(f.family, f.k, h.data(p, t0, t_end - ho, f.max_hist, f.delay, f.frailty), f.par)
      else
        f.heldout = core().response_loglik(f.family, f.k, h.data(p, t_end - ho, t_end, f.max_hist, f.delay), f.par)
      end
      out[#out + 1] = f
    end
    table.sort(out, function(a, b) return a.heldout > b.heldout end)
    return out
  end

  require("tide.decay.response_io")(M, Fit, wrap)
  return M
end
