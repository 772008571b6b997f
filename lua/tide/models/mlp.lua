-- tide.models.mlp — the embedding + MLP reference for the sequential models: the state at
-- position t is an MLP of the mean embedding of the items up to t (a causal running mean, one
-- batched matmul with a lower-triangular averaging matrix), so it sees the history as a bag
-- with no order: what attention and recurrence add over it is what they learn from order.
--   local m = tide.models.mlp{dim = 64, hidden = 128}
local nn = require "tide.nn"
local seq = require "tide.models.seq_common"

local M = seq.install({ kind = "mlp", defaults = { hidden = 128 } })

local Net = nn.Module:extend("MLPNet")

function Net:init(n_items, o)
  self.p = o.dropout
  self:add("emb", nn.Embedding(n_items + 1, o.dim, { padding_idx = 1, std = 1 / math.sqrt(o.dim) }))
  self:add("mlp", nn.MLP{ sizes = { o.dim, o.hidden, o.dim }, activation = "relu" })
end

-- A[b, i, j] = 1/count(real items <= i) for real j <= i, else 0: running means by one matmul
local function averaging(items)
  local T = require("tide").tensor
  local B, L = items:shape()[1], items:shape()[2]
  local real = items:gt(0):cast("f32")                                     -- [B, L]
  local r, c = T.arange(1, L + 1, 1):view({ L, 1 }), T.arange(1, L + 1, 1):view({ 1, L })
  local tril = r:ge(c):cast("f32")
  local A = tril:view({ 1, L, L }) * real:view({ B, 1, L })
  return A / (A:sum(3, true) + 1e-9)
end

--- forward({items [B,T]}, {last = bool}) -> [B,T,D] (or [B,D] with last)
function Net:forward(inp, opts)
  local K = require("tide").core.nn
  local items = inp.items
  local x = self.emb(items + 1)
  if self.training and self.p > 0 then x = K.dropout(x, self.p, true) end
  local h
  if opts and opts.last then
    local real = items:gt(0):cast("f32")
    local Lx = items:shape()[2]
    local w = real / (real:sum(2, true) + 1e-9)
    h = w:view({ items:shape()[1], 1, Lx }):matmul(x):select(2, 1)         -- [B, D]
  else
    h = averaging(items):matmul(x)                                          -- [B, T, D]
  end
  return self.mlp(h) + h
end

function M:build() return Net(self.n_items, self) end

return M
