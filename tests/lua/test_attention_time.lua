-- test_attention_time.lua — the time-gap terms of tide.core.nn.attention / attention_qkv
-- (per-head decay bias -rate_h f(gap), TiSASRec interval embeddings ik / iv) from Lua:
-- forward against a plain-Lua double loop and against the autograd formulation
-- decay_attention used before the fused kernel ([B,H,T,T] logits with an additive mask),
-- finite-difference gradients w.r.t. qkv, rate, ik and iv through the tape, causal and
-- padding masks (changing the future or a padding slot changes nothing earlier), errors.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local gradcheck = require "gradcheck"
local T, K = tide.tensor, tide.core.nn

local tests = {}

local function randn(...) return T.randn(...):requires_grad(true) end
local MASK = { { 0, 0, 1, 1, 1 }, { 1, 1, 0, 1, 1 } }       -- left padding; a hole
local TIMES = { { 0, 0, 1.5, 1.5, 4.25 }, { 2, 2.5, 3, 7, 7.5 } }

local reference = require("attn_ref").attention

function tests.forward_matches_a_plain_loop()
  T.manual_seed(11)
  local qkv, mask, times = T.randn(2, 5, 12), T.fromtable(MASK, "i32"), T.fromtable(TIMES)
  local rate, ik, iv = T.fromtable({ 0.8, 0.3 }), T.randn(3, 4), T.randn(3, 4)
  for _, decay in ipairs({ "linear", "log1p" }) do
    local o = K.attention_qkv(qkv, 2, { causal = true, mask = mask, times = times, decay = decay, rate = rate })
    check.all_near(o, reference(qkv:totable(), 2, TIMES, MASK, decay, rate:totable()), 2e-5, decay)
  end
  local o = K.attention_qkv(qkv, 2, { causal = true, mask = mask, times = times, ik = ik, iv = iv })
  check.all_near(o, reference(qkv:totable(), 2, TIMES, MASK, nil, nil, ik:totable(), iv:totable()), 2e-5, "intervals")
  o = K.attention_qkv(qkv, 2, { causal = true, mask = mask, times = times, decay = "log1p", rate = rate, ik = ik, iv = iv })
  check.all_near(o, reference(qkv:totable(), 2, TIMES, MASK, "log1p", rate:totable(), ik:totable(), iv:totable()), 2e-5, "both")
end

-- the formulation of decay_attention before the fused kernel: autograd ops on [B,H,T,T]
local function autograd_decay(qkv, H, times, items, rate, power)
  local B, L, D = qkv:shape()[1], qkv:shape()[2], qkv:shape()[3] / 3
  local dh = D / H
  local r, c = T.arange(1, L + 1, 1):view({ 1, L, 1 }), T.arange(1, L + 1, 1):view({ 1, 1, L })
  local ok = r:ge(c):cast("f32") * items:gt(0):cast("f32"):view({ B, 1, L })
  ok = ok:maximum(r:eq(c):cast("f32"))
  local madd = ((ok - 1) * 1e9):view({ B, 1, L, L })
  local g = (times:view({ B, L, 1 }) - times:view({ B, 1, L })):clamp(0, 1e30)
  if power then g = g:log1p() end
  g = g:view({ B, 1, L, L })
  local function heads(i) return qkv:narrow(3, (i - 1) * D + 1, D):contiguous():view({ B, L, H, dh }):permute(1, 3, 2, 4) end
  local q, k, v = heads(1), heads(2), heads(3)
  local logits = q:matmul(k:permute(1, 2, 4, 3)) * (1 / math.sqrt(dh)) - g * rate:view({ 1, H, 1, 1 }) + madd
  return K.softmax(logits):matmul(v):permute(1, 3, 2, 4):contiguous():view({ B, L, D })
end

function tests.fused_equals_the_autograd_formulation_with_gradients()
  T.manual_seed(5)
  -- left padding only, as the models' batches: the old mask let a padding slot see itself
  local LEFT = { { 0, 0, 1, 1, 1 }, { 0, 1, 1, 1, 1 } }
  local qkv, items, times = T.randn(2, 5, 12), T.fromtable(LEFT, "i32"), T.fromtable(TIMES)
  for _, power in ipairs({ false, true }) do
    local th = T.fromtable({ -0.5, 0.7 }):requires_grad(true)
    local a, R = qkv:clone():requires_grad(true), T.randn(2, 5, 4)
    local ref = autograd_decay(a, 2, times, items, th:exp(), power)
    ref:mul(R):sum():backward()
    local ga, gt = a:grad():clone(), th:grad():clone()
    local b, th2 = qkv:clone():requires_grad(true), th:detach():clone():requires_grad(true)
    local o = K.attention_qkv(b, 2, { causal = true, mask = items, times = times,
      decay = power and "log1p" or "linear", rate = th2:exp() })
    o:mul(R):sum():backward()
    -- real query positions agree; padding queries attend to nothing in the fused op (0 rows)
    -- while the old mask let them see themselves, so compare where items > 0
    for bi = 1, 2 do
      for i = 1, 5 do
        if LEFT[bi][i] ~= 0 then
          check.all_near(o:select(1, bi):select(1, i), ref:select(1, bi):select(1, i):totable(), 2e-5, "output")
        else
          check.all_near(o:select(1, bi):select(1, i), { 0, 0, 0, 0 }, 0, "padding query")
        end
      end
    end
    -- gradients: R is zero on padding queries here so both formulations see the same loss
    local Rm = R * items:cast("f32"):view({ 2, 5, 1 })
    a, th = qkv:clone():requires_grad(true), th:detach():clone():requires_grad(true)
    autograd_decay(a, 2, times, items, th:exp(), power):mul(Rm):sum():backward()
    b, th2 = qkv:clone():requires_grad(true), th:detach():clone():requires_grad(true)
    K.attention_qkv(b, 2, { causal = true, mask = items, times = times, decay = power and "log1p" or "linear",
      rate = th2:exp() }):mul(Rm):sum():backward()
    check.all_near(b:grad(), a:grad():totable(), 2e-5, "d qkv")
    check.all_near(th2:grad(), th:grad():totable(), 2e-5, "d log-rate")
    check.truthy(ga and gt, "reference backward ran")
  end
end

-- the decay_attention net on the fused kernel against the same net written the old way
function tests.decay_attention_net_equals_the_autograd_formulation()
  local items = T.fromtable({ { 0, 0, 3, 4, 5 }, { 0, 7, 2, 9, 1 } }, "i32")
  for _, family in ipairs({ "exponential", "power" }) do
    T.manual_seed(4)
    local m = tide.models.decay_attention{ dim = 8, heads = 2, maxlen = 5, dropout = 0, family = family, norm = "pre" }
    m.n_items = 12
    local net = m:build()
    net:eval()
    local times = T.fromtable(TIMES)
    local fused = tide.no_grad(function() return net({ items = items, times = times }) end)
    local ref = tide.no_grad(function()
      local x = net.emb(items + 1) * math.sqrt(8) + net.pos
      for b, blk in ipairs(net.blocks) do
        local a = blk.attn
        local qkv = K.linear(blk.ln1(x), a.in_proj_weight, a.in_proj_bias)
        local o = autograd_decay(qkv, 2, times, items, net["log_rate" .. b]:exp(), family == "power")
        x = K.linear(o, a.out_proj_weight, a.out_proj_bias, nil, { residual = x })
        x = blk:ff(blk.ln2(x), x)
      end
      return net.ln(x)
    end)
    check.all_near(fused:narrow(2, 3, 3):select(1, 1), ref:narrow(2, 3, 3):select(1, 1):totable(), 2e-5, family)
    check.all_near(fused:narrow(2, 2, 4):select(1, 2), ref:narrow(2, 2, 4):select(1, 2):totable(), 2e-5, family)
  end
  check.errors(function() tide.models.decay_attention{ family = "weibull" } end, "family must be")
  check.errors(function() tide.models.decay_attention{ dim = 6, heads = 4 } end, "heads must be")
end

function tests.gradcheck_qkv_rate_intervals()
  T.manual_seed(3)
  local qkv, mask, times = randn(2, 5, 12), T.fromtable(MASK, "i32"), T.fromtable(TIMES)
  local rate, ik, iv = T.fromtable({ 0.4, 1.1 }):requires_grad(true), randn(4, 4), randn(4, 4)
  for _, decay in ipairs({ "linear", "log1p" }) do
    gradcheck.check(function(a, r) return K.attention_qkv(a, 2, { causal = true, mask = mask,
      times = times, decay = decay, rate = r }) end, { qkv, rate }, { what = "decay " .. decay })
  end
  gradcheck.check(function(a, x, y) return K.attention_qkv(a, 2, { causal = true, mask = mask,
    times = times, ik = x, iv = y }) end, { qkv, ik, iv }, { what = "interval embeddings" })
  -- cross-attention of the last query over every key (the models' scoring path)
  local q, k, v = randn(2, 1, 4), randn(2, 5, 4), randn(2, 5, 4)
  gradcheck.check(function(a, b, c, r, x, y) return K.attention(a, b, c, 2, { causal = true, mask = mask,
    times = times:narrow(2, 5, 1), key_times = times, decay = "log1p", rate = r, ik = x, iv = y }) end,
    { q, k, v, rate, ik, iv }, { what = "cross attention with key_times" })
end

function tests.no_peeking_and_padding_never_attended()
  T.manual_seed(9)
  local qkv, mask, times = T.randn(2, 5, 12), T.fromtable(MASK, "i32"), T.fromtable(TIMES)
  local o = { causal = true, mask = mask, times = times, decay = "linear", rate = T.fromtable({ 0.2, 0.9 }),
              ik = T.randn(3, 4), iv = T.randn(3, 4) }
  local base = K.attention_qkv(qkv, 2, o)
  -- change everything at position 4 (q, k, v and its time): positions 1..3 are unchanged
  local q2, t2 = qkv:clone(), times:clone()
  q2:narrow(2, 4, 1):fill(3)
  t2:narrow(2, 4, 1):fill(-50)
  o.times = t2
  local after = K.attention_qkv(q2, 2, o)
  check.all_near(after:narrow(2, 1, 3), base:narrow(2, 1, 3):totable(), 0, "earlier outputs")
  -- change a padding slot (row 1 position 2, row 2 position 3): nothing else changes
  local q3, t3 = qkv:clone(), times:clone()
  q3:select(1, 1):select(1, 2):fill(-7)
  q3:select(1, 2):select(1, 3):fill(5)
  t3:select(1, 2):select(1, 3):fill(1e6)
  o.times = t3
  local pad = K.attention_qkv(q3, 2, o)
  for bi, i in ipairs({ 2, 3 }) do
    for j = 1, 5 do
      if j ~= i then
        check.all_near(pad:select(1, bi):select(1, j), base:select(1, bi):select(1, j):totable(), 0, "padding slot")
      end
    end
  end
end

function tests.errors_name_the_option()
  local qkv, times = T.randn(2, 5, 12), T.fromtable(TIMES)
  local rate = T.fromtable({ 0.1, 0.2 })
  check.errors(function() K.attention_qkv(qkv, 2, { times = times, decay = "exp", rate = rate }) end,
    "option 'decay' must be \"linear\" or \"log1p\"")
  check.errors(function() K.attention_qkv(qkv, 2, { times = times }) end, "without a decay or interval")
  check.errors(function() K.attention_qkv(qkv, 2, { times = times, decay = "linear" }) end, "needs its rate")
  check.errors(function() K.attention_qkv(qkv, 2, { decay = "linear", rate = rate }) end, "event times")
  check.errors(function() K.attention_qkv(qkv, 2, { times = times, rate = "x", decay = "linear" }) end,
    "option 'rate' must be a tensor")
  check.errors(function() K.attention_qkv(qkv, 2, { times = T.fromtable({ { 0 / 0, 1, 2, 3, 4 }, { 1, 2, 3, 4, 5 } }),
    decay = "linear", rate = rate }) end, "times holds NaN")
  check.errors(function() K.attention_qkv(qkv, 2, { times = times, ik = T.randn(3, 4) }) end, "both ik and iv")
  check.errors(function() K.attention_qkv(qkv, 2, { times = times, decay = "linear", rate = T.fromtable({ 1, 2, 3 }) }) end,
    "nn.attention_qkv: attention: rate must have shape")
  check.errors(function() K.attention(T.randn(2, 1, 4), T.randn(2, 5, 4), T.randn(2, 5, 4), 2,
    { times = T.zeros(2, 1), decay = "linear", rate = rate }) end, "give key_times")
end

return tests
