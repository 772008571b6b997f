-- nn.Embedding(n, dim[, {padding_idx = i}]): ids (1-based, any shape) -> [ids..., dim].
-- weight [n, dim] ~ N(0, 1) as in torch/nn; the padding row (if any) starts at zero and gets
-- no gradient when the fused kernel tide.core.nn.embedding is present.
local tide = require "tide"
local Module = require "tide.nn.module"
local T = tide.tensor

local Embedding = Module:extend("Embedding")

function Embedding:init(n, dim, opts)
  opts = opts or {}
  assert(type(n) == "number" and type(dim) == "number", "Embedding(n, dim): sizes must be numbers")
  self.n, self.dim, self.padding_idx = n, dim, opts.padding_idx
  local w = T.zeros(n, dim):normal_(0, opts.std or 1)
  if self.padding_idx then w:select(1, self.padding_idx):fill(0) end
  self:param("weight", w)
end

function Embedding:forward(ids)
  local fused = tide.core.nn.embedding
  if fused then return fused(self.weight, ids, self.padding_idx) end
  local shape = ids:shape()
  local flat = ids:reshape(ids:numel())
  local rows = self.weight:index_select(1, flat)
  shape[#shape + 1] = self.dim
  return rows:reshape(shape)
end

function Embedding:extra_repr() return ("%d, %d"):format(self.n, self.dim) end

return Embedding
