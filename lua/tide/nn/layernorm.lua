-- nn.LayerNorm(dim[, {eps = 1e-5, affine = true}]): normalises the last dim (Ba et al. 2016)
-- with the fused kernel tide.core.nn.layernorm; weight starts at 1, bias at 0.
local tide = require "tide"
local Module = require "tide.nn.module"
local T = tide.tensor

local LayerNorm = Module:extend("LayerNorm")

function LayerNorm:init(dim, opts)
  opts = opts or {}
  assert(type(dim) == "number" and dim >= 1, "LayerNorm(dim): dim must be a positive number")
  self.dim, self.eps = dim, opts.eps or 1e-5
  if opts.affine ~= false then
    self:param("weight", T.ones(dim))
    self:param("bias", T.zeros(dim))
  end
end

function LayerNorm:forward(x)
  return tide.core.nn.layernorm(x, self.weight, self.bias, self.eps)
end

function LayerNorm:extra_repr() return ("%d, eps=%g"):format(self.dim, self.eps) end

return LayerNorm
