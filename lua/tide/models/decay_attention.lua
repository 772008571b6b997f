-- tide.models.decay_attention — decay-aware self-attention: SASRec whose attention logits are
-- biased by a learned function of the time gap between the query event and each earlier event,
-- one decay rate per head and block, from the tide.decay families:
--   exponential   logit += −λ_h Δ            (weight ∝ e^{−λΔ}: half-life ln 2 / λ)
--   power         logit += −λ_h log(1 + Δ)   (weight ∝ (1 + Δ)^{−λ}: half-life 2^{1/λ} − 1)
-- with Δ in `time_unit` seconds (default days) and λ_h = exp(θ_h) > 0 learned with everything
-- else (with rate_lr = 10 times the learning rate); heads start at half-lives spread
-- geometrically over [1, 64] units, so some attend to recent events and some to old ones. Related: TiSASRec (Li et al., WSDM 2020) learns interval
-- embeddings; a parametric decay per head is smaller and says how fast interest fades:
--   m:half_lives() -> {[block] = {half-life per head}} in time_unit.
-- Attention is written with autograd ops ([B,H,T,T] logits), fine for maxlen <= ~200.
--   local m = tide.models.decay_attention{dim = 64, heads = 2, family = "exponential"}
local nn = require "tide.nn"
local seq = require "tide.models.seq_common"

local M = seq.install({ kind = "decay_attention",
  defaults = { blocks = 2, heads = 2, family = "exponential", time_unit = 86400, rate_lr = 10 } })
M.uses_time = true

local Net = nn.Module:extend("DecayAttentionNet")

function Net:init(n_items, o)
  local T = require("tide").tensor
  assert(o.family == "exponential" or o.family == "power",
    "decay_attention: family must be 'exponential' or 'power', got " .. tostring(o.family))
  assert(o.dim % o.heads == 0, "decay_attention: dim must be divisible by heads")
  self.dim, self.heads, self.p, self.family = o.dim, o.heads, o.dropout, o.family
  self:add("emb", nn.Embedding(n_items + 1, o.dim, { padding_idx = 1 }))
  nn.init.xavier_normal(self.emb.weight)
  self.emb.weight:select(1, 1):fill(0)
  self:param("pos", nn.init.xavier_normal(T.zeros(o.maxlen, o.dim)))
  self.blocks = {}
  for b = 1, o.blocks do
    self.blocks[b] = self:add("block" .. b, nn.TransformerBlock(o.dim, o.heads, {
      ffn = o.dim, activation = "relu", dropout = o.dropout, attn_out_dropout = 0, eps = 1e-8,
      init = "xavier_normal", norm_first = true }))
    local th = {}
    for h = 1, o.heads do
      local hl = o.heads == 1 and 7 or 64 ^ ((h - 1) / (o.heads - 1))   -- 1 .. 64 units
      th[h] = o.family == "exponential" and math.log(math.log(2) / hl) or math.log(1 / (math.log(1 + hl) / math.log(2)))
    end
    self:param("log_rate" .. b, T.fromtable(th))
  end
  self:add("ln", nn.LayerNorm(o.dim, { eps = 1e-8 }))
end

-- additive mask [B,1,T,T]: 0 where query i may see key j (j <= i and j real, or j = i so a
-- padding query sees only itself, never a later event), else -1e9
local function mask_add(items)
  local T = require("tide").tensor
  local B, L = items:shape()[1], items:shape()[2]
  local r, c = T.arange(1, L + 1, 1):view({ 1, L, 1 }), T.arange(1, L + 1, 1):view({ 1, 1, L })
  local ok = r:ge(c):cast("f32") * items:gt(0):cast("f32"):view({ B, 1, L })
  ok = ok:maximum(r:eq(c):cast("f32"))
  return ((ok - 1) * 1e9):view({ B, 1, L, L })
end

-- gap feature [B,1,T,T]: Δ = t_i − t_j (>= 0), or log(1 + Δ) for the power family
local function gaps(self, times)
  local B, L = times:shape()[1], times:shape()[2]
  local d = (times:view({ B, L, 1 }) - times:view({ B, 1, L })):clamp(0, 1e30)
  if self.family == "power" then d = d:log1p() end
  return d:view({ B, 1, L, L })
end

local function attend(self, blk, b, x, madd, g, want)
  local K = require("tide").core.nn
  local B, L, D, H = x:shape()[1], x:shape()[2], self.dim, self.heads
  local dh = math.floor(D / H)
  local h = blk.ln1(x)
  local qkv = K.linear(h, blk.attn.in_proj_weight, blk.attn.in_proj_bias)
  local function heads(i) return qkv:narrow(3, (i - 1) * D + 1, D):contiguous():view({ B, L, H, dh }):permute(1, 3, 2, 4) end
  local q, k, v = heads(1), heads(2), heads(3)
  local rate = self["log_rate" .. b]:exp():view({ 1, H, 1, 1 })
  local logits = q:matmul(k:permute(1, 2, 4, 3)) * (1 / math.sqrt(dh)) - g * rate + madd
  local w = K.softmax(logits)
  local p = self.training and self.p or 0
  if p > 0 then w = K.dropout(w, p, true) end
  local o = w:matmul(v):permute(1, 3, 2, 4):contiguous():view({ B, L, D })
  x = K.linear(o, blk.attn.out_proj_weight, blk.attn.out_proj_bias, nil, { residual = x })
  return blk:ff(blk.ln2(x), x), want and w or nil
end

--- forward({items [B,T], times [B,T]}, {last = bool, weights = bool}) -> states (+ weights)
function Net:forward(inp, opts)
  opts = opts or {}
  local K = require("tide").core.nn
  local items = inp.items
  assert(inp.times, "decay_attention: the event table needs a time column")
  local L = items:shape()[2]
  local x = self.emb(items + 1) * math.sqrt(self.dim) + self.pos:narrow(1, self.pos:shape()[1] - L + 1, L)
  if self.training and self.p > 0 then x = K.dropout(x, self.p, true) end
  local madd, g = mask_add(items), gaps(self, inp.times)
  local ws = opts.weights and {} or nil
  for b, blk in ipairs(self.blocks) do
    local w
    x, w = attend(self, blk, b, x, madd, g, ws ~= nil)
    if ws then ws[b] = w end
  end
  x = self.ln(x)
  if opts.last then x = x:select(2, L) end
  return x, ws
end

function M:build() return Net(self.n_items, self) end

-- the decay rates learn with rate_lr x the learning rate: one scalar per head gets a weak,
-- averaged gradient, and at the base rate it barely leaves its initial value in a short run
function M:param_groups()
  local rates, rest = {}, {}
  for _, np in ipairs(self.net:named_parameters()) do
    if np[1]:find("^log_rate") then rates[#rates + 1] = np[2] else rest[#rest + 1] = np[2] end
  end
  return { { params = rest }, { params = rates, lr_scale = self.rate_lr, weight_decay = 0 } }
end

--- half_lives() -> {[block] = {per head}} in time_unit: the gap at which the learned bias
--- halves a key's attention weight relative to a gap of 0 (all else equal)
function M:half_lives()
  local out = {}
  for b = 1, self.blocks do
    local r = self.net["log_rate" .. b]:detach():exp():totable()
    out[b] = {}
    for h, lam in ipairs(r) do
      out[b][h] = self.family == "exponential" and math.log(2) / lam or 2 ^ (1 / lam) - 1
    end
  end
  return out
end

--- attention(users) -> {[block] = f32 [B, heads, T, T]} (tide.models.seq_common.attention)
M.attention = seq.attention

return M
