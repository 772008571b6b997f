-- tide.models.tisasrec — TiSASRec (Li, Wang & McAuley, "Time Interval Aware Self-Attention for
-- Sequential Recommendation", WSDM 2020): SASRec whose attention sees the time interval
-- between every query and key. Per user, times are rescaled by the user's smallest nonzero gap
-- between consecutive events and rounded, t' = round((t - t_first) / r_min) (§3.2: personalised
-- intervals), the interval of a pair is r_ij = min(|t'_i - t'_j|, time_span), and learned
-- interval embeddings (one table for keys, one for values, shared by the blocks) and absolute
-- position embeddings (again separate for keys and values) are added to the keys and values:
--   e_ij = q_i·(k_j + r^K_ij + p^K_j) / sqrt(d_h),   z_i = Σ_j softmax(e)_ij (v_j + r^V_ij + p^V_j)
-- The interval terms run inside the fused attention kernel (core.nn.attention with ik / iv),
-- so no [B,T,T,D] interval tensor exists (the reference PyTorch code builds two) and the
-- memory is SASRec's. Differences from the reference code, all deliberate: pre-norm blocks as
-- tide's SASRec (keys are normalised too), no dropout on the interval/position tables, r_min
-- is taken over the model's input window (the last maxlen events) instead of the whole
-- history (seq_common hands the net windows, not user ids), and consecutive gaps are rounded
-- rather than absolute times (see interval_times). personal = 0 uses rounded gaps in
-- time_unit instead. Times are f32 in time_unit (seq_common): gaps finer than ~1e-7 of the
-- log's span are not resolved.
--   local m = tide.models.tisasrec{dim = 50, blocks = 2, heads = 1, maxlen = 50, time_span = 256}
--   m:fit(split.train); m:score(users); m:topk(users, 10); m:save(path); tisasrec.load(path)
--   m:attention(users) -> per block [B, H, T, T] weights (interval terms included)
local nn = require "tide.nn"
local seq = require "tide.models.seq_common"

local M = seq.install({ kind = "tisasrec",
  defaults = { blocks = 2, heads = 1, time_span = 256, personal = 1, time_unit = 86400 } })
M.uses_time = true

--- new(opts) -> model; options: seq_common's plus blocks, heads, time_span (largest interval
--- bucket, integer >= 1), personal (1: intervals in units of the user's smallest gap, 0: in
--- time_unit seconds), time_unit (seconds per time unit, default a day)
function M.new(opts)
  local self = seq.new(M, opts)
  local function int(k, lo, hi)
    local v = self[k]
    if v % 1 ~= 0 or v < lo or (hi and v > hi) then
      error(("tisasrec: option '%s' must be an integer in [%d, %s], got %s"):format(k, lo, hi or "inf", tostring(v)), 3)
    end
  end
  int("time_span", 1, 2 ^ 24 - 1)
  int("personal", 0, 1)
  int("heads", 1)
  int("blocks", 1)
  if self.dim % self.heads ~= 0 then error("tisasrec: dim must be divisible by heads", 3) end
  if not (self.time_unit > 0) then error("tisasrec: option 'time_unit' must be > 0", 3) end
  return self
end

local Net = nn.Module:extend("TiSASRecNet")

function Net:init(n_items, o)
  local T = require("tide").tensor
  local I = nn.init
  self.dim, self.heads, self.p, self.personal, self.span = o.dim, o.heads, o.dropout, o.personal == 1, o.time_span
  self:add("emb", nn.Embedding(n_items + 1, o.dim, { padding_idx = 1 }))
  I.xavier_normal(self.emb.weight)
  self.emb.weight:select(1, 1):fill(0)
  for _, name in ipairs({ "pos_k", "pos_v" }) do self:param(name, I.xavier_normal(T.zeros(o.maxlen, o.dim))) end
  for _, name in ipairs({ "int_k", "int_v" }) do self:param(name, I.xavier_normal(T.zeros(o.time_span + 1, o.dim))) end
  self.blocks = {}
  for b = 1, o.blocks do
    self.blocks[b] = self:add("block" .. b, nn.TransformerBlock(o.dim, o.heads, {
      ffn = o.dim, activation = "relu", dropout = o.dropout, attn_out_dropout = 0, eps = 1e-8,
      init = "xavier_normal", norm_first = true }))
  end
  self:add("ln", nn.LayerNorm(o.dim, { eps = 1e-8 }))
end

-- t' per window row as the running sum of its consecutive gaps in units of r_min (the smallest
-- positive gap between consecutive real events, 1 when there is none, or 1 time unit when not
-- personal), each rounded and capped at time_span. For every pair, min(time_span, t'_i - t'_j)
-- is then the paper's clipped interval (when gaps are multiples of r_min; otherwise it rounds
-- each step instead of each time), and every value stays below maxlen * time_span, exact in
-- f32 however long the history. Left-padded windows: padding slots get 0 (never attended).
local function interval_times(items, times, personal, span)
  local td = require "tide"
  local T = td.tensor
  return td.no_grad(function()
    local B, L = items:shape()[1], items:shape()[2]
    if L == 1 then return T.zeros(B, 1) end
    local real = items:gt(0):cast("f32")
    local d = times:narrow(2, 2, L - 1) - times:narrow(2, 1, L - 1)
    local both = real:narrow(2, 2, L - 1) * real:narrow(2, 1, L - 1)
    local rmin = T.ones(B, 1)
    if personal then
      local BIG = 1e30
      local ok = d:gt(0):cast("f32") * both
      local m = (d * ok + (1 - ok) * BIG):min(2):view({ B, 1 })
      rmin = T.where(m:lt(BIG / 2), m, rmin)
    end
    local step = ((d / rmin):clamp(0, span) + 0.5):cast("i32"):cast("f32") * both
    return T.cat({ T.zeros(B, 1), step:cumsum(2) }, 2)
  end)
end
Net.interval_times = interval_times

-- one pre-norm block over keys/values with their position terms; last: the last query only;
-- want: also return the attention weights [B,H,T,T]
local function attend(self, blk, x, mask, tn, pk, pv, last, want)
  local K = require("tide").core.nn
  local a, D, L = blk.attn, self.dim, x:shape()[2]
  local W, bias = a.in_proj_weight, a.in_proj_bias
  local h = blk.ln1(x)
  local o = { causal = true, mask = mask, dropout = self.training and self.p or 0, times = tn,
              ik = self.int_k, iv = self.int_v, weights = want }
  local hq = h
  if last then x, hq, o.times, o.key_times = x:narrow(2, L, 1), h:narrow(2, L, 1), tn:narrow(2, L, 1), tn end
  local q = K.linear(hq, W:narrow(1, 1, D), bias:narrow(1, 1, D))
  local kv = K.linear(h, W:narrow(1, D + 1, 2 * D), bias:narrow(1, D + 1, 2 * D))
  local out, w = K.attention(q, kv:narrow(3, 1, D) + pk, kv:narrow(3, D + 1, D) + pv, self.heads, o)
  x = K.linear(out, a.out_proj_weight, a.out_proj_bias, nil, { residual = x })
  return blk:ff(blk.ln2(x), x), w
end

--- forward({items [B,T], times [B,T]}, {last = bool, weights = bool}) -> states [B,T,D] (or
--- [B,D] with last), plus per-block attention weights [B,H,T,T] with weights = true
function Net:forward(inp, opts)
  opts = opts or {}
  local K = require("tide").core.nn
  local items = inp.items
  assert(inp.times, "tisasrec: the event table needs a time column")
  local L = items:shape()[2]
  local x = self.emb(items + 1) * math.sqrt(self.dim)
  if self.training and self.p > 0 then x = K.dropout(x, self.p, true) end
  local n0 = self.pos_k:shape()[1] - L + 1
  local pk, pv = self.pos_k:narrow(1, n0, L), self.pos_v:narrow(1, n0, L)
  local mask, tn = items:gt(0), interval_times(items, inp.times, self.personal, self.span)
  local ws = opts.weights and {} or nil
  for b, blk in ipairs(self.blocks) do
    local w
    x, w = attend(self, blk, x, mask, tn, pk, pv, opts.last and not ws and b == #self.blocks, ws ~= nil)
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
