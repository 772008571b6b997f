-- tide.models.sasrec — SASRec (Kang & McAuley, "Self-Attentive Sequential Recommendation",
-- ICDM 2018): item embeddings (scaled by sqrt(dim)) plus learned positions, causal
-- self-attention blocks, a final LayerNorm; the item table is shared between input and output,
-- so score(u, i) = h_u · e_i with h_u the state at the user's last position. Block layout of
-- the reference PyTorch port (pmixer/SASRec.pytorch): post-norm by default, LayerNorm eps 1e-8,
-- ReLU FFN of width dim, dropout on embeddings, attention weights and inside/after the FFN but
-- not on the attention output, Xavier-normal weights.
--   local m = tide.models.sasrec{dim = 50, blocks = 2, heads = 1, maxlen = 50, dropout = 0.5}
--   m:fit(split.train, {valid = split.valid}); m:score(users); m:topk(users, 10)
--   m:attention(users) -> per block [B, H, T, T] weights; m:save(path); sasrec.load(path)
local nn = require "tide.nn"
local seq = require "tide.models.seq_common"

local M = seq.install({ kind = "sasrec", defaults = { blocks = 2, heads = 1, norm = "post" } })

local Net = nn.Module:extend("SASRecNet")

function Net:init(n_items, o)
  local T = require("tide").tensor
  self.dim, self.p = o.dim, o.dropout
  self:add("emb", nn.Embedding(n_items + 1, o.dim, { padding_idx = 1 }))
  nn.init.xavier_normal(self.emb.weight)
  self.emb.weight:select(1, 1):fill(0)
  self:param("pos", nn.init.xavier_normal(T.zeros(o.maxlen, o.dim)))
  self.blocks = {}
  for b = 1, o.blocks do
    self.blocks[b] = self:add("block" .. b, nn.TransformerBlock(o.dim, o.heads, {
      ffn = o.dim, activation = "relu", dropout = o.dropout, attn_out_dropout = 0, eps = 1e-8,
      init = "xavier_normal", norm_first = o.norm == "pre", causal = true }))
  end
  self:add("ln", nn.LayerNorm(o.dim, { eps = 1e-8 }))
end

-- embedded input [B,T,D] and the key mask
function Net:embed(items)
  local tide = require "tide"
  local K = tide.core.nn
  if not self.training and not tide.autograd.is_grad_enabled() then -- scoring: one pass, same bits
    return tide.core.seqrec.embed(self.emb.weight, items, math.sqrt(self.dim), self.pos), items:gt(0)
  end
  local Tn = items:shape()[2]
  local x = self.emb(items + 1) * math.sqrt(self.dim) + self.pos:narrow(1, self.pos:shape()[1] - Tn + 1, Tn)
  if self.training and self.p > 0 then x = K.dropout(x, self.p, true) end
  return x, items:gt(0)
end

-- the last block for the last query only: it sees every key, so no causal mask is needed;
-- returns [B, D]. Without the tape (scoring) the attention of the single query runs in place
-- on the fused key/value projection (core.seqrec.last_attention) instead of the general
-- kernel, which copies keys and values and makes two sgemm calls per row.
local function last_query(blk, x, mask)
  local tide = require "tide"
  local Tn = x:shape()[2]
  if blk.training or tide.autograd.is_grad_enabled() then
    local q = x:narrow(2, Tn, 1)
    local h
    if blk.norm_first then
      h = blk.attn(blk.ln1(q), { kv = blk.ln1(x), mask = mask, residual = q })
      return blk:ff(blk.ln2(h), h):select(2, 1)
    end
    h = blk.ln1(blk.attn(q, { kv = x, mask = mask, residual = q }))
    return blk.ln2(blk:ff(h, h)):select(2, 1)
  end
  local K, a, B, D = tide.core.nn, blk.attn, x:shape()[1], x:shape()[3]
  -- the last position of every row: a gather of whole rows (a strided copy is 20x slower)
  local q = x:reshape({ B * Tn, D }):index_select(1, tide.tensor.arange(Tn, B * Tn + 1, Tn, "i32"))
  local xk = blk.norm_first and blk.ln1(x) or x
  local qk = blk.norm_first and blk.ln1(q) or q
  local W, b = a.in_proj_weight, a.in_proj_bias
  local qp = K.linear(qk, W:narrow(1, 1, D), b and b:narrow(1, 1, D))
  local kv = K.linear(xk, W:narrow(1, D + 1, 2 * D), b and b:narrow(1, D + 1, 2 * D))
  local o = tide.core.seqrec.last_attention(qp, kv, mask, a.heads)
  local h = K.linear(o, a.out_proj_weight, a.out_proj_bias, nil, { residual = q })
  if blk.norm_first then return blk:ff(blk.ln2(h), h) end
  h = blk.ln1(h)
  return blk.ln2(blk:ff(h, h))
end

--- forward({items [B,T]}, {last = bool, weights = bool}) -> [B,T,D] (or [B,D] with last),
--- plus a list of per-block attention weights [B,H,T,T] with weights = true
function Net:forward(inp, opts)
  opts = opts or {}
  local x, mask = self:embed(inp.items)
  local ws = opts.weights and {} or nil
  local n = #self.blocks
  for b = 1, n do
    if opts.last and b == n and not ws then
      return self.ln(last_query(self.blocks[b], x, mask))
    end
    local w
    x, w = self.blocks[b](x, { mask = mask, weights = opts.weights })
    if ws then ws[b] = w end
  end
  x = self.ln(x)
  if opts.last then x = x:select(2, x:shape()[2]) end
  return x, ws
end

function M:build() return Net(self.n_items, self) end

--- attention(users) -> {[block] = f32 [B, heads, T, T]} (tide.models.seq_common.attention)
M.attention = seq.attention

return M
