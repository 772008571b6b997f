-- tide.decay.response_eval — "which (user, key) pairs will act in the next horizon?" as a set
-- prediction, evaluated honestly: every method is trained before T − 2H, picks its top-k per
-- user and score threshold on the validation window [T − 2H, T − H) (tide.metrics.sets.sweep),
-- is refitted on everything before T − H and scored once on the test window [T − H, T); how the
-- choice carries over (threshold, share of candidates, or a calibrated expected-F1 cut) is
-- chosen per method. Every method scores at the cut itself (the window start), not at its
-- training log's last event: a fast kernel decays in that gap, and nothing acted in it.
-- Methods (all rank the same kind of candidates, a user's past keys, unless said):
--   none        count of past interactions with the key (no decay)
--   gap         the return-gap law chosen by AIC (tide.decay.select) as the interest weight
--   response    expected target actions in the horizon under the response kernel
--               (tide.decay.response: family, learned type weights, optional gamma frailty per
--               pair), Fit:expected
--   marked      expected target actions under the marked response kernel (when the user acts,
--               a per-user kernel, times on which key, a decayed preference;
--               tide.decay.response_marked), Marked:expected
--   stacked     P(the pair acts) from gradient-boosted trees over the marked kernel's parts and
--               pair / user / key statistics, learned on the horizon before the cut
--               (tide.decay.response_stacked)
--   popularity, sar   the top-n item candidates of tide.models.pop / sar (key = "item" only)
local S = require("tide.metrics.sets")
local M = {}
local DAY = 86400

local function profile_cands(train, key, law, at)
  local prof = require("tide.decay").profile(train, { by = key, law = law, half_life = not law and 1e9 or nil, at = at })
  local cands = {}
  for u = 1, prof.n_users do
    local list = prof:of(u)
    if #list > 0 then cands[u] = list end
  end
  return cands
end

-- {user, key, score} columns as per-user candidate lists
local function per_user(e)
  local u, k, s = e.user:totable(), e.key:totable(), e.score:totable()
  local cands = {}
  for i = 1, #u do
    local row = cands[u[i]]
    if not row then row = {}; cands[u[i]] = row end
    row[#row + 1] = { k[i], s[i] }
  end
  return cands
end

--- candidates(method, train, {key, horizon, at = the decision time (epoch seconds, >= the last
--- event of train; default one second after it), and the method's options of evaluate}) ->
--- cands[u] = {{key, score}, ...}[, detail]: one method trained on `train`, scoring at `at`.
function M.candidates(method, train, opts)
  local tide = require("tide")
  local key = opts.key or "item"
  local at = opts.at or train.time:max():item() + 1
  if method == "none" then return profile_cands(train, key, nil, at) end
  if method == "gap" then
    local ranked = tide.decay.select(train, { per = "global", min_gap = opts.min_gap or 1800,
                                              families = { "exponential", "weibull", "power", "mixture" } })
    return profile_cands(train, key, ranked[1].fit, at), ranked[1].family
  end
  if method == "response" then
    local R = tide.decay.response
    if opts.law ~= nil and getmetatable(opts.law) ~= R.Fit then
      error("decay.response_eval: law must be a tide.decay.response Fit", 3)
    end
    local fam = opts.law and opts.law.family or opts.family or "exponential"
    -- delay: as the marked kernel's default, half an hour, so a session's own funnel (a fav
    -- seconds before the buy) cannot pass for interest (with none, the simulator's category
    -- kernel fitted a 20-second half-life and scored every pair ~1e-11)
    local base = { key = key, target = opts.target, max_hist = opts.max_hist, k = opts.k, delay = opts.delay or 1 / 48,
                   frailty = opts.frailty }
    if fam == "auto" and not opts.law then
      local o = { families = opts.families or { "exponential", "hyperbolic", "weibull", "power" }, holdout = opts.horizon }
      for k, v in pairs(base) do o[k] = v end
      fam = R.select(train, o)[1].family
    end
    base.family, base.se = fam, false
    local law = opts.law or R.fit(train, base) -- a given law (e.g. a planted one) is used as is
    return per_user(law:expected(train, at, opts.horizon)), fam
  end
  if method == "marked" then
    local f = tide.decay.response.fit_marked(train, { key = key, target = opts.target, family = opts.family,
                                                      k = opts.k, max_hist = opts.max_hist, delay = opts.delay,
                                                      frailty = opts.frailty })
    return per_user(f:expected(train, at, opts.horizon)), f.ground.family
  end
  if method == "stacked" then
    local H = opts.horizon -- days, the kernel's unit
    local f = tide.decay.response.fit_stacked(train, { key = key, target = opts.target, family = opts.family, k = opts.k,
                                                       max_hist = opts.max_hist, delay = opts.delay,
                                                       frailty = opts.frailty, horizon = H, at = at })
    return per_user(f:expected(train, at, H)), "gbdt"
  end
  if method == "popularity" or method == "sar" then
    if key ~= "item" then error(("decay.response_eval: method '%s' ranks items; use key = 'item'"):format(method), 3) end
    local m = method == "sar" and tide.models.sar{ half_life = 30 } or tide.models.pop{ mode = "all" }
    m:fit(train)
    local users = {}
    for u = 1, train.n_users do users[u] = u end
    return S.candidates(m, users, { n = opts.n or 30 })
  end
  error(("decay.response_eval: unknown method '%s' (none, gap, response, marked, stacked, popularity, sar)"):format(tostring(method)), 3)
end

local RULES = { "threshold", "share", "plugin" } -- in this order of preference on equal F1

-- how a choice `sel` (a sweep result on the window of cands / truth) carries to a new window:
-- select options of the rule, or nil when a calibration is impossible (no or every candidate
-- acts). sel holds both the threshold and the share: select gets only the rule's own field.
local function carry(rule, sel, cands, truth, link)
  if rule == "share" then return { k = sel.k, share = sel.share } end
  if rule == "threshold" then return { k = sel.k, threshold = sel.threshold } end
  local v = S.prf(S.select(cands, { k = sel.k }), truth)
  if v.tp == 0 or v.tp == v.n_pred then return nil end
  return { k = sel.k, calibration = S.calibrate(cands, truth, { k = sel.k, link = link }) }
end

-- the methods evaluate runs by default: stacked only when the log holds rows before its first
-- label window (one horizon before the validation cut tv); popularity and SAR rank items
local function default_methods(ev, o, tv)
  local all = { "none", "gap", "response", "marked" }
  if tv - o.horizon * DAY > ev.time:min():item() then all[#all + 1] = "stacked" end
  if o.key == "item" then all[#all + 1] = "popularity"; all[#all + 1] = "sar" end
  return all
end

-- one origin: the protocol of evaluate on ev's rows before t_end (the test window's end);
-- returns the rows and, per row, the test prediction, plus the test labels
local function one_origin(ev, t_end, o, opts, transfer)
  local H = o.horizon
  local tv, tt = t_end - 2 * H * DAY, t_end - H * DAY
  if not (tv > ev.time:min():item()) then
    local n = opts.origins or 1
    error(n == 1 and "decay.response_eval: the log is shorter than two horizons"
      or ("decay.response_eval: the log is shorter than %d horizons (origins = %d needs one more than it has windows)"):format(n + 1, n), 3)
  end
  local lab = { key = o.key, target = o.target }
  local valid, test = S.labels(ev, tv, tt, lab), S.labels(ev, tt, t_end, lab)
  local rows = { t_valid = tv, t_test = tt, t_end = t_end }
  local tb = tv - H * DAY -- the backtest window [tb, tv) of transfer = "auto"
  local back = transfer == "auto" and tb > ev.time:min():item() and S.labels(ev, tb, tv, lab) or nil
  local preds = {}
  for _, spec in ipairs(opts.methods) do
    local c0 = os.clock()
    local m, mo = spec, {} -- a copy: this row's options (and its decision time, set below)
    for k, v in pairs(o) do mo[k] = v end
    if type(spec) == "table" then -- {"response", family =, frailty =, ...}: this row's own options
      m = spec[1]
      for k, v in pairs(spec) do if type(k) == "string" then mo[k] = v end end
    end
    local function cands_at(cut) -- trained before the cut, scoring at it
      mo.at = cut
      return M.candidates(m, ev:filter(ev.time:lt(cut)), mo)
    end
    local cands, detail = cands_at(tv)
    local sel = S.sweep(cands, valid, { ks = opts.ks })
    local link = (m == "response" or m == "marked") and "cloglog" or "isotonic" -- expected counts / other scores
    local rule = transfer
    if rule == "auto" and not back then rule = "threshold"
    elseif rule == "auto" then -- backtest: choose on [tb, tv), carry each way to the validation window
      -- (stacked learns on the horizon before its cut: when the log has no rows before that at
      -- tb, the backtest cannot run and the threshold is kept; other methods' errors are raised)
      local ok, cb = true, nil
      if m == "stacked" then ok, cb = pcall(cands_at, tb) else cb = cands_at(tb) end
      rule = "threshold"
      if ok then
        local sb = S.sweep(cb, back, { ks = opts.ks })
        local best = -1
        for _, r in ipairs(RULES) do
          local h = carry(r, sb, cb, back, link)
          local f1 = h and S.prf(S.select(cands, h), valid).f1 or -1
          if f1 > best then best, rule = f1, r end
        end
      end
    end
    local how = carry(rule, sel, cands, valid, link)
    if not how then rule, how = "threshold", carry("threshold", sel) end -- a one-class validation window
    cands = cands_at(tt)
    preds[#preds + 1] = S.select(cands, how)
    local r = S.prf(preds[#preds], test)
    rows[#rows + 1] = { method = m, detail = detail, k = sel.k, threshold = sel.threshold, share = sel.share,
                        transfer = rule, calibration = how.calibration, val_f1 = sel.f1, f1 = r.f1,
                        precision = r.precision, recall = r.recall, tp = r.tp, n_pred = r.n_pred, n_true = r.n_true,
                        seconds = os.clock() - c0 }
  end
  return rows, preds, test
end

-- pair sets of several windows as one: the key of window j is shifted by j·2^40 (exact in a
-- double for any key below 2^40), so a user keeps every window's pairs and the user
-- bootstrap resamples a user's windows together
local SHIFT = 2 ^ 40
local function pool_into(acc, set, j)
  for u, row in pairs(set) do
    if type(u) == "number" then
      local a = acc[u]
      if not a then a = {}; acc[u] = a end
      for key in pairs(row) do a[key + j * SHIFT] = true end
    end
  end
end

-- the index of the first row of that method in rows, if any
local function row_of(rows, name)
  for i, r in ipairs(rows) do if r.method == name then return i end end
end

-- a copy of one origin's row, for by_origin (which the pooled figures then do not overwrite)
local function copy_row(r)
  local c = {}
  for k, v in pairs(r) do if k ~= "by_origin" then c[k] = v end end
  return c
end

-- the "chosen" row of evaluate: at origin j, the row among `names` with the best validation F1
-- (the first named on a tie) lends its test prediction and its fields (k, threshold, transfer,
-- val_f1; detail = the method picked), so by_origin shows each window's pick; its seconds are
-- every candidate's, since each was fitted
local function pick_row(chosen, acc, names, r, p, j)
  local best, secs = nil, 0
  for _, name in ipairs(names) do
    local i = row_of(r, name)
    if not i then error(("decay.response_eval: choose names '%s', which is not among the methods"):format(tostring(name)), 3) end
    secs = secs + r[i].seconds
    if not best or r[i].val_f1 > r[best].val_f1 then best = i end
  end
  local row = copy_row(r[best])
  row.method, row.detail, row.seconds = "chosen", r[best].method, secs
  table.insert(chosen.by_origin, row)
  if j == 0 then for k, v in pairs(row) do chosen[k] = v end else chosen.seconds = chosen.seconds + secs end
  pool_into(acc, p[best], j)
end

--- evaluate(ev, {methods = {"none", "gap", "response", "marked", "stacked", "popularity", "sar"} (the last two only
---   for key = "item"; an entry may be a table {"response", family =, frailty =, delay =, ...}
---   whose fields override the options below for that row; {"response", law = a Fit} scores
---   with that fixed law at every cut instead of refitting, e.g. a simulator's planted
---   parameters as an oracle), key = "item",
---   target = "buy", horizon = 14 (days), family = "exponential"|"auto"|..., k, max_hist, delay
---   (days; default 1/48 for the response and marked rows: a session's own funnel is not interest),
---   frailty (true / "pair": the response kernel with a gamma frailty per pair, "user": one
---   shared by a user's pairs, tide.decay.response.fit),
---   ks = {1, 2, 3, 5, 10, 20, 50, 100, math.huge (all)}, transfer = "auto" (how the choice
---   made on the validation window carries to the refitted model: "threshold" keeps the score
---   threshold, "share" the fraction of the pooled top-k candidates kept (score scales of refits
---   may differ), "plugin" keeps k and the chance of acting as a function of the score fitted
---   on the validation labels (sets.calibrate: P = 1 − exp(−(a + b·score)) for response rows,
---   whose score is an expected count, a non-decreasing step function for the others) and takes
---   the test candidates' cut of highest expected F1 (less noisy than the validation window's
---   best empirical cut when the score's scale holds across refits; threshold instead when no or
---   every validation candidate acts); "auto" picks, per method, the rule that did best when a
---   choice made on [T − 3H, T − 2H) was carried to the validation window — threshold when the
---   log is shorter than three horizons), t_end = the last event + 1 s (epoch seconds: the test
---   window's end; later events are left out), origins = 1 (n > 1: rolling origin — the whole
---   protocol is run n times, with T = t_end, T − H, …, T − (n−1)H, so n consecutive test
---   windows, each with its own validation window and refits before it; F1, precision and
---   recall are then micro-averages over the n test windows, pooled pairs, and the interval
---   resamples users with all their windows: one test window is a noisy judge), bootstrap = 0
---   (n > 0: with "none" among the methods, each other row gets diff_lo / diff_hi, the 95 %
---   interval of its test F1 minus no decay's over users resampled n times,
---   tide.metrics.sets.bootstrap), versus = {} (more methods to compare every row with, e.g.
---   {"gap"}: with bootstrap, r.versus[method] = {lo, hi} of F1 minus that method's F1),
---   choose = {"marked", "stacked"} with the default methods when they hold both, else nil (a
---   list of method names among the rows: adds a last row, method "chosen", whose prediction in
---   each test window is that of the named row with the best validation F1 there — model choice
---   made before the test window, judged like any row; its detail is the latest window's pick,
---   by_origin each window's)}) -> rows
---   {method, detail, k, threshold, share, transfer, calibration (plugin rows), val_f1 (of the
---   validation window's best cut), f1, precision, recall, tp, n_pred, n_true, seconds
---   [, diff_lo, diff_hi][, by_origin = {one row per origin, the latest first}]}, plus {t_valid,
---   t_test, t_end} (epoch seconds) and origins. k, threshold, transfer, detail and val_f1 are
---   the latest origin's (by_origin holds each one's); seconds are summed. The threshold is
---   exact per k (sets.sweep).
function M.evaluate(ev, opts)
  opts = opts or {}
  local H = opts.horizon or 14
  if not (type(H) == "number" and H > 0) then error("decay.response_eval: horizon must be a number of days > 0", 2) end
  local n_orig = opts.origins or 1
  if not (type(n_orig) == "number" and n_orig >= 1 and n_orig == math.floor(n_orig)) then
    error(("decay.response_eval: origins must be a whole number >= 1, got %s"):format(tostring(opts.origins)), 2)
  end
  local transfer = opts.transfer or "auto"
  if transfer ~= "auto" and transfer ~= "threshold" and transfer ~= "share" and transfer ~= "plugin" then
    error(("decay.response_eval: transfer must be auto, threshold, share or plugin, got %s"):format(tostring(transfer)), 2)
  end
  local o = { key = opts.key or "item", target = opts.target or "buy", horizon = H, family = opts.family,
              k = opts.k, max_hist = opts.max_hist, families = opts.families, n = opts.n, delay = opts.delay,
              frailty = opts.frailty }
  local t_end = opts.t_end or ev.time:max():item() + 1
  if type(t_end) ~= "number" or t_end ~= t_end then
    error(("decay.response_eval: t_end must be epoch seconds, got %s"):format(tostring(opts.t_end)), 2)
  end
  if not opts.methods then -- the defaults, the same at every origin: those the earliest one can run
    local copy = {}
    for k, v in pairs(opts) do copy[k] = v end
    copy.methods = default_methods(ev, o, t_end - (n_orig + 1) * H * DAY)
    local has_stacked = false
    for _, m in ipairs(copy.methods) do has_stacked = has_stacked or m == "stacked" end
    if copy.choose == nil and has_stacked then copy.choose = { "marked", "stacked" } end
    opts = copy
  end
  local choose = opts.choose
  if choose ~= nil and (type(choose) ~= "table" or #choose < 2) then
    error("decay.response_eval: choose must be a list of two or more method names", 2)
  end
  local rows, pred, truth
  local chosen = choose and { by_origin = {} }
  local chosen_pred = {}
  for j = 0, n_orig - 1 do
    local te = t_end - j * H * DAY
    local e = ev.time:max():item() < te and ev or ev:filter(ev.time:lt(te))
    local r, p, tr = one_origin(e, te, o, opts, transfer)
    if choose then pick_row(chosen, chosen_pred, choose, r, p, j) end
    if j == 0 then
      rows, pred, truth = r, {}, {}
      for i = 1, #r do pred[i] = {} end
    end
    pool_into(truth, tr, j)
    for i = 1, #r do
      pool_into(pred[i], p[i], j)
      if n_orig > 1 then
        rows[i].by_origin = rows[i].by_origin or {}
        table.insert(rows[i].by_origin, copy_row(r[i]))
        if j > 0 then rows[i].seconds = rows[i].seconds + r[i].seconds end
      end
    end
  end
  if chosen then
    local v = S.prf(chosen_pred, truth)
    chosen.f1, chosen.precision, chosen.recall, chosen.tp, chosen.n_pred, chosen.n_true = v.f1, v.precision,
      v.recall, v.tp, v.n_pred, v.n_true
    if n_orig == 1 then chosen.by_origin = nil end
    local i = #rows + 1
    rows[i], pred[i] = chosen, chosen_pred
  end
  rows.origins = n_orig
  if n_orig > 1 then -- the pooled figures
    for i, r in ipairs(rows) do
      local v = S.prf(pred[i], truth)
      r.f1, r.precision, r.recall, r.tp, r.n_pred, r.n_true = v.f1, v.precision, v.recall, v.tp, v.n_pred, v.n_true
    end
  end
  local B = opts.bootstrap or 0
  local base = row_of(rows, "none")
  if B > 0 and base then
    for i, r in ipairs(rows) do
      if r.method ~= "none" then
        local b = S.bootstrap(pred[i], pred[base], truth, { n = B })
        r.diff_lo, r.diff_hi = b.lo, b.hi
      end
    end
  end
  for _, name in ipairs(B > 0 and opts.versus or {}) do -- more baselines: r.versus[name] = {lo, hi}
    local j = row_of(rows, name)
    if j then
      for i, r in ipairs(rows) do
        if i ~= j then
          local b = S.bootstrap(pred[i], pred[j], truth, { n = B })
          r.versus = r.versus or {}
          r.versus[name] = { lo = b.lo, hi = b.hi }
        end
      end
    end
  end
  return rows
end

return M
