-- tide.metrics.sets — set-based evaluation of "which (user, key) pairs will act in a window":
-- the label set of a window, precision / recall / F1 of a predicted pair set, and the choice of
-- top-k per user and a score threshold on a validation window (never the test window).
--   local S = require "tide.metrics.sets"
--   local truth = S.labels(ev, t0, t1, {key = "item", target = "buy"})
--   local pred = S.select(cands, {k = 3, threshold = 0.1})      -- cands[u] = {{key, score}, ...}
--   S.prf(pred, truth) -> {precision, recall, f1, tp, n_pred, n_true}
--   local best = S.sweep(cands_valid, truth_valid, {ks = {1, 2, 3, 5, 10}})
local M = {}

--- labels(ev, t0, t1, {key = "item", target = "buy"|nil (any event)}) -> pair set
--- {[user] = {[key] = true}, n = number of pairs}: the pairs acted on in [t0, t1).
function M.labels(ev, t0, t1, opts)
  opts = opts or {}
  local key = opts.key or "item"
  if not ev[key] then error(("sets.labels: the event table has no '%s' column"):format(key), 2) end
  if not (type(t0) == "number" and type(t1) == "number" and t1 > t0) then
    error("sets.labels: need numbers t0 < t1 (the window [t0, t1) in the log's time)", 2)
  end
  local code
  if opts.target then
    code = require("tide.data.schema").EVENT[opts.target]
    if not code then error(("sets.labels: unknown target event '%s'"):format(tostring(opts.target)), 2) end
  end
  local u, k, e, t = ev.user:totable(), ev[key]:totable(), ev.event:totable(), ev.time:totable()
  local out, n = {}, 0
  for i = 1, #u do
    if t[i] >= t0 and t[i] < t1 and (not code or e[i] == code) then
      local row = out[u[i]]
      if not row then row = {}; out[u[i]] = row end
      if not row[k[i]] then row[k[i]] = true; n = n + 1 end
    end
  end
  out.n = n
  return setmetatable(out, { __index = function() return nil end })
end

local function by_score(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end

-- a copy of user u's candidate list sorted by score (then key), each entry checked first: a NaN
-- or non-number score would otherwise break the sort's order function
local function sorted_of(list, u, fn)
  if type(list) ~= "table" then error(("%s: cands[%d] must be a list of {key, score}"):format(fn, u), 0) end
  local sorted = {}
  for i, c in ipairs(list) do
    if type(c) ~= "table" or type(c[1]) ~= "number" or type(c[2]) ~= "number" or c[2] ~= c[2] then
      error(("%s: cands[%d][%d] must be {key, score} with a numeric key and a non-NaN score, got %s"):format(fn, u, i,
        type(c) == "table" and ("{%s, %s}"):format(tostring(c[1]), tostring(c[2])) or tostring(c)), 0)
    end
    sorted[i] = c
  end
  table.sort(sorted, by_score)
  return sorted
end

-- every user's top-k candidates, best first, pooled as {user, key, score} rows (fn names the
-- caller in errors)
local function pooled_top_k(cands, k, fn)
  local rows = {}
  for u, list in pairs(cands) do
    if type(u) == "number" then
      local sorted = sorted_of(list, u, fn)
      for i = 1, math.min(k, #sorted) do rows[#rows + 1] = { u, sorted[i][1], sorted[i][2] } end
    end
  end
  return rows
end

-- the score of the ceil(share·N)-th best of the N pooled top-k candidates (share in (0, 1])
local function share_threshold(cands, k, share)
  local pool = {}
  for i, r in ipairs(pooled_top_k(cands, k, "sets.select")) do pool[i] = r[3] end
  if #pool == 0 then return math.huge end
  table.sort(pool, function(a, b) return a > b end)
  return pool[math.max(1, math.min(#pool, math.ceil(share * #pool - 1e-9)))]
end

--- select(cands, {k = 10, threshold = -inf, share = nil, calibration = nil}) -> pair set: each
--- user's top-k candidates with a score >= threshold. cands[u] = array of {key, score}, any
--- order. With share (0 < share <= 1) the threshold is instead the score that keeps that
--- fraction of all users' top-k candidates (ties at the cut kept): a rule that carries over
--- between models refitted on different data, whose score scales may differ. With calibration
--- (from calibrate) the cut is instead the one of highest expected F1 under the calibrated
--- chances of these candidates (tide.metrics.sets_plugin; the set also gets .expected_f1).
--- Threshold and share together are an error (sweep's result holds both).
function M.select(cands, opts)
  opts = opts or {}
  if opts.calibration ~= nil then
    if type(opts.calibration) ~= "table" then error("sets.select: calibration must be a table from sets.calibrate", 2) end
    return require("tide.metrics.sets_plugin").select(cands, opts, function(c, k) return pooled_top_k(c, k, "sets.select") end)
  end
  local k, thr = opts.k or 10, opts.threshold or -math.huge
  if opts.share ~= nil and opts.threshold ~= nil then -- e.g. a sweep result: which rule was meant?
    error("sets.select: give threshold or share, not both (a sweep result has both: pass {k =, threshold =} or {k =, share =})", 2)
  end
  if opts.share ~= nil then
    if not (type(opts.share) == "number" and opts.share > 0 and opts.share <= 1) then
      error("sets.select: share must be a number in (0, 1], got " .. tostring(opts.share), 2)
    end
    thr = share_threshold(cands, k, opts.share)
  end
  local out, n = {}, 0
  for u, list in pairs(cands) do
    if type(u) == "number" then
      local sorted = sorted_of(list, u, "sets.select")
      local row = {}
      for i = 1, math.min(k, #sorted) do
        if sorted[i][2] >= thr then row[sorted[i][1]] = true; n = n + 1 end
      end
      out[u] = row
    end
  end
  out.n = n
  return out
end

--- prf(pred, truth) -> {precision, recall, f1, tp, n_pred, n_true}; both are pair sets
--- ({[user] = {[key] = true}}). Precision is 0 for an empty prediction (never NaN).
function M.prf(pred, truth)
  local tp, np, nt = 0, 0, 0
  for u, row in pairs(pred) do
    if type(u) == "number" then
      local tr = truth[u]
      for key in pairs(row) do np = np + 1; if tr and tr[key] then tp = tp + 1 end end
    end
  end
  for u, row in pairs(truth) do
    if type(u) == "number" then for _ in pairs(row) do nt = nt + 1 end end
  end
  local p = np > 0 and tp / np or 0
  local r = nt > 0 and tp / nt or 0
  return { precision = p, recall = r, f1 = (p + r) > 0 and 2 * p * r / (p + r) or 0, tp = tp, n_pred = np, n_true = nt }
end

-- every candidate with its rank in its user's list (score descending, then key: the order of
-- select), all sorted by score descending
local function ranked(cands)
  local all = {}
  for u, list in pairs(cands) do
    if type(u) == "number" then
      for r, c in ipairs(sorted_of(list, u, "sets.sweep")) do all[#all + 1] = { u, c[1], c[2], r } end
    end
  end
  table.sort(all, function(a, b) return a[3] > b[3] end)
  return all
end

-- the exact best threshold for top-k: scan the pooled candidates by descending score, cutting
-- only between distinct scores (select keeps ties together); F1 = 2·TP / (n_pred + n_true)
local function best_cut(all, truth, k, nt)
  local tp, np, best = 0, 0, { f1 = 0, threshold = math.huge, tp = 0, n = 0 }
  for i, c in ipairs(all) do
    if c[4] <= k then
      np = np + 1
      local tr = truth[c[1]]
      if tr and tr[c[2]] then tp = tp + 1 end
    end
    local nxt = all[i + 1]
    if np > 0 and (not nxt or nxt[3] < c[3]) then
      local f1 = 2 * tp / (np + nt)
      if f1 > best.f1 then best = { f1 = f1, threshold = c[3], tp = tp, n = np } end
    end
  end
  return best
end

--- sweep(cands, truth, {ks = {1, 2, 3, 5, 10, 20, 50, 100, math.huge (all)}, thresholds = nil})
--- -> {k =, threshold =, share =, f1 =, precision =, recall =, grid = {{k, threshold, f1}...}}: the
--- top-k and threshold with the best F1 on this (validation) window. Without `thresholds` the
--- threshold is exact: for each k, the best cut of the pooled candidates by score (one grid row
--- per k); with a list, only those thresholds are tried (one row per (k, threshold)). share is
--- the fraction of the pooled top-k candidates the choice keeps (select's share rule).
function M.sweep(cands, truth, opts)
  opts = opts or {}
  local ks = opts.ks or { 1, 2, 3, 5, 10, 20, 50, 100, math.huge }
  for _, k in ipairs(ks) do
    if not (type(k) == "number" and k >= 1) then error("sets.sweep: ks must hold numbers >= 1", 2) end
  end
  local all = ranked(cands)
  if #all == 0 then error("sets.sweep: no candidates", 2) end
  local nt = 0
  for u, row in pairs(truth) do
    if type(u) == "number" then for _ in pairs(row) do nt = nt + 1 end end
  end
  local best, grid = nil, {}
  local function consider(k, t, f1)
    grid[#grid + 1] = { k, t, f1 }
    if not best or f1 > best.f1 then best = { k = k, threshold = t, f1 = f1 } end
  end
  for _, k in ipairs(ks) do
    if opts.thresholds then
      for _, t in ipairs(opts.thresholds) do consider(k, t, M.prf(M.select(cands, { k = k, threshold = t }), truth).f1) end
    else
      local c = best_cut(all, truth, k, nt)
      consider(k, c.threshold, c.f1)
    end
  end
  local sel = M.select(cands, best)
  local r = M.prf(sel, truth)
  local pooled = 0
  for _, c in ipairs(all) do if c[4] <= best.k then pooled = pooled + 1 end end
  best.precision, best.recall, best.grid, best.share = r.precision, r.recall, grid, math.max(sel.n, 1) / pooled
  return best
end

--- calibrate(cands, truth, {k = math.huge, link = "isotonic"|"cloglog"}) -> {link, s0, kx, ky |
--- a, b, n_out, n, positives, converged}: the chance that a candidate acts as a function of its
--- score — non-decreasing (isotonic knots over score − s0, default) or P = 1 − exp(−(a + b·(score −
--- s0))) (cloglog) — fitted by maximum likelihood on a (validation) window's labels of each
--- user's top-k candidates, and the number n_out of true pairs outside them;
--- select(cands, {k =, calibration =}) uses it (tide.metrics.sets_plugin).
function M.calibrate(cands, truth, opts)
  return require("tide.metrics.sets_plugin").calibrate(cands, truth, opts or {}, function(c, k) return pooled_top_k(c, k, "sets.calibrate") end)
end

--- bootstrap(pred_a, pred_b, truth, {n = 1000, seed = 1, level = 0.95}) -> {diff, lo, hi,
--- share_le0}: F1(a) − F1(b) and its percentile interval over users resampled with replacement
--- (tide.metrics.sets_bootstrap)
function M.bootstrap(a, b, truth, opts) return require("tide.metrics.sets_bootstrap")(a, b, truth, opts) end

--- candidates(model, users, {n = 50, exclude_seen = false}) -> cands[u] = {{item, score}, ...}:
--- each user's top-n items of a recommender (tide.models interface) with their scores.
function M.candidates(model, users, opts)
  opts = opts or {}
  if opts.exclude_seen then error("sets.candidates: exclude_seen is not supported (repeat actions count)", 2) end
  users = require("tide.models.common").users(users)
  local n = opts.n or 50
  local out = {}
  local B = 512
  for a = 1, users:numel(), B do
    local blk = users:narrow(1, a, math.min(B, users:numel() - a + 1))
    local scores = model:score(blk)
    local vals, ids = scores:topk(math.min(n, scores:size(2)))
    local v, id = vals:totable(), ids:totable()
    for b = 1, blk:numel() do
      local list = {}
      for j = 1, #id[b] do list[j] = { id[b][j], v[b][j] } end
      out[blk:get(b)] = list
    end
  end
  return out
end

return M
