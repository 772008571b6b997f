-- nn.Linear(in, out[, {bias = true}]): y = x W^T + b over the last dim of x.
-- weight [out, in] and bias [out], both U(-1/sqrt(in), 1/sqrt(in)) as in torch/nn.
-- Uses the fused kernel tide.core.nn.linear when present, else matmul + add via autograd.
local tide = require "tide"
local Module = require "tide.nn.module"
local T = tide.tensor

local Linear = Module:extend("Linear")

function Linear:init(n_in, n_out, opts)
  opts = opts or {}
  assert(type(n_in) == "number" and type(n_out) == "number", "Linear(in, out): sizes must be numbers")
  self.n_in, self.n_out = n_in, n_out
  local bound = 1 / math.sqrt(n_in)
  self:param("weight", T.zeros(n_out, n_in):uniform_(-bound, bound))
  if opts.bias ~= false then self:param("bias", T.zeros(n_out):uniform_(-bound, bound)) end
end

function Linear:forward(x)
  local fused = tide.core.nn.linear
  if fused then return fused(x, self.weight, self.bias) end
  local y = x:matmul(self.weight:t())
  if self.bias then y = y + self.bias end
  return y
end

function Linear:extra_repr()
  return ("%d -> %d%s"):format(self.n_in, self.n_out, self.bias and "" or ", no bias")
end

return Linear
