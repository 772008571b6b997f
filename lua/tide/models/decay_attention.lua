-- tide.models.decay_attention — decay-aware self-attention: SASRec whose attention logits are
-- biased by a learned function of the time gap between the query event and each earlier event,
-- one decay rate per head and block, from the tide.decay families:
--   exponential   logit += −λ_h Δ            (weight ∝ e^{−λΔ}: half-life ln 2 / λ)
--   power         logit += −λ_h log(1 + Δ)   (weight ∝ (1 + Δ)^{−λ}: half-life 2^{1/λ} − 1)
-- with Δ in `time_unit` seconds (default days) and λ_h = exp(θ_h) > 0 learned with everything
-- else (with rate_lr = 10 times the learning rate); heads start at half-lives spread
-- geometrically over [1, 64] units, so some attend to recent events and some to old ones.
-- tide.models.tisasrec (Li et al., WSDM 2020) learns interval embeddings instead; a parametric
-- decay per head is smaller and says how fast interest fades:
--   m:half_lives() -> {[block] = {half-life per head}} in time_unit.
-- Attention is the fused C kernel (core.nn.attention_qkv with times/decay/rate): the bias is
-- computed per (query, key) inside its tiles, so training stores no [B,H,T,T] tensor and the
-- memory is SASRec's. A padding query attends to nothing (its output is 0; real positions
-- never see padding), and scoring runs the last block for the last query only.
--   local m = tide.models.decay_attention{dim = 64, heads = 2, family = "exponential"}
local nn = require "tide.nn"
local seq = require "tide.models.seq_common"

local M = seq.install({ kind = "decay_attention",
  defaults = { blocks = 2, heads = 2, family = "exponential", time_unit = 86400, rate_lr = 10, norm = "post" },
  -- files saved before `norm` existed hold pre-norm nets
  legacy = { norm = "pre" } })
M.uses_time = true

--- new(opts) -> model; options: seq_common's plus blocks, heads, family ("exponential" or
--- "power"), time_unit (seconds per unit of the half-lives), rate_lr (learning-rate factor
--- of the decay rates), norm ("post", SASRec's block layout, or "pre"). Post-norm was chosen on
--- validation NDCG@10 at matched seeds 1 and 2 (tests/bench/quality_seqrec.lua): MovieLens
--- latest-small .0640 / .0579 against .0387 / .0545 pre-norm, the simulator .0415 / .0444
--- against .0410 / .0429
function M.new(opts)
  local self = seq.new(M, opts)
  if self.family ~= "exponential" and self.family ~= "power" then
    error("decay_attention: family must be 'exponential' or 'power', got " .. tostring(self.family), 2)
  end
  if self.heads < 1 or self.heads % 1 ~= 0 or self.dim % self.heads ~= 0 then
    error("decay_attention: heads must be an integer >= 1 dividing dim", 2)
  end
  if not (self.time_unit > 0) then error("decay_attention: option 'time_unit' must be > 0", 2) end
  if self.norm ~= "pre" and self.norm ~= "post" then
    error("decay_attention: norm must be 'pre' or 'post', got " .. tostring(self.norm), 2)
  end
  return self
end

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
      init = "xavier_normal", norm_first = o.norm ~= "post" }))
    local th = {}
    for h = 1, o.heads do
      local hl = o.heads == 1 and 7 or 64 ^ ((h - 1) / (o.heads - 1))   -- 1 .. 64 units
      th[h] = o.family == "exponential" and math.log(math.log(2) / hl) or math.log(1 / (math.log(1 + hl) / math.log(2)))
    end
    self:param("log_rate" .. b, T.fromtable(th))
  end
  self:add("ln", nn.LayerNorm(o.dim, { eps = 1e-8 }))
end

local DECAY = { exponential = "linear", power = "log1p" }

-- one block, pre-norm (x + f(LN(x))) or post-norm (LN(x + f(x)), SASRec's layout); with
-- last = true only the last query (it sees every key)
local function attend(self, blk, b, x, mask, times, want, last)
  local K = require("tide").core.nn
  local a, D = blk.attn, self.dim
  local h = blk.norm_first and blk.ln1(x) or x
  local o = { causal = true, mask = mask, dropout = self.training and self.p or 0, weights = want,
              times = times, decay = DECAY[self.family], rate = self["log_rate" .. b]:exp() }
  local w
  if last then
    local L = x:shape()[2]
    x, o.times, o.key_times = x:narrow(2, L, 1), times:narrow(2, L, 1), times
    local q = K.linear(h:narrow(2, L, 1), a.in_proj_weight:narrow(1, 1, D), a.in_proj_bias:narrow(1, 1, D))
    local kv = K.linear(h, a.in_proj_weight:narrow(1, D + 1, 2 * D), a.in_proj_bias:narrow(1, D + 1, 2 * D))
    h = K.attention(q, kv:narrow(3, 1, D), kv:narrow(3, D + 1, D), self.heads, o)
  else
    h, w = K.attention_qkv(K.linear(h, a.in_proj_weight, a.in_proj_bias), self.heads, o)
  end
  x = K.linear(h, a.out_proj_weight, a.out_proj_bias, nil, { residual = x })
  if not blk.norm_first then
    x = blk.ln1(x)
    return blk.ln2(blk:ff(x, x)), w
  end
  return blk:ff(blk.ln2(x), x), w
end

--- forward({items [B,T], times [B,T]}, {last = bool, weights = bool}) -> states [B,T,D] (or
--- [B,D] with last), plus per-block attention weights [B,H,T,T] with weights = true
function Net:forward(inp, opts)
  opts = opts or {}
  local K = require("tide").core.nn
  local items = inp.items
  assert(inp.times, "decay_attention: the event table needs a time column")
  local L = items:shape()[2]
  local x = self.emb(items + 1) * math.sqrt(self.dim) + self.pos:narrow(1, self.pos:shape()[1] - L + 1, L)
  if self.training and self.p > 0 then x = K.dropout(x, self.p, true) end
  local mask, ws = items:gt(0), opts.weights and {} or nil
  local last = opts.last and not ws
  for b, blk in ipairs(self.blocks) do
    local w
    x, w = attend(self, blk, b, x, mask, inp.times, ws ~= nil, last and b == #self.blocks)
    if ws then ws[b] = w end
  end
  x = self.ln(x)
  if last then return x:select(2, 1) end
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
