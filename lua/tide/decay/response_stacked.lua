-- tide.decay.response_stacked — the marked response kernel's parts re-weighed by gradient-boosted
-- trees learned from the log itself: "will (u, k) act in the next horizon?" as a classifier
-- whose label is what happened in the last horizon of the training log (stacked
-- generalisation, Wolpert 1992; the kernel as a feature generator, as in the Kaggle / Tmall
-- repeat-buyer solutions that combine RFM statistics with decayed counts).
--   1. cut c = T − horizon (T = the log's end): the marked kernel (response_marked) is fitted
--      on the rows before c;
--   2. features of every (user, key) pair touched before c, computed at c; label: did the pair
--      act in [c, T)?
--   3. tide.activation.gbdt (logistic loss) learns P(label | features);
--   4. scoring at any t: the same kernel's features at t (only rows before t count) → P.
-- The kernel assumes its own structure (visits × rows per visit × a decayed share); the trees
-- correct it where a log departs from it (e.g. seasonal products, wholesalers' ordering).
-- When the kernel is right (the simulator), the trees only add variance: compare both with
-- tide.decay.response_eval before choosing.
--   local f = tide.decay.response.fit_stacked(ev, {key = "item", horizon = 14})
--   f:expected(ev, t, 14).score     -- P(at least one buy of the pair in [t, t + 14 d))
local M = {}
local Stacked = {}
Stacked.__index = Stacked
M.Stacked = Stacked

local function tide() return require("tide") end
local S = require("tide.data.schema")

--- the feature columns, in order (f.importance names them)
M.FEATURES = {
  "expected",       -- the marked kernel's expected target actions in the horizon
  "visits",         -- its ground: the user's expected visits in the horizon
  "rate",           -- the user's target rows per visit (shrunk)
  "share",          -- the user's decayed preference for the key, averaged over the horizon
  "pair_events",    -- the pair's interactions so far (every type)
  "pair_targets",   -- the pair's target actions so far
  "pair_age",       -- units since the pair's last interaction
  "pair_target_age",-- units since the pair's last target action (missing: never)
  "user_age",       -- units since the user's last event
  "user_events",    -- the user's events so far
  "key_trend",      -- log(the key's share of all target actions in the last two horizons /
                    --     its share over the whole log): rising or fading keys
  "key_recent",     -- log of the key's share of target actions in the last two horizons
}

local NAN = 0 / 0
local PAIR = 4294967296 -- user · 2^32 + key: a pair's hash key (exact in a double)

-- the feature matrix (f32 [n, #FEATURES]) of the pairs f:expected scores at t, from ev's rows
-- before t; returns X and the expected table {user, key, ...}
local function features(marked, ev, t, horizon)
  local e = marked:expected(ev, t, horizon)
  local unit = marked.unit
  local u, k = e.user:totable(), e.key:totable()
  local sc, vi, ra, sh = e.score:totable(), e.visits:totable(), e.rate:totable(), e.share:totable()
  local tu, tk, tt, te = ev.user:totable(), ev[marked.key]:totable(), ev.time:totable(), ev.event:totable()
  local code, since = S.EVENT[marked.target], t - 2 * horizon * unit
  local pn, pb, pl, plb, ul, un, kr, ka = {}, {}, {}, {}, {}, {}, {}, {}
  local nr, na = 0, 0
  for i = 1, #tu do
    local ti = tt[i]
    if ti < t then
      local x, q = tu[i], tk[i]
      local pk = x * PAIR + q
      pn[pk] = (pn[pk] or 0) + 1
      if not pl[pk] or ti > pl[pk] then pl[pk] = ti end
      if not ul[x] or ti > ul[x] then ul[x] = ti end
      un[x] = (un[x] or 0) + 1
      if te[i] == code then
        pb[pk] = (pb[pk] or 0) + 1
        if not plb[pk] or ti > plb[pk] then plb[pk] = ti end
        ka[q], na = (ka[q] or 0) + 1, na + 1
        if ti >= since then kr[q], nr = (kr[q] or 0) + 1, nr + 1 end
      end
    end
  end
  local F, flat = #M.FEATURES, {}
  for q = 1, #u do
    local x, key = u[q], k[q]
    local pk = x * PAIR + key
    local recent = math.log(((kr[key] or 0) + 1) / (nr + 1))
    local row = { sc[q], vi[q], ra[q], sh[q], pn[pk] or 0, pb[pk] or 0,
                  pl[pk] and (t - pl[pk]) / unit or NAN, plb[pk] and (t - plb[pk]) / unit or NAN,
                  ul[x] and (t - ul[x]) / unit or NAN, un[x] or 0,
                  recent - math.log(((ka[key] or 0) + 1) / (na + 1)), recent }
    for j = 1, F do flat[(q - 1) * F + j] = row[j] end
  end
  return #u > 0 and tide().tensor.fromtable(flat, "f32"):view({ #u, F }) or nil, e, #u
end
M.features = function(marked, ev, t, horizon) return (features(marked, ev, t, horizon)) end

local KNOWN = { key = 1, target = 1, unit = 1, family = 1, k = 1, frailty = 1, delay = 1, max_hist = 1,
                horizon = 1, at = 1, gbdt = 1 }
local MARKED = { "key", "target", "unit", "family", "k", "frailty", "delay", "max_hist" } -- passed to the kernel

-- opts.horizon in units (default 14 days), checked
local function horizon_of(opts, unit, fn)
  local H = opts.horizon or 14 * 86400 / unit
  if not (type(H) == "number" and H > 0 and H < math.huge) then
    error(("%s: horizon must be a number of units > 0, got %s"):format(fn, tostring(opts.horizon)), 3)
  end
  return H
end

local function marked_opts(opts)
  local mo = {}
  for _, k in ipairs(MARKED) do mo[k] = opts[k] end
  return mo
end

-- 0/1 per scored pair of e ({user, key}): did it act (lab, a sets.labels pair set)? and how many did
local function acted(e, lab)
  local u, k, y, pos = e.user:totable(), e.key:totable(), {}, 0
  for i = 1, #u do
    y[i] = lab[u[i]] and lab[u[i]][k[i]] and 1 or 0
    pos = pos + y[i]
  end
  return y, pos
end
local FEW_POSITIVES = 30 -- below this many acting pairs, fit sets f.warning
local GBDT = { n_trees = 150, learning_rate = 0.05, min_samples_leaf = 50, max_depth = 6, seed = 1,
               early_stopping = false }

--- fit_stacked(ev, {key = "item", target = "buy", horizon = 14 (units), at = the log's end (epoch
---   seconds: labels are the pairs that act in [at − horizon, at)), gbdt = {n_trees = 150,
---   learning_rate = 0.05, min_samples_leaf = 50, max_depth = 6, seed = 1, ...} (any
---   tide.activation.gbdt option), and the marked kernel's options: unit, family, k, frailty,
---   delay, max_hist}) -> Stacked: marked (the kernel, fitted on the rows before at − horizon),
---   model (the trees), horizon, n_train (pairs), n_positive, importance() ({name, gain}...),
---   warning (a string when fewer than 30 pairs acted in the label window, else nil)
function M.fit(ev, opts)
  opts = opts or {}
  local fn = "decay.response.fit_stacked"
  for k in pairs(opts) do
    if not KNOWN[k] then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 2) end
  end
  if type(ev) ~= "table" or not ev.user then error(fn .. ": argument #1 must be an event table", 2) end
  if ev.n == 0 then error(fn .. ": the event table is empty", 2) end
  local unit = require("tide.decay.response").unit_of(opts, fn)
  local H = horizon_of(opts, unit, fn)
  local at = opts.at or ev.time:max():item() + 1
  if type(at) ~= "number" or at ~= at then error(("%s: at must be epoch seconds, got %s"):format(fn, tostring(opts.at)), 2) end
  if opts.gbdt ~= nil and type(opts.gbdt) ~= "table" then error(fn .. ": gbdt must be a table of tide.activation.gbdt options", 2) end
  local c = at - H * unit
  local past = ev:filter(ev.time:lt(c))
  if past.n == 0 then
    error(("%s: no events before at − horizon (the labels are the last %g units' actions; the kernel needs the rows before them)"):format(fn, H), 2)
  end
  local target = opts.target or "buy"
  local marked = require("tide.decay.response_marked").fit(past, marked_opts(opts))
  local X, e, n = features(marked, past, c, H)
  if n == 0 then error(fn .. ": no (user, key) pair was touched before at − horizon", 2) end
  local lab = require("tide.metrics.sets").labels(ev, c, at, { key = marked.key, target = target })
  local y, pos = acted(e, lab)
  if pos == 0 or pos == n then
    error(("%s: the last %g units hold %s of the %d candidate pairs acting: nothing to learn (a longer log or horizon)"):format(
      fn, H, pos == 0 and "none" or "all", n), 2)
  end
  local go = {}
  for key, v in pairs(GBDT) do go[key] = v end
  for key, v in pairs(opts.gbdt or {}) do go[key] = v end
  local model = require("tide.activation.gbdt").new(go)
  model:fit(X, tide().tensor.fromtable(y, "f32"), { names = M.FEATURES })
  local f = setmetatable({ marked = marked, model = model, horizon = H, n_train = n, n_positive = pos, at = at,
                           key = marked.key, target = target, unit = unit }, Stacked)
  if pos < FEW_POSITIVES then
    f.warning = ("only %d of the %d candidate pairs acted in the label window: the trees learn from very few examples, and the marked kernel alone may rank better (compare with tide.decay.response_eval)"):format(pos, n)
  end
  return f
end

-- average precision of a law's scores at t (pairs touched before t, from past = ev's rows
-- before t) against the pairs acting in [t, t + horizon)
local function held_out_ap(law, past, ev, t, horizon, unit)
  local e = law:expected(past, t, horizon)
  local lab = require("tide.metrics.sets").labels(ev, t, t + horizon * unit, { key = law.key, target = law.target })
  local y, pos = acted(e, lab)
  if pos == 0 then return 0 end
  return tide().metrics.pr_auc(e.score, tide().tensor.fromtable(y, "f32"))
end

--- choose(ev, opts) -> "stacked" | "marked", {marked = AP, stacked = AP | nil}: which of the two
--- ranks the pairs that act in the log's last horizon better (average precision), each fitted
--- on the rows before it (the stacked model's trees then learn on the horizon before that).
--- opts: those of fit_stacked (without at). "marked" when the log is too short for the stacked
--- model's backtest (four horizons of history are needed: none of the stacked model's own
--- errors is hidden otherwise).
function M.choose(ev, opts)
  opts = opts or {}
  local fn = "decay.response_stacked.choose"
  if opts.at ~= nil then error(fn .. ": at is not an option here (the backtest ends at the log's end)", 2) end
  local unit = require("tide.decay.response").unit_of(opts, fn)
  local H = horizon_of(opts, unit, fn)
  local T = ev.time:max():item() + 1
  local c = T - H * unit
  local mo = marked_opts(opts)
  local past = ev:filter(ev.time:lt(c))
  if past.n == 0 then error(("%s: no events before the log's last horizon (%g units)"):format(fn, H), 2) end
  local ap = { marked = held_out_ap(require("tide.decay.response_marked").fit(past, mo), past, ev, c, H, unit) }
  if c - 2 * H * unit <= ev.time:min():item() then return "marked", ap end
  local so = { horizon = H, at = c, gbdt = opts.gbdt }
  for k, v in pairs(mo) do so[k] = v end
  ap.stacked = held_out_ap(M.fit(past, so), past, ev, c, H, unit)
  return ap.stacked > ap.marked and "stacked" or "marked", ap
end

--- f:expected(ev, t[, horizon]) -> {user, key, score}: P(the pair acts at least once in
--- [t, t + horizon)) for every (user, key) pair of ev touched before t (events at or after t
--- are ignored). The trees learned one horizon: another one is an error.
function Stacked:expected(ev, t, horizon)
  if horizon ~= nil and math.abs(horizon - self.horizon) > 1e-9 * self.horizon then
    error(("decay.response_stacked.expected: the model learned a horizon of %g units, asked for %g (refit with horizon = %g)"):format(
      self.horizon, horizon, horizon), 2)
  end
  local X, e, n = features(self.marked, ev, t, self.horizon)
  local p = n > 0 and self.model:predict(X) or tide().tensor.zeros({ 0 }, "f32")
  return { user = e.user, key = e.key, score = p }
end

--- f:importance() -> {{name =, gain =}, ...}: the trees' total split gain per feature, largest first
function Stacked:importance() return self.model:importance() end

local NUMS = { "horizon", "n_train", "n_positive", "at", "unit" }

--- f:state() -> tensors, meta (what f:save writes): the kernel's and the trees' states
function Stacked:state()
  local io = require("tide.models.io")
  local t, m = {}, { kind = "response_stacked", key = self.key, target = self.target }
  for _, k in ipairs(NUMS) do m[k] = self[k] end
  local kt, km = self.marked:state()
  io.nest(t, m, "marked.", kt, km)
  local gt, gm = self.model:state()
  io.nest(t, m, "gbdt.", gt, gm)
  return t, m
end

--- response_stacked.from_state(tensors, meta) -> the Stacked fit, scoring exactly as saved
function M.from_state(t, m)
  local io = require("tide.models.io")
  local f = setmetatable({ key = m.key, target = m.target }, Stacked)
  for _, k in ipairs(NUMS) do f[k] = m[k] end
  local kt, km = io.unnest(t, m, "marked.")
  f.marked = require("tide.decay.response_marked").from_state(kt, km)
  local gt, gm = io.unnest(t, m, "gbdt.")
  f.model = require("tide.activation.gbdt").from_state(gt, gm, "the stacked model's trees")
  return f
end

--- f:save(path) — atomically, checksummed; tide.decay.load(path) restores it exactly
function Stacked:save(path)
  local t, m = self:state()
  require("tide.models.io").save(path, t, m, "decay.response_stacked:save")
end

return M
