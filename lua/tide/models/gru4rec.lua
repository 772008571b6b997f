-- tide.models.gru4rec — GRU4Rec (Hidasi et al., "Session-based Recommendations with Recurrent
-- Neural Networks", ICLR 2016; the per-position next-item training of Hidasi & Karatzoglou
-- 2018): item embeddings -> dropout -> one GRU layer (fused C kernel, engine/nn_gru.c) whose
-- state at each position predicts the next item against the shared item table. Left padding
-- is skipped by the kernel's mask (a padded step keeps the zero state).
--   local m = tide.models.gru4rec{dim = 64, maxlen = 50, loss = "sampled_softmax"}
local nn = require "tide.nn"
local seq = require "tide.models.seq_common"

local M = seq.install({ kind = "gru4rec", defaults = {} })

local Net = nn.Module:extend("GRU4RecNet")

function Net:init(n_items, o)
  self.p = o.dropout
  self:add("emb", nn.Embedding(n_items + 1, o.dim, { padding_idx = 1, std = 1 / math.sqrt(o.dim) }))
  self:add("gru", nn.GRU(o.dim, o.dim))
end

--- forward({items [B,T]}, {last = bool}) -> [B,T,D] states (or [B,D] with last)
function Net:forward(inp, opts)
  local K = require("tide").core.nn
  local x = self.emb(inp.items + 1)
  if self.training and self.p > 0 then x = K.dropout(x, self.p, true) end
  local out, hn = self.gru(x, { mask = inp.items:gt(0), left = true })
  if opts and opts.last then return hn end
  return out
end

function M:build() return Net(self.n_items, self) end

return M
