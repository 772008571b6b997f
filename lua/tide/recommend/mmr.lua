-- tide.recommend.mmr — Maximal Marginal Relevance re-ranking (Carbonell & Goldstein, "The use
-- of MMR, diversity-based reranking for reordering documents and producing summaries",
-- SIGIR 1998): pick greedily
--     argmax_{i ∈ R \ S} [ λ·rel(i) − (1 − λ)·max_{j ∈ S} sim(i, j) ]
-- over one user's candidates R, where rel is the combined score min-max normalised over R
-- (so λ weighs two quantities on [0, 1]) and S the items picked so far. λ = 1 is the plain
-- score order (ties: earlier candidate first, as in the unreranked order); smaller λ trades
-- relevance for lower intra-list similarity. Costs O(k·|R|) similarity evaluations.
local M = {}
local function T() return require("tide").tensor end

--- mmr.similarity(spec, rec, items) -> sim(a, b) for positions a, b of the array `items`:
--- spec = "category" (1 when both items share a category, else 0), an item-embedding tensor
--- [n_items, D] (cosine), or function(item_a, item_b) -> number
function M.similarity(spec, rec, items)
  if spec == "category" then
    local cat = rec.item_category
    local c = {}
    for i, it in ipairs(items) do c[i] = cat:get(it) end
    return function(a, b) return c[a] == c[b] and 1 or 0 end
  elseif type(spec) == "function" then
    return function(a, b)
      local s = spec(items[a], items[b])
      if type(s) ~= "number" or s ~= s then
        error(("recommend: mmr.similarity(%d, %d) returned %s, expected a number"):format(items[a], items[b], tostring(s)), 0)
      end
      return s
    end
  end
  -- embeddings: unit rows of the candidates; select asks for sim(·, b) with one b at a time
  -- (the item just picked), so one column E·e_b per pick: k matrix-vector products per user
  local E = spec:index_select(1, T().fromtable(items, "i32"))
  E = E / (E:square():sum(2, true):sqrt() + 1e-12)
  local col, colb
  return function(a, b)
    if b ~= colb then col, colb = E:matmul(E:narrow(1, b, 1):t()):view({ -1 }):totable(), b end
    return col[a]
  end
end

--- mmr.select(cands, k, lambda, sim) -> up to k entries of cands (array of {score=...},
--- in candidate order) in MMR order
function M.select(cands, k, lambda, sim)
  local n = #cands
  local lo, hi = math.huge, -math.huge
  for _, c in ipairs(cands) do lo = math.min(lo, c.score); hi = math.max(hi, c.score) end
  local span = hi - lo
  local rel, maxsim, taken, out = {}, {}, {}, {}
  for i, c in ipairs(cands) do rel[i] = span > 0 and (c.score - lo) / span or 0; maxsim[i] = 0 end
  for _ = 1, math.min(k, n) do
    local best, bv = nil, -math.huge
    for i = 1, n do
      if not taken[i] then
        local v = lambda * rel[i] - (1 - lambda) * maxsim[i]
        -- equal values: the higher raw score, then the earlier candidate (rounding in rel
        -- must not reorder distinct scores)
        if v > bv or (v == bv and cands[i].score > cands[best].score) then best, bv = i, v end
      end
    end
    taken[best] = true
    out[#out + 1] = cands[best]
    for i = 1, n do
      if not taken[i] then
        local s = sim(i, best)
        if s > maxsim[i] then maxsim[i] = s end
      end
    end
  end
  return out
end

return M
