-- nn.TransformerBlock(dim, heads[, opts]): one encoder block (Vaswani et al. 2017) of
-- self-attention and a position-wise feed-forward network, each wrapped in a residual
-- connection with layer norm and dropout. opts:
--   ffn = 4*dim          hidden width of the FFN
--   activation = "gelu"  or "relu" (fused into the first FFN linear)
--   dropout = 0.1        on attention weights, after attention and inside/after the FFN
--   norm_first = true    pre-norm (x + f(LN(x)), as GPT-2/SASRec); false: post-norm
--                        (LN(x + f(x)), the original Transformer)
--   causal = false       default causal masking (forward's opts.causal overrides)
--   attn_out_dropout = dropout   dropout on the attention output before its residual add (0:
--                        none, as the SASRec block, which drops only attention weights there)
--   ffn_dropout = dropout        dropout inside and after the FFN
--   eps = 1e-5           LayerNorm epsilon (SASRec uses 1e-8)
--   init = "uniform"     FFN and attention weights: "uniform" (PyTorch Linear defaults) or
--                        "xavier_normal" (the SASRec reference); biases start at 0 with it
-- forward(x [B,T,D], {mask = [B,T], causal = bool, weights = bool}) -> [B,T,D]
--   (and the attention weights [B,H,T,T] when weights = true, e.g. for attention maps)
local tide = require "tide"
local nn = require "tide.nn"
local Module = nn.Module
local T = tide.tensor

local Block = Module:extend("TransformerBlock")

function Block:init(dim, heads, opts)
  opts = opts or {}
  self.dim, self.heads = dim, heads
  self.ffn, self.p = opts.ffn or 4 * dim, opts.dropout or 0.1
  self.activation = opts.activation or "gelu"
  assert(self.activation == "gelu" or self.activation == "relu",
    "TransformerBlock: activation must be \"gelu\" or \"relu\"")
  self.norm_first = opts.norm_first ~= false
  self.causal = opts.causal or false
  local function prob(v, name)
    if v == nil then return self.p end
    assert(type(v) == "number" and v >= 0 and v < 1, "TransformerBlock: " .. name .. " must be in [0, 1)")
    return v
  end
  self.p_attn_out, self.p_ffn = prob(opts.attn_out_dropout, "attn_out_dropout"), prob(opts.ffn_dropout, "ffn_dropout")
  self.eps = opts.eps or 1e-5
  assert(type(self.eps) == "number" and self.eps > 0, "TransformerBlock: eps must be a number > 0")
  local init = opts.init or "uniform"
  assert(init == "uniform" or init == "xavier_normal",
    "TransformerBlock: init must be \"uniform\" or \"xavier_normal\", got " .. tostring(init))
  self:add("attn", nn.MultiheadAttention(dim, heads, { dropout = self.p }))
  self:add("ln1", nn.LayerNorm(dim, { eps = self.eps }))
  self:add("ln2", nn.LayerNorm(dim, { eps = self.eps }))
  local b1, b2 = 1 / math.sqrt(dim), 1 / math.sqrt(self.ffn)
  self:param("ff1_weight", T.zeros(self.ffn, dim):uniform_(-b1, b1))
  self:param("ff1_bias", T.zeros(self.ffn):uniform_(-b1, b1))
  self:param("ff2_weight", T.zeros(dim, self.ffn):uniform_(-b2, b2))
  self:param("ff2_bias", T.zeros(dim):uniform_(-b2, b2))
  if init == "xavier_normal" then
    local I = nn.init
    for _, w in ipairs({ self.ff1_weight, self.ff2_weight, self.attn.in_proj_weight, self.attn.out_proj_weight }) do
      I.xavier_normal(w)
    end
    for _, b in ipairs({ self.ff1_bias, self.ff2_bias, self.attn.in_proj_bias, self.attn.out_proj_bias }) do
      if b then b:fill(0) end
    end
  end
end

-- The dropouts and residual adds are fused into the linear kernels:
-- Linear(h, {dropout = p, residual = x}) computes x + Dropout(h W^T + b) in one pass.
function Block:ff(x, residual)
  local k = tide.core.nn
  local p = self.training and self.p_ffn or 0
  local h = k.linear(x, self.ff1_weight, self.ff1_bias, self.activation, { dropout = p })
  return k.linear(h, self.ff2_weight, self.ff2_bias, nil, { dropout = p, residual = residual })
end

function Block:forward(x, opts)
  opts = opts or {}
  local causal = opts.causal
  if causal == nil then causal = self.causal end
  local p = self.training and self.p_attn_out or 0
  local aopts = { mask = opts.mask, causal = causal, residual = x, out_dropout = p, weights = opts.weights }
  local w
  if self.norm_first then
    x, w = self.attn(self.ln1(x), aopts)
    x = self:ff(self.ln2(x), x)
  else
    x, w = self.attn(x, aopts)
    x = self.ln1(x)
    x = self.ln2(self:ff(x, x))
  end
  if opts.weights then return x, w end
  return x
end

function Block:extra_repr()
  return ("%d, heads=%d, ffn=%d, dropout=%g, %s, eps=%g"):format(self.dim, self.heads, self.ffn, self.p,
    self.norm_first and "pre-norm" or "post-norm", self.eps)
end

return Block
