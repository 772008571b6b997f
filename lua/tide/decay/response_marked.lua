-- tide.decay.response_marked — the response kernel split into WHEN a user acts and ON WHAT
-- (a marked point process; model, likelihood and citations: engine/decay_mark.h):
--     λ_{u,k}(t) = λ_u(t) · π_{u,k}(t)
-- λ_u, the ground intensity, is tide.decay.response fitted per user over the user's visits
-- (runs of events with gaps of at most `delay`: a 30-row basket or a browse-to-buy funnel is
-- one visit), each visit exciting the next ones (family chosen, a gamma frailty per user).
-- π_{u,k}, the mark distribution, is the user's decayed share of interactions with k (learned
-- rate, floor and type weights; only interactions older than `delay` count) shrunk toward the
-- population's shares. Both are fitted by maximum likelihood, separately (the likelihood
-- factorises). Expected target actions of (u, k) in [t, t + h):
--     E[visits of u in the horizon] · (target rows per visit of u) · π_{u,k}(t)
-- with rows per visit the user's recent ratio (decayed at the preference's rate) shrunk toward
-- the population's by a Gamma prior whose shape is fitted by marginal likelihood on the plain
-- counts (rate_prior). E[visits] is recalibrated at each query on the horizon before it
-- (ground_recalibrate.lua): the ground's likelihood is ruled by bursts within hours, and a
-- long-tailed kernel then forgets a user's long-run rate.
-- The pair-level kernel gives a pair's history all the say; here a user who has gone quiet
-- scores low on every key, and a user's busy week raises every key they favour.
--   local f = tide.decay.response.fit_marked(ev, {key = "item", target = "buy"})
--   f.half_life, f.alpha, f.weights.cart, f.ground.half_life, f:expected(ev, t, 14)
local M = {}
local Marked = {}
Marked.__index = Marked
M.Marked = Marked

local function tide() return require("tide") end
local function core() return tide().core.decay end
local S = require("tide.data.schema")

-- the user-major, time-sorted layout of decay_mark.h; types renumbered over S.EVENT_NAMES
-- present in `names` (a fit's type names, or nil: those present in ev). d.grouped holds the
-- grouping of all of ev's rows {off, perm, n_users} (visits_table reuses it).
local function layout(ev, key, target, unit, origin, names, fn)
  local T = tide().tensor
  local kcol = ev[key]
  if not T.is_tensor(kcol) then error(("%s: the event table has no '%s' column (opts.key)"):format(fn, key), 3) end
  local n_users = ev.n_users or ev.user:max():item()
  local off, perm = core().group(ev.user, ev.time, n_users)
  local grouped = { off = off, perm = perm, n_users = n_users }
  local codes = ev.event:index_select(1, perm):totable()
  if not names then
    local present = {}
    for _, c in ipairs(codes) do present[c] = true end
    names = {}
    for c = 1, #S.EVENT_NAMES do if present[c] then names[#names + 1] = S.EVENT_NAMES[c] end end
  end
  local dense = {}
  for i, name in ipairs(names) do dense[S.EVENT[name]] = i end
  local tcode = S.EVENT[target]
  local raw = ev.time:index_select(1, perm):totable()
  local ty, tg, tm = {}, {}, {}
  local keep = {} -- rows of types the fit never saw are dropped (they carry no weight)
  for i, c in ipairs(codes) do
    if dense[c] then
      keep[#keep + 1] = i
      ty[#ty + 1], tg[#tg + 1], tm[#tm + 1] = dense[c], c == tcode and 1 or 0, (raw[i] - origin) / unit
    end
  end
  local keys = kcol:index_select(1, perm)
  if #keep < #codes then -- rebuild offsets over the kept rows
    local uo, no, q = off:totable(), { 0 }, 1
    for u = 1, n_users do
      while q <= #keep and keep[q] <= uo[u + 1] do q = q + 1 end
      no[u + 1] = q - 1
    end
    off = T.fromtable(no, "i64")
    keys = #keep > 0 and keys:index_select(1, T.fromtable(keep, "i64")) or T.zeros({ 0 }, "i32")
  end
  return { off = off, time = tm, key = keys, type = T.fromtable(#ty > 0 and ty or { 1 }, "i32"):narrow(1, 1, #ty),
           target = T.fromtable(#tg > 0 and tg or { 0 }, "i32"):narrow(1, 1, #tg), n_types = #names, names = names,
           ref = dense[tcode], n_users = n_users, grouped = grouped }
end

-- the ground process's events: one row per visit of a user (a run of events with gaps of at
-- most `gap` seconds; distinct times when 0) at its start, as a target action keyed by the
-- user; g = layout's grouping of ev's rows
local function visits_table(ev, g, gap, target)
  local n_users = g.n_users
  local o, t = g.off:totable(), ev.time:index_select(1, g.perm):totable()
  local U, Tm, E, code = {}, {}, {}, S.EVENT[target]
  for u = 1, n_users do
    local prev
    for i = o[u] + 1, o[u + 1] do
      if not prev or t[i] - prev > gap then U[#U + 1], Tm[#Tm + 1], E[#E + 1] = u, t[i], code end
      prev = t[i]
    end
  end
  return tide().data.from_columns{ user = U, item = U, time = Tm, event = E, n_users = n_users, n_items = n_users }
end

--- rate_prior(R, V) -> m, a: Gamma–Poisson empirical Bayes for a rate per user,
--- R_u ~ Poisson(ρ_u·V_u), ρ_u ~ Gamma(a, a/m), m the population rate; a maximises the
--- negative-binomial marginal likelihood (golden-section search on log a in [1e-3, 1e4]); the
--- posterior mean is (R + a)/(V + a/m), a prior worth a/m visits.
local function rate_prior(R, V)
  local tr, tv = 0, 0
  for u = 1, #R do tr, tv = tr + R[u], tv + V[u] end
  local m = tr / math.max(tv, 1)
  if m <= 0 then return m, 1 end
  local function nll(la)
    local a, s = math.exp(la), 0
    for u = 1, #R do
      local r, mv = R[u], m * V[u]
      if mv > 0 then
        for j = 0, r - 1 do s = s + math.log(a + j) end -- log Γ(r + a) − log Γ(a)
        s = s + a * math.log(a / (a + mv)) + r * math.log(mv / (a + mv))
      end
    end
    return -s
  end
  local lo, hi, g = math.log(1e-3), math.log(1e4), (math.sqrt(5) - 1) / 2
  local x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
  local f1, f2 = nll(x1), nll(x2)
  for _ = 1, 40 do
    if f1 < f2 then hi, x2, f2 = x2, x1, f1; x1 = hi - g * (hi - lo); f1 = nll(x1)
    else lo, x1, f1 = x1, x2, f2; x2 = lo + g * (hi - lo); f2 = nll(x2) end
  end
  return m, math.exp((lo + hi) / 2)
end

-- the population's shares from target counts by key, half a count added to each (every key > 0)
local function prior_of(counts)
  local K, tot, p = #counts, 0, {}
  for q = 1, K do tot = tot + counts[q] end
  for q = 1, K do p[q] = (counts[q] + 0.5) / (tot + 0.5 * K) end
  return p
end

M.rate_prior = rate_prior

local KNOWN = { key = 1, target = 1, unit = 1, family = 1, k = 1, frailty = 1, delay = 1, max_hist = 1, se = 1,
                max_iter = 1, half_life = 1, recalibrate = 1 }

--- fit_marked(ev, {key = "item", target = "buy", unit = "day", family = "mixture" (the ground
---   kernel's: a fast burst after a visit and a slow return; "auto": held-out choice among
---   exponential, hyperbolic, weibull and power, tide.decay.response.select), k, frailty = "user"
---   (the ground's gamma frailty, one per user; false = none), delay = 1/48 day (in units: the
---   longest gap inside one visit; the ground kernel's dead time, since a visit's offspring
---   inside it merge into it — β stays unbiased and w is the observed branching n·e^{−β·delay};
---   and the age an interaction needs before it explains a mark),
---   max_hist = 50, half_life = 30 (units: where the preference's decay starts), max_iter = 200,
---   se = false (standard errors of the ground fit too), recalibrate = true (expected visits
---   recalibrated at each query on the horizon before it: f:expected)})
---   -> Marked: half_life, beta (per unit), floor (φ, the lasting share of an interaction's
---   weight), alpha (prior strength, in weighted interactions), weights[type] (the target's = 1),
---   se_beta, se_half_life, se_floor, se_alpha, se_weights, loglik (of the marks), n_marks, converged
---   (with status), rows_per_visit and rows_prior (the population's target rows per visit and
---   the Gamma prior's shape), ground (a tide.decay.response Fit over visits, key = the user).
function M.fit(ev, opts)
  opts = opts or {}
  local fn = "decay.response.fit_marked"
  for k in pairs(opts) do
    if not KNOWN[k] then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 2) end
  end
  if type(ev) ~= "table" or not ev.user then error(fn .. ": argument #1 must be an event table", 2) end
  if ev.n == 0 then error(fn .. ": the event table is empty", 2) end
  local key, target = opts.key or "item", opts.target or "buy"
  if not S.EVENT[target] then
    error(("%s: unknown target event '%s' (browse, click, cart, fav, buy)"):format(fn, tostring(target)), 2)
  end
  local unit = require("tide.decay.response").unit_of(opts, fn)
  local hl = opts.half_life or 30
  if not (type(hl) == "number" and hl > 0 and hl < math.huge) then
    error(("%s: half_life must be a number of units > 0, got %s"):format(fn, tostring(opts.half_life)), 2)
  end
  if opts.recalibrate ~= nil and type(opts.recalibrate) ~= "boolean" then
    error(("%s: recalibrate must be true or false, got %s"):format(fn, tostring(opts.recalibrate)), 2)
  end
  local origin = ev.time:min():item()
  local d = layout(ev, key, target, unit, origin, nil, fn)
  if not d.ref then error(("%s: no '%s' events in the table"):format(fn, target), 2) end
  -- population shares of the target actions by key
  local K = ev[key]:max():item()
  local counts, tk, tt = {}, d.key:totable(), d.target:totable()
  for q = 1, K do counts[q] = 0 end
  for i = 1, #tk do if tt[i] == 1 then counts[tk[i]] = counts[tk[i]] + 1 end end
  d.prior = prior_of(counts)
  local delay = opts.delay or 1 / 48 * 86400 / unit
  if not (type(delay) == "number" and delay >= 0 and delay < math.huge) then
    error(("%s: delay must be a number of units >= 0, got %s"):format(fn, tostring(opts.delay)), 2)
  end
  d.delay = delay
  local par0 = { math.log(2) / hl, 1, 0.05 }
  for c = 1, d.n_types do par0[3 + c] = c == d.ref and 1 or 0.1 end
  local par, se, ll, st, n = core().mark_fit(d, par0, opts.max_iter or 200)
  local f = setmetatable({ beta = par[1], alpha = par[2], floor = par[3], se_floor = se[3], half_life = math.log(2) / par[1],
                           se_beta = se[1], se_half_life = math.log(2) / par[1] ^ 2 * se[1], se_alpha = se[2],
                           weights = {}, se_weights = {}, type_names = d.names, loglik = ll, n_marks = n,
                           status = st, converged = st == 0, key = key, target = target, unit = unit,
                           origin = origin, counts = counts, prior = d.prior, par = par, se = se,
                           delay = delay, recalibrate = opts.recalibrate ~= false }, Marked)
  for c, name in ipairs(d.names) do f.weights[name], f.se_weights[name] = par[3 + c], se[3 + c] end
  -- the ground process: per-user response kernel over visits
  local vis = visits_table(ev, d.grouped, delay * unit, target)
  local R = require("tide.decay.response")
  local fam = opts.family or "mixture"
  local fr = opts.frailty == nil and "user" or opts.frailty
  if fr == "user" then fr = true end -- the ground's pairs are users: a frailty per pair is per user
  local go = { key = "item", target = target, unit = opts.unit, k = opts.k, max_hist = opts.max_hist,
               frailty = fr, se = opts.se == true, delay = delay }
  if fam == "auto" then
    local so = { families = { "exponential", "hyperbolic", "weibull", "power" }, holdout = 14 * 86400 / unit }
    for k, v in pairs(go) do so[k] = v end
    fam = R.select(vis, so)[1].family
  end
  go.family = fam
  f.ground = R.fit(vis, go)
  -- target rows per visit: each user's rate shrunk toward the population's (rate_prior)
  local rows, visits, off = {}, {}, d.off:totable()
  for u = 1, d.n_users do
    rows[u], visits[u] = 0, 0
    for i = off[u] + 1, off[u + 1] do rows[u] = rows[u] + tt[i] end
  end
  for _, u in ipairs(vis.user:totable()) do visits[u] = visits[u] + 1 end
  f.rows_per_visit, f.rows_prior = rate_prior(rows, visits)
  return f
end

-- the prior over the keys of layout d (keys the fit never saw get the smallest share)
local function prior_for(self, d)
  local K = d.key:numel() > 0 and d.key:max():item() or 1
  if K <= #self.prior then return self.prior end
  local p, lo = {}, math.huge
  for q = 1, #self.prior do p[q] = self.prior[q]; lo = math.min(lo, p[q]) end
  local s = 1
  for q = #self.prior + 1, K do p[q] = lo; s = s + lo end
  for q = 1, K do p[q] = p[q] / s end
  return p
end

--- f:expected(ev, t, horizon) -> {user, key, score, visits, rate, share}: expected target
--- actions in [t, t + horizon) (t in the log's time, horizon in the fit's unit) of every (user,
--- key) pair of ev touched before t: score = visits (the ground's expected visits of the user)
--- · rate (the user's target rows per visit) · share (π_{u,k} averaged over the horizon: a
--- recent burst fades within it). Events at or after t are ignored. With recalibrate (the
--- default), visits are the ground's expectation recalibrated on [t − horizon, t) against the
--- user's long-run visit rate (ground_recalibrate.lua; its {c, a, b} in .calibration; nil when
--- the log starts inside [t − horizon, t), and then the ground's own).
function Marked:expected(ev, t, horizon)
  local fn = "decay.response_marked.expected"
  local d = layout(ev, self.key, self.target, self.unit, self.origin, self.type_names, fn)
  d.ref, d.prior = nil, prior_for(self, d)
  for c, name in ipairs(self.type_names) do if name == self.target then d.ref = c end end
  local par = { self.beta, self.alpha, self.floor }
  for c, name in ipairs(self.type_names) do par[3 + c] = self.weights[name] end
  local tm = (t - self.origin) / self.unit
  local user, key, share, rows, visits = core().mark_state(d, par, tm, horizon)
  local vt = visits_table(ev, d.grouped, self.delay * self.unit, self.target)
  local g = self.ground:expected(vt, t, horizon)
  local E, gu, gs = {}, g.user:totable(), g.score:totable()
  for i = 1, #gu do E[gu[i]] = gs[i] end
  local cal
  if self.recalibrate then
    local E2
    E2, cal = require("tide.decay.ground_recalibrate").expected(self.ground, vt, t, horizon, self.unit, rate_prior, g)
    if E2 then E = E2 end
  end
  local u, sh, r, v = user:totable(), share:totable(), rows:totable(), visits:totable()
  local m, a, out, vis, rate = self.rows_per_visit, self.rows_prior, {}, {}, {}
  for q = 1, #u do
    local x = u[q]
    vis[q], rate[q] = E[x] or 0, (r[x] + a) / (v[x] + a / m)
    out[q] = vis[q] * rate[q] * sh[q]
  end
  local function col(a) return tide().tensor.fromtable(#a > 0 and a or { 0 }):narrow(1, 1, #a) end
  return { user = user, key = key, score = col(out), visits = col(vis), rate = col(rate), share = share,
           calibration = cal }
end

local NUMS = { "loglik", "n_marks", "status", "unit", "origin", "delay", "rows_per_visit", "rows_prior" }

--- f:state() -> tensors, meta (what f:save writes; tide.models.io): the parameters with their
--- standard errors, the target counts behind the prior, and the ground kernel's fit
function Marked:state()
  local io = require("tide.models.io")
  local T = tide().tensor
  local t, m = { counts = T.fromtable(self.counts, "i64") }, { kind = "response_marked", key = self.key,
                                                              target = self.target }
  for _, k in ipairs(NUMS) do m[k] = self[k] end
  m.recalibrate = self.recalibrate and 1 or 0
  io.put_numbers(m, "par", self.par)
  io.put_numbers(m, "se", self.se)
  for c, name in ipairs(self.type_names) do m["type." .. c] = name end
  m.n_types = #self.type_names
  local gt, gm = self.ground:state()
  io.nest(t, m, "ground.", gt, gm)
  return t, m
end

--- response_marked.from_state(tensors, meta) -> the Marked fit, scoring exactly as saved
function M.from_state(t, m)
  local io = require("tide.models.io")
  local par, se = io.get_numbers(m, "par"), io.get_numbers(m, "se")
  local f = setmetatable({ key = m.key, target = m.target, par = par, se = se, beta = par[1], alpha = par[2],
                           floor = par[3], half_life = math.log(2) / par[1], se_beta = se[1],
                           se_half_life = math.log(2) / par[1] ^ 2 * se[1], se_alpha = se[2], se_floor = se[3],
                           weights = {}, se_weights = {}, type_names = {}, counts = t.counts:totable() }, Marked)
  for _, k in ipairs(NUMS) do f[k] = m[k] end
  f.recalibrate = m.recalibrate ~= 0 -- files from before the option: nil, the default (on)
  f.converged = f.status == 0
  for c = 1, m.n_types do
    local name = m["type." .. c]
    f.type_names[c], f.weights[name], f.se_weights[name] = name, par[3 + c], se[3 + c]
  end
  f.prior = prior_of(f.counts)
  local gt, gm = io.unnest(t, m, "ground.")
  f.ground = require("tide.decay.response").from_state(gt, gm)
  return f
end

--- f:save(path) — atomically, checksummed; tide.decay.load(path) restores it exactly
function Marked:save(path)
  local t, m = self:state()
  require("tide.models.io").save(path, t, m, "decay.response_marked:save")
end

return M
