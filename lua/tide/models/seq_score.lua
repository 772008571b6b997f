-- tide.models.seq_score — scoring of the sequential recommenders from the last position only:
-- states(users) runs the net without the tape in groups of similar history length;
-- item_table() is the shared item embedding; score (one sgemm), score_items (candidates of the
-- sampled protocol) and topk, fused in C (core.seqrec.rank_topk: states against the item table
-- tile by tile, seen items excluded, no [users x items] matrix). tide.metrics.evaluate ranks
-- every model with states + item_table the same fused way. Installed on each model class by
-- tide.models.seq_common.
local common = require "tide.models.common"

local M = {}

local function tide() return require "tide" end
local function seq() return require "tide.models.seq_common" end -- loaded first (it requires this)

-- Users are run through the net in groups of similar history length, each only as wide as
-- its longest history (left padding is masked), so the cost follows the real positions; a
-- group holds up to CELLS positions (users x width): large enough that the per-call overhead
-- of the Lua-driven net vanishes, small enough that its activations stay in cache.
local CELLS = 2048

--- states(users i32 [B]) -> f32 [B, D]: each user's state at the last position (what scores
--- the next item), without the tape; users with no history get the state of an all-padding row
function M.states(self, users)
  assert(self.net, self.name .. ": fit or load the model first")
  self.net:eval()
  local T = tide().tensor
  local off, B, L = self.seq.offsets, users:numel(), self.maxlen
  local ids, key = users:totable(), {}
  -- a model whose last-position forward shifts the row left to append a token (BERT4Rec's
  -- [MASK]) needs one more column, or the oldest item would be shifted out below maxlen
  local extra = self.appends_mask and 1 or 0
  for i, u in ipairs(ids) do
    if u < 1 or u > self.n_users then
      error(("%s: user %d outside 1..%d"):format(self.name, u, self.n_users), 3)
    end
    -- sort key: length first, then position (a plain number sorts faster than a comparator)
    key[i] = math.min(off:get(u + 1) - off:get(u) + extra, L) * (B + 1) + i
  end
  table.sort(key)
  return tide().no_grad(function()
    local out = nil
    local g = 1
    while g <= B do
      local rows, us = {}, {}
      local width = 1
      while g <= B do
        local i = key[g] % (B + 1)
        local w = math.max((key[g] - i) / (B + 1), 1)
        if #rows > 0 and (#rows + 1) * w > CELLS then break end
        rows[#rows + 1], us[#us + 1], width, g = i, ids[i], w, g + 1
      end
      local h = self.net(seq().inputs(self, T.fromtable(us, "i32"), false, width), { last = true })
      out = out or T.zeros(B, h:shape()[2])
      out:index_add_(1, T.fromtable(rows, "i32"), h)
    end
    return out or T.zeros(0, self.dim)
  end)
end

--- item_table() -> f32 [n_items, D]: row i scores item i (score(u, i) = state_u · row i); with
--- states() it lets tide.metrics.evaluate and topk rank fused in C (core.seqrec.rank_topk)
function M.item_table(self)
  assert(self.net, self.name .. ": fit or load the model first")
  -- item i is row i + 1 of the embedding (row 1 is padding; BERT4Rec's [MASK] row is past the end)
  return self.net.emb.weight:detach():narrow(1, 2, self.n_items)
end

--- rebase(off i64, ids) -> off - off[1], the ids it covers: a CSR slice starting at 0
function M.rebase(off, ids)
  local base = off:get(1)
  return off - base, ids:narrow(1, base + 1, off:get(off:numel()) - base)
end

--- score(users) -> f32 [#users, n_items]: state · item embedding (one sgemm)
function M.score(self, users)
  users = common.users(users)
  return M.states(self, users):matmul(M.item_table(self):t())
end

--- score_items(users i32 [N], cand i32 [N, C]) -> f32 [N, C] (0 ids score 0)
function M.score_items(self, users, cand)
  local h = M.states(self, common.users(users))
  return tide().core.seqrec.dot_rows(h, M.item_table(self), cand)
end

--- topk(users, k, {exclude_seen = true}) -> i32 [#users, k] best items first (0 = none), f32
--- [#users, k] their scores: fused in C, without a [users x items] score matrix
function M.topk(self, users, k, opts)
  users = common.users(users)
  if type(k) ~= "number" or k < 1 or k % 1 ~= 0 then error(self.name .. ":topk: k must be an integer >= 1", 2) end
  local so, s
  if not (opts and opts.exclude_seen == false) then
    so, s = M.rebase(common.rows(self.seen.off, self.seen.item, nil, users))
  end
  local _, items, vals = tide().core.seqrec.rank_topk(M.states(self, users), M.item_table(self), so, s, nil, nil, k)
  return items, vals
end

return M
