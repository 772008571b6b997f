-- tide.metrics — evaluation. Full-ranking accuracy over all users × items (HR, NDCG, Recall,
-- Precision, MAP at K; MRR) with seen-item exclusion, computed in C block by block; the sampled
-- protocol (target vs 100 random negatives) only on request and labelled "sampled"; AUC,
-- log-loss, accuracy/precision/recall/F1, ECE, Brier, average precision, reliability bins, lift,
-- cumulative gain; coverage, novelty, intra-list diversity.
--   print(tide.metrics.evaluate(model, split, {k = {10, 20}}))
local common = require("tide.models.common")
local M = {}

local function core() return require("tide").core.metrics end
local function T() return require("tide").tensor end
-- wall-clock seconds (os.clock is CPU time, which counts every thread)
local function wall() return require("tide").core.io.wall() end

local function vec(x) return type(x) == "table" and T().fromtable(x) or x end

function M.auc(score, y) return core().auc(vec(score), vec(y)) end
function M.log_loss(p, y) return core().log_loss(vec(p), vec(y)) end
function M.binary(p, y, threshold) return core().binary(vec(p), vec(y), threshold) end
function M.ece(p, y, bins) return core().ece(vec(p), vec(y), bins) end
--- brier(p, y) -> mean (p - y)^2 (sklearn's brier_score_loss)
function M.brier(p, y) return core().brier(vec(p), vec(y)) end
--- pr_auc(score, y) -> average precision, sklearn's average_precision_score (no interpolation;
-- tied scores form one threshold); NaN without positives
function M.pr_auc(score, y) return core().pr_auc(vec(score), vec(y)) end
--- reliability(p, y, {bins = 10, strategy = "uniform" | "quantile"}) -> array over the non-empty
-- bins of {lo, hi, count, mean_pred, frac_pos}; bins as sklearn's calibration_curve ((lo, hi],
-- the first closed; quantile edges are numpy percentiles of p)
function M.reliability(p, y, opts)
  opts = opts or {}
  local st = opts.strategy or "uniform"
  if st ~= "uniform" and st ~= "quantile" then
    error("metrics.reliability: opts.strategy must be 'uniform' or 'quantile', got " .. tostring(st), 2)
  end
  return core().reliability(vec(p), vec(y), opts.bins or 10, st == "quantile")
end
--- lift_at(score, y, k_frac) -> lift, precision, captured: the top ceil(k_frac n) rows by score
-- (ties at the cut shared pro rata); lift = precision / base rate, captured = share of positives
function M.lift_at(score, y, k_frac)
  if type(k_frac) ~= "number" then error("metrics.lift_at: k_frac must be a number in (0, 1]", 2) end
  return core().lift_at(vec(score), vec(y), k_frac)
end
--- gain_curve(score, y) -> frac_targeted, frac_captured: f32 tensors from (0, 0) to (1, 1), one
-- point per distinct score, highest first
function M.gain_curve(score, y) return core().gain_curve(vec(score), vec(y)) end
-- Coverage, novelty and intra-list diversity of top-K lists (items [B, K], 1-based).
function M.beyond(items, opts)
  opts = opts or {}
  local cov, nov, ild = core().beyond(items, opts.n_items, opts.popularity, opts.n_users, opts.embeddings, opts.category)
  return { coverage = cov, novelty = nov, ild = ild }
end

-- CSR (off i64 [U+1], item i32) of the events of one or more tables, per user (1..U)
local function csr(tables, n_users)
  local users, items = {}, {}
  for i, ev in ipairs(tables) do users[i], items[i] = ev.user, ev.item end
  local u = #tables == 1 and users[1] or common.concat(users, "i32")
  local it = #tables == 1 and items[1] or common.concat(items, "i32")
  local off, perm = require("tide").core.decay.group(u, nil, n_users)
  return off, it:index_select(1, perm)
end

local Result = {}
Result.__index = Result
Result.__tostring = function(r)
  local keys = {}
  for k in pairs(r) do if type(r[k]) == "number" then keys[#keys + 1] = k end end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = (math.floor(r[k]) == r[k] and "%s=%d" or "%s=%.4f"):format(k, r[k])
  end
  return ("[%s] %s"):format(r.protocol, table.concat(parts, " "))
end

local function normalised(off, ids) return require("tide.models.seq_score").rebase(off, ids) end

-- starts the ranks (and top-k lists, k > 0) of one block, fused in C from the model's states
-- and item table on background threads (no [users x items] score matrix), and hands the states
-- over as this thread computes them (core.seqrec.ready), so the threads rank from the first
-- chunk on. Chunks grow from 1024 users (the threads start soon) to 4096: states() groups users
-- of similar history length, and a small chunk pads more (Games: 0.32 s of states in chunks of
-- 1024 users, 0.28 s in chunks of 4096). Returns the run for core.seqrec.wait.
local function fused_start(model, users, so, sitem, to, titem, k)
  local o, t = normalised(to, titem)
  local os_, s_ = nil, nil
  if so then os_, s_ = normalised(so, sitem) end
  local sr, E, n = require("tide").core.seqrec, model:item_table(), users:numel()
  local h = T().zeros(n, E:shape()[2])
  local run = sr.rank_topk_async(h, E, os_, s_, o, t, k, 0)
  local ok, err = pcall(function()
    local c0, chunk = 1, 1024
    while c0 <= n do
      local m = math.min(chunk, n - c0 + 1)
      h:narrow(1, c0, m):copy(model:states(users:narrow(1, c0, m)))
      sr.ready(run, c0 + m - 1)
      c0, chunk = c0 + m, math.min(2 * chunk, 4096)
    end
  end)
  if not ok then pcall(sr.wait, run); error(err, 0) end -- stop the threads before raising
  return run
end

-- ranks of one block under the sampled protocol, scoring only the candidates
local function sampled_ranks(model, users, so, sitem, to, titem, n_items, ropts)
  local sr = require("tide").core.seqrec
  local o, t = normalised(to, titem)
  local os_, s_ = nil, nil
  if so then os_, s_ = normalised(so, sitem) end
  local cand, seen_t = sr.candidates(os_, s_, o, t, n_items, ropts.sampled, ropts.seed, ropts.user_base)
  -- the user of every target row
  local per, oo = {}, o:totable()
  for b = 1, users:numel() do for _ = oo[b] + 1, oo[b + 1] do per[#per + 1] = users:get(b) end end
  if #per == 0 then return T().zeros({ 0 }, "i64") end
  local sc = model:score_items(T().fromtable(per, "i32"), cand)
  return sr.rank_candidates(sc, cand, seen_t, n_items)
end

-- evaluate(model, split_or_targets, opts)
--   split: {train=, valid=, test=} -> targets = test, seen = train (+ valid); or an event table
--   of targets with opts.seen = {tables...} (default: the model's training table).
--   Seen items are excluded from the candidates, and a target the user had already seen counts
--   as a miss (it cannot be recommended as new). opts.exclude_seen = false ranks against every
--   item instead, for repeat consumption; the two are never mixed, since unmasking only the held-
--   out seen item would tell a history-favouring model which one it is.
--   opts.k = {10, 20}; opts.protocol = "full" | "sampled" (opts.n_neg = 100, opts.seed);
--   opts.exclude_seen (default true); opts.block (users per scoring block, default 512, 8192
--   with score_items, or 32768 for a model with states(users) and item_table(), whose full
--   ranking runs fused in C (core.seqrec.rank_topk_async, the same ranks as scoring, on
--   background threads while the states are computed; opts.fused = false scores instead));
--   opts.beyond = true adds coverage/novelty/ILD of the top-max(k) lists.
--   opts.users = {first, last}: rank only that block of users (tide.mpi shards evaluation).
--   opts.per_user = true adds r.ranks (i64, 0-based rank of every target, users in order),
--   r.rank_offsets (i64 [n_users+1] CSR: user u's targets are ranks[off[u]+1 .. off[u+1]]) and,
--   for the full protocol, r.lists (i32 [n_users, max(k)] top-K items, 0 = none).
--   Sampled protocol with a model that has score_items(users, cand [N, C]) -> f32 [N, C]:
--   only the 1 + n_neg candidates of each target are scored (same draws, same ranks).
function M.evaluate(model, split, opts)
  opts = opts or {}
  local ks = opts.k or { 10, 20 }
  if type(ks) == "number" then ks = { ks } end
  local targets, seen_tables = split, opts.seen
  if split.test and split.train then
    targets = split.test
    seen_tables = seen_tables or { split.train, split.valid }
  end
  seen_tables = seen_tables or { model.train_ev }
  local n_users = opts.n_users or model.n_users or targets.n_users
  local n_items = model.n_items or targets.n_items
  local toff, titem = csr({ targets }, n_users)
  local soff, sitem
  if opts.exclude_seen ~= false then soff, sitem = csr(seen_tables, n_users) end
  local sampled = opts.protocol == "sampled"
  local ropts = sampled and { sampled = opts.n_neg or 100, seed = opts.seed or 1 } or nil
  local fused = not ropts and opts.fused ~= false and model.states and model.item_table
  local B = opts.block or (fused and 32768 or (ropts and model.score_items) and 8192 or 512)
  local sums, used = {}, 0
  for _, k in ipairs(ks) do sums[k] = { hr = 0, ndcg = 0, recall = 0, precision = 0, map = 0, mrr = 0 } end
  local lists = {}
  local kmax = 0
  for _, k in ipairs(ks) do kmax = math.max(kmax, k) end
  local all_ranks = {}
  local want_lists = opts.per_user and not ropts
  local t0 = wall()
  local ufirst, ulast = 1, n_users
  if opts.users then ufirst, ulast = opts.users[1], math.min(opts.users[2], n_users) end
  -- a block's ranks (and top-K lists) into the sums, in user order
  local function add(to, ranks, l)
    lists[#lists + 1] = l
    if opts.per_user then all_ranks[#all_ranks + 1] = ranks end
    local part, n = core().from_ranks(to, ranks, ks)
    for _, k in ipairs(ks) do for m, v in pairs(part[k]) do sums[k][m] = sums[k][m] + v end end
    used = used + n
  end
  local pending, pending_to -- the fused block being ranked while the next one's states run
  local function finish()
    if not pending then return end
    local run = pending
    pending = nil
    add(pending_to, require("tide").core.seqrec.wait(run))
  end
  local function blocks()
    for u0 = ufirst, ulast, B do
      local nb = math.min(B, ulast - u0 + 1)
      local users = T().arange(u0, u0 + nb, 1, "i32")
      local so = soff and soff:narrow(1, u0, nb + 1)
      local to = toff:narrow(1, u0, nb + 1)
      if ropts then ropts.user_base = u0 end
      local scores = not fused and not (ropts and model.score_items) and model:score(users)
      if fused then
        local run = fused_start(model, users, so, sitem, to, titem, (opts.beyond or want_lists) and kmax or 0)
        finish()
        pending, pending_to = run, to
      elseif not scores then
        add(to, sampled_ranks(model, users, so, sitem, to, titem, n_items, ropts))
      elseif (opts.beyond or want_lists) and not ropts then -- ranks and top-K lists in one pass
        add(to, core().rank_topk(scores, so, sitem, to, titem, kmax))
      else
        local ranks = core().rank(scores, so, sitem, to, titem, ropts)
        add(to, ranks, opts.beyond and (core().topk(scores, so, sitem, kmax)) or nil)
      end
    end
    finish()
  end
  -- the sequence models' states come from small sgemms (inner size dim) in which OpenBLAS's
  -- workers only spin-wait, stealing the fused kernel's cores or, in the sampled protocol,
  -- turning 0.75 s into 1.2 s at random (MovieLens-1M shape): one BLAS thread until done
  if model.states and model.item_table then require("tide").blas.with_threads(1, blocks) else blocks() end
  local r = setmetatable({ protocol = sampled and ("sampled-" .. (opts.n_neg or 100)) or "full",
                           users = used, seconds = wall() - t0 }, Result)
  for _, k in ipairs(ks) do
    local s = sums[k]
    r["HR@" .. k], r["NDCG@" .. k], r["Recall@" .. k] = s.hr / used, s.ndcg / used, s.recall / used
    r["Precision@" .. k], r["MAP@" .. k] = s.precision / used, s.map / used
    r.MRR = s.mrr / used
  end
  local all
  if #lists > 0 then
    all = T().zeros({ n_users, kmax }, "i32")
    local pos = 1
    for _, l in ipairs(lists) do all:narrow(1, pos, l:shape()[1]):copy(l); pos = pos + l:shape()[1] end
  end
  if opts.per_user then
    r.ranks, r.rank_offsets, r.lists = common.concat(all_ranks, "i64"), toff, all
  end
  if opts.beyond and all then
    -- novelty needs item popularity (interaction counts of the seen tables), diversity item
    -- categories (the first category each item appears with) unless embeddings are given
    local pop = opts.popularity
    local dec = require("tide").core.decay
    if not pop and opts.exclude_seen ~= false then
      pop = dec.popularity(sitem, T().zeros({ sitem:numel() }, "i64"), nil, nil, n_items, 0, 0, 0)
    end
    local cat = opts.item_category or model.item_category
    if not cat and not opts.embeddings and seen_tables[1] and seen_tables[1].category then
      local st, c = seen_tables[1], {}
      for i = 1, n_items do c[i] = 1 end
      local done = {}
      for e = 1, st.item:numel() do
        local it = st.item:get(e)
        if not done[it] then done[it] = true; c[it] = st.category:get(e) end
      end
      cat = T().fromtable(c, "i32")
    end
    local b = M.beyond(all, { n_items = n_items, popularity = pop, n_users = n_users,
                              embeddings = opts.embeddings, category = cat })
    r.coverage, r.novelty, r.ild = b.coverage, b.novelty, b.ild
  end
  return r
end

return M
