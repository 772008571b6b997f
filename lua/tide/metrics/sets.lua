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

--- select(cands, {k = 10, threshold = -inf}) -> pair set: each user's top-k candidates with a
--- score >= threshold. cands[u] = array of {key, score}, any order.
function M.select(cands, opts)
  opts = opts or {}
  local k, thr = opts.k or 10, opts.threshold or -math.huge
  local out, n = {}, 0
  for u, list in pairs(cands) do
    if type(u) == "number" then
      local sorted = {}
      for i, c in ipairs(list) do sorted[i] = c end
      table.sort(sorted, by_score)
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
      local sorted = {}
      for i, c in ipairs(list) do sorted[i] = c end
      table.sort(sorted, by_score)
      for r, c in ipairs(sorted) do all[#all + 1] = { u, c[1], c[2], r } end
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
--- -> {k =, threshold =, f1 =, precision =, recall =, grid = {{k, threshold, f1}...}}: the
--- top-k and threshold with the best F1 on this (validation) window. Without `thresholds` the
--- threshold is exact: for each k, the best cut of the pooled candidates by score (one grid row
--- per k); with a list, only those thresholds are tried (one row per (k, threshold)).
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
  local r = M.prf(M.select(cands, best), truth)
  best.precision, best.recall, best.grid = r.precision, r.recall, grid
  return best
end

-- per-user (tp, n_pred, n_true) of a prediction, over the users in `users` (a set)
local function per_user(pred, truth, users)
  local out = {}
  for u in pairs(users) do
    local row, tr, tp, np, nt = pred[u], truth[u], 0, 0, 0
    if row then for key in pairs(row) do np = np + 1; if tr and tr[key] then tp = tp + 1 end end end
    if tr then for _ in pairs(tr) do nt = nt + 1 end end
    out[#out + 1] = { tp, np, nt }
  end
  return out
end

--- bootstrap(pred_a, pred_b, truth, {n = 1000, seed = 1, level = 0.95}) -> {diff, lo, hi,
--- share_le0}: F1(a) − F1(b) on the whole window and its percentile interval when users are
--- resampled with replacement (the users of both predictions and of the truth; each replicate
--- recomputes both micro-F1s from the drawn users' counts), and the share of replicates <= 0.
function M.bootstrap(a, b, truth, opts)
  opts = opts or {}
  local n, level = opts.n or 1000, opts.level or 0.95
  if not (type(n) == "number" and n >= 10) then error("sets.bootstrap: n must be a number >= 10", 2) end
  if not (type(level) == "number" and level > 0 and level < 1) then error("sets.bootstrap: level must be in (0, 1)", 2) end
  local users = {}
  for _, set in ipairs({ a, b, truth }) do for u in pairs(set) do if type(u) == "number" then users[u] = true end end end
  local ua, ub = per_user(a, truth, users), per_user(b, truth, users)
  local U = #ua
  if U == 0 then error("sets.bootstrap: no users", 2) end
  local function f1(s) return s[2] + s[3] > 0 and 2 * s[1] / (s[2] + s[3]) or 0 end
  local function diff(idx)
    local sa, sb = { 0, 0, 0 }, { 0, 0, 0 }
    for _, i in ipairs(idx) do
      for j = 1, 3 do sa[j], sb[j] = sa[j] + ua[i][j], sb[j] + ub[i][j] end
    end
    return f1(sa) - f1(sb)
  end
  local all = {}
  for i = 1, U do all[i] = i end
  -- a private generator (Park & Miller 1988 minimal standard, x·48271 mod 2^31 − 1, exact in
  -- doubles) so the interval depends on the seed alone and Lua's global generator is untouched
  local x = (opts.seed or 1) % 2147483646 + 1
  local d = {}
  for r = 1, n do
    local idx = {}
    for i = 1, U do x = x * 48271 % 2147483647; idx[i] = x % U + 1 end
    d[r] = diff(idx)
  end
  table.sort(d)
  local le0 = 0
  for _, v in ipairs(d) do if v <= 0 then le0 = le0 + 1 end end
  local lo = d[math.max(1, math.floor(n * (1 - level) / 2 + 0.5))]
  local hi = d[math.min(n, math.floor(n * (1 + level) / 2 + 0.5))]
  return { diff = diff(all), lo = lo, hi = hi, share_le0 = le0 / n }
end

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
