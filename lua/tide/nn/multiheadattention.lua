-- nn.MultiheadAttention(dim, heads[, {dropout = 0, bias = true}]): multi-head scaled
-- dot-product attention (Vaswani et al. 2017) with one fused [3D, D] input projection and an
-- output projection. forward(x [B,T,D], opts) is self-attention; opts:
--   causal = true        query i sees keys <= i
--   mask = [B,T] tensor  key padding mask, nonzero = real token
--   kv = [B,S,D] tensor  cross-attention: keys and values come from kv instead of x
--   weights = true       also return the attention weights [B,H,T,S] (for explanations)
--   residual = tensor    added to the output projection (fused: x + Dropout(proj))
--   out_dropout = p      dropout on the output projection before the residual (training)
local tide = require "tide"
local Module = require "tide.nn.module"
local T = tide.tensor

local MHA = Module:extend("MultiheadAttention")

function MHA:init(dim, heads, opts)
  opts = opts or {}
  assert(type(dim) == "number" and type(heads) == "number" and heads >= 1 and dim % heads == 0,
    "MultiheadAttention(dim, heads): dim must be divisible by heads")
  self.dim, self.heads, self.dropout = dim, heads, opts.dropout or 0
  -- Xavier-uniform over the stacked projection, as PyTorch's in_proj_weight
  local a = math.sqrt(6 / (dim + dim))
  self:param("in_proj_weight", T.zeros(3 * dim, dim):uniform_(-a, a))
  local bound = 1 / math.sqrt(dim)
  self:param("out_proj_weight", T.zeros(dim, dim):uniform_(-bound, bound))
  if opts.bias ~= false then
    self:param("in_proj_bias", T.zeros(3 * dim))
    self:param("out_proj_bias", T.zeros(dim))
  end
end

function MHA:forward(x, opts)
  opts = opts or {}
  local nn = tide.core.nn
  local p = self.training and self.dropout or 0
  local aopts = { causal = opts.causal, mask = opts.mask, dropout = p, weights = opts.weights }
  local out, w
  if opts.kv then
    local D, W, b = self.dim, self.in_proj_weight, self.in_proj_bias
    local q = nn.linear(x, W:narrow(1, 1, D), b and b:narrow(1, 1, D))
    local kv = nn.linear(opts.kv, W:narrow(1, D + 1, 2 * D), b and b:narrow(1, D + 1, 2 * D))
    out, w = nn.attention(q, kv:narrow(3, 1, D), kv:narrow(3, D + 1, D), self.heads, aopts)
  else
    local qkv = nn.linear(x, self.in_proj_weight, self.in_proj_bias)
    out, w = nn.attention_qkv(qkv, self.heads, aopts)
  end
  local pout = self.training and opts.out_dropout or 0
  out = nn.linear(out, self.out_proj_weight, self.out_proj_bias, nil,
                  { dropout = pout, residual = opts.residual })
  if opts.weights then return out, w end
  return out
end

function MHA:extra_repr() return ("%d, heads=%d, dropout=%g"):format(self.dim, self.heads, self.dropout) end

return MHA
