-- tide.metrics.sets_bootstrap — how sure is a difference in set F1 between two predictions of
-- the same window? Users are resampled with replacement (the unit that is independent: one
-- user's pairs are correlated) and both micro-F1s recomputed from the drawn users' counts
-- (Efron & Tibshirani 1993, percentile interval). Used by tide.metrics.sets.bootstrap.

-- per-user (tp, n_pred, n_true) of a prediction, over `users` (an array, sorted so that a seed
-- always draws the same users whatever the tables' hash order)
local function per_user(pred, truth, users)
  local out = {}
  for _, u in ipairs(users) do
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
return function(a, b, truth, opts)
  opts = opts or {}
  local n, level = opts.n or 1000, opts.level or 0.95
  if not (type(n) == "number" and n >= 10) then error("sets.bootstrap: n must be a number >= 10", 2) end
  if not (type(level) == "number" and level > 0 and level < 1) then error("sets.bootstrap: level must be in (0, 1)", 2) end
  local seen, users = {}, {}
  for _, set in ipairs({ a, b, truth }) do
    for u in pairs(set) do
      if type(u) == "number" and not seen[u] then seen[u] = true; users[#users + 1] = u end
    end
  end
  table.sort(users)
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
