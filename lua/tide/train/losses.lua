-- tide.train.losses — next-item objectives over hidden states h [B,T,D] and an item table E
-- [1 + n_items (+ extra rows), D] whose row 1 is padding and row i + 1 is item i (the layout of
-- every tide.models sequence model). Targets are i32 item ids, 0 = no target (padding).
--   bce(h, E, target, neg)               BCE with one sampled negative per position (SASRec,
--                                        Kang & McAuley 2018): mean over real positions
--   softmax(h, E, target, n_items)       full softmax cross-entropy over all items
--   sampled_softmax(h, E, target, n_items, k)  softmax over the target and k negatives shared by
--                                        the batch (accidental hits excluded by the kernel);
--                                        k >= n_items: the full softmax (exact and cheaper)
-- Only positions with a target are scored: padding costs nothing.
local tide = require "tide"
local T = tide.tensor

local M = {}

local function K() return tide.core.nn end

-- row-wise dot products of [N,D] tensors. (h * e):sum(2) measured 3x faster forward+backward
-- than the batched [N,1,D] x [N,D,1] matmul at N = 6400, D = 50 (one tiny gemm per row there)
local function rowdot(h, e) return (h * e):sum(2) end

-- rows of h [B,T,D] (as [N,D]) and targets at the real positions
local function real_rows(h, target)
  local D = h:shape()[3]
  local flat = target:reshape({ target:numel() })
  local idx = (tide.core.data.nonzero(flat) + 1):cast("i32")
  return h:reshape({ target:numel(), D }):index_select(1, idx), flat:index_select(1, idx), idx
end

--- bce(h [B,T,D], E, target i32 [B,T], neg i32 [B,T]) -> scalar loss
function M.bce(h, E, target, neg)
  local hs, tg, idx = real_rows(h, target)
  if tg:numel() == 0 then return (h:sum() * 0) end
  local ng = neg:reshape({ neg:numel() }):index_select(1, idx)
  local pos = rowdot(hs, K().embedding(E, tg + 1, 1))
  local negl = rowdot(hs, K().embedding(E, ng + 1, 1))
  local n = tg:numel()
  return K().bce_with_logits(pos, T.ones(n)) + K().bce_with_logits(negl, T.zeros(n))
end

--- softmax(h, E, target, n_items) -> mean cross-entropy over all n_items (ids 1..n_items)
function M.softmax(h, E, target, n_items)
  local hs, tg = real_rows(h, target)
  if tg:numel() == 0 then return (h:sum() * 0) end
  local logits = hs:matmul(E:narrow(1, 2, n_items):t())
  return K().cross_entropy(logits, tg)
end

--- sampled_softmax(h, E, target, n_items, k[, negs i32 [k]]) -> cross-entropy over {target} ∪
--- k uniform items drawn once per batch (tensor.manual_seed stream) unless negs are given.
--- With k >= n_items (and no negs) it is the full softmax: k draws with replacement would
--- cost more than the catalogue and only add duplicates.
--- Shared uniform negatives without a log-Q correction (uniform Q is a constant) follow
--- Klenitskiy & Vasilev, "Turning Dross Into Gold Loss" (RecSys 2023).
function M.sampled_softmax(h, E, target, n_items, k, negs)
  if not negs and k >= n_items then return M.softmax(h, E, target, n_items) end
  local hs, tg = real_rows(h, target)
  local N = tg:numel()
  if N == 0 then return (h:sum() * 0) end
  negs = negs or (T.rand(k) * n_items):cast("i32"):clamp(0, n_items - 1) + 1 -- truncation = floor here
  -- the negatives are shared: their logits are one [N,D] x [D,k] product, and only the
  -- targets' rows are gathered (no [N, k+1, D] copy of the table); the fused loss takes the
  -- two sets of logits as they are (no [N, k+1] logits, candidate ids or probabilities) and
  -- leaves a negative equal to the row's target out of that row's softmax
  local pos = rowdot(hs, K().embedding(E, tg + 1, 1))
  local negl = hs:matmul(K().embedding(E, negs + 1, 1):t())       -- [N, k]
  return K().sampled_softmax(pos, negl, tg, negs)
end

return M
