-- test_nn_layers.lua — the fused nn kernels from Lua: finite-difference gradient checks
-- through the autograd tape (tests/lua/gradcheck.lua) for every kernel of tide.core.nn,
-- including masked / causal attention and padded GRU/LSTM, the layer modules built on them,
-- and error paths (wrong types and shapes give clear Lua errors).
local tide = require "tide"
local check = require "check"
local gradcheck = require "gradcheck"
local T, K, nn = tide.tensor, tide.core.nn, tide.nn

local tests = {}

local function randn(...) return T.randn(...):requires_grad(true) end
local function ids(t) return T.fromtable(t, "i32") end

-- dropout draws a fresh mask per call; reseeding inside fn makes every call identical
local function seeded(fn) return function(...) T.manual_seed(77); return fn(...) end end

local function no_nan(t, what)
  for _, v in ipairs(t:reshape(t:numel()):totable()) do check.truthy(v == v, what .. " has NaN") end
end

function tests.linear_gradcheck_all_activations()
  T.manual_seed(1)
  for _, act in ipairs({ false, "relu", "gelu", "tanh", "sigmoid" }) do
    local x, w, b = randn(2, 3, 4), randn(5, 4), randn(5)
    gradcheck.check(function(a, c, d) return K.linear(a, c, d, act or nil) end, { x, w, b },
      { what = "linear " .. tostring(act) })
  end
end

function tests.linear_fused_dropout_residual_gradcheck()
  T.manual_seed(2)
  local x, w, b, r = randn(3, 4), randn(6, 4), randn(6), randn(3, 6)
  gradcheck.check(seeded(function(a, c, d, e)
    return K.linear(a, c, d, "gelu", { dropout = 0.3, residual = e })
  end), { x, w, b, r }, { what = "linear+dropout+residual" })
end

function tests.embedding_gradcheck_and_padding()
  T.manual_seed(3)
  local w = randn(5, 3)
  local i = ids({ { 1, 3, 3 }, { 5, 2, 1 } })
  gradcheck.check(function(a) return K.embedding(a, i) end, { w }, { what = "embedding" })
  local y = K.embedding(w, i, 3)          -- id 3 is padding: read, but no gradient
  check.all_near(y:select(1, 1):select(1, 2), w:select(1, 3):detach():totable(), 0)
  y:sum():backward()
  check.all_near(w:grad():select(1, 3), { 0, 0, 0 }, 0, "padding row grad")
  check.all_near(w:grad():select(1, 1), { 2, 2, 2 }, 0, "row 1 used twice")
  check.all_near(w:grad():select(1, 4), { 0, 0, 0 }, 0, "untouched row")
  -- a second backward adds into the existing grad in place, touching only the looked-up rows
  K.embedding(w, ids({ 1, 4 })):sum():backward()
  check.all_near(w:grad():select(1, 1), { 3, 3, 3 }, 0, "row 1 accumulated")
  check.all_near(w:grad():select(1, 4), { 1, 1, 1 }, 0, "row 4 accumulated")
  check.all_near(w:grad():select(1, 5), { 1, 1, 1 }, 0, "row 5 kept")
  w:zero_grad()
  check.errors(function() K.embedding(w, ids({ 0, 1 })) end, "outside [1, 5]")
  check.errors(function() K.embedding(w, T.ones(2)) end, "i32 or i64")
end

function tests.layernorm_gradcheck()
  T.manual_seed(4)
  local x, g, b = randn(3, 5), randn(5), randn(5)
  gradcheck.check(function(a, c, d) return K.layernorm(a, c, d) end, { x, g, b }, { what = "layernorm" })
  gradcheck.check(function(a) return K.layernorm(a) end, { randn(2, 2, 4) }, { what = "layernorm no affine" })
  check.errors(function() K.layernorm(x, T.ones(4)) end, "weight must have shape [5]")
end

function tests.softmax_log_softmax_gradcheck()
  T.manual_seed(5)
  gradcheck.check(function(a) return K.softmax(a) end, { randn(3, 4) }, { what = "softmax" })
  gradcheck.check(function(a) return K.log_softmax(a) end, { randn(2, 2, 5) }, { what = "log_softmax" })
  local y = K.softmax(T.fromtable({ { 1000, 0 }, { -1000, -1000 } }))
  check.all_near(y, { { 1, 0 }, { 0.5, 0.5 } }, 1e-6)
end

function tests.dropout_gradcheck_and_modes()
  T.manual_seed(6)
  gradcheck.check(seeded(function(a) return K.dropout(a, 0.4) end), { randn(4, 8) }, { what = "dropout" })
  local x = T.ones(1000)
  T.manual_seed(9); local a = K.dropout(x, 0.5)
  T.manual_seed(9); local b = K.dropout(x, 0.5)
  check.all_near(a, b:totable(), 0, "same seed, same mask")
  local kept = a:sum():get() / 2
  check.truthy(kept > 400 and kept < 600, "about half kept")
  check.all_near(K.dropout(x, 0.5, false), x:totable(), 0, "eval mode is identity")
  check.errors(function() K.dropout(x, 1.5) end, "[0, 1)")
  local d = nn.Dropout(0.5)
  d:eval()
  check.eq(d(x), x, "eval Dropout returns its input")
end

function tests.attention_qkv_gradcheck_causal_and_padding()
  T.manual_seed(7)
  local qkv = randn(2, 4, 12)               -- D = 4, 2 heads of 2
  local mask = ids({ { 1, 1, 1, 0 }, { 0, 1, 1, 1 } })  -- right- and left-padded rows
  gradcheck.check(function(a) return K.attention_qkv(a, 2, { causal = true, mask = mask }) end,
    { qkv }, { what = "attention causal+mask" })
  gradcheck.check(function(a) return K.attention_qkv(a, 1) end, { qkv }, { what = "attention plain" })
  gradcheck.check(seeded(function(a) return K.attention_qkv(a, 2, { dropout = 0.3 }) end),
    { qkv }, { what = "attention dropout" })
  -- row 2, query 1 sees no key (causal + its key 1 is padding): zeros, never NaN
  local out, w = K.attention_qkv(qkv, 2, { causal = true, mask = mask, weights = true })
  no_nan(out, "attention output")
  check.all_near(out:select(1, 2):select(1, 1), { 0, 0, 0, 0 }, 0)
  check.eq(#w:shape(), 4, "weights are [B,H,T,S]")
  local s = w:select(1, 1):select(1, 2):select(1, 3):sum():get()
  check.near(s, 1, 1e-5, "a visible row sums to 1")
end

function tests.attention_cross_gradcheck()
  T.manual_seed(8)
  local q, k, v = randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 4)
  local mask = ids({ { 1, 1, 1, 1, 0 }, { 1, 0, 1, 1, 1 } })
  gradcheck.check(function(a, b, c) return K.attention(a, b, c, 2, { mask = mask }) end,
    { q, k, v }, { what = "cross attention" })
  check.errors(function() K.attention(q, k, v, 3) end, "divisible")
  check.errors(function() K.attention(q, k, v, 2, { mask = ids({ 1, 1 }) }) end, "mask must have shape [2,5]")
  check.errors(function() K.attention(q, k, v, 2, { causal = "yes" }) end, "'causal' must be a boolean")
  check.errors(function() K.attention(q, k, "v", 2) end, "expected tensor")
end

function tests.gru_lstm_gradcheck_padded()
  T.manual_seed(9)
  local B, L, I, H = 3, 4, 3, 2
  local x, h0, c0 = randn(B, L, I), randn(B, H), randn(B, H)
  local right = { lengths = ids({ 4, 2, 1 }) }
  local left = { lengths = ids({ 4, 2, 3 }), left = true }
  for _, g in ipairs({ 3, 4 }) do
    local wih, whh, bih, bhh = randn(g * H, I), randn(g * H, H), randn(g * H), randn(g * H)
    local kern = g == 3 and K.gru or K.lstm
    for _, opts in ipairs({ right, left }) do
      local o = { lengths = opts.lengths, left = opts.left, h0 = h0, c0 = g == 4 and c0 or nil }
      gradcheck.check(function(a, b, c, d, e, f, hh, cc)
        return kern(a, b, c, d, e, o)
      end, { x, wih, whh, bih, bhh, h0, g == 4 and c0 or nil },
        { what = (g == 3 and "gru" or "lstm") .. (opts.left and " left" or " right") })
    end
  end
  -- LuaJIT traces compiled in these loops keep the option tables (and through them tensors)
  -- alive as trace constants; the runner exits without closing the state, so LeakSanitizer
  -- would report them. Dropping the traces lets the next collection free them.
  if jit then jit.flush() end
end

function tests.gru_module_final_state_and_padding()
  T.manual_seed(10)
  local gru = nn.GRU(3, 4)
  check.eq(gru:num_parameters(), 12 * 3 + 12 * 4 + 12 + 12, "GRU parameter count (3H x in, 3H x H, 2 biases)")
  local x = T.randn(2, 5, 3)
  local out, h = gru(x, { lengths = ids({ 5, 2 }) })
  check.all_near(h:select(1, 2), out:select(1, 2):select(1, 2):totable(), 0, "right-padded row carries its state")
  local lstm = nn.LSTM(3, 4)
  local o2, h2 = lstm(x, { mask = ids({ { 0, 0, 1, 1, 1 }, { 1, 1, 1, 1, 1 } }) })
  check.all_near(o2:select(1, 1):select(1, 1), { 0, 0, 0, 0 }, 0, "left padding before the first token keeps h0 = 0")
  check.eq(h2:shape()[2], 4)
  check.errors(function() K.gru(x, gru.w_ih, gru.w_hh, nil, nil, { mask = ids({ 1, 1 }) }) end, "mask")
  check.errors(function() K.gru(x, gru.w_hh, gru.w_hh) end, "w_ih")
  check.errors(function() K.gru(x, gru.w_ih, gru.w_hh, nil, nil, { lengths = ids({ 9, 1 }) }) end, "length 9")
  check.errors(function() K.gru(x, gru.w_ih, gru.w_hh, nil, nil, { mask = x, lengths = x }) end, "not both")
end

function tests.conv1d_and_max_over_time_gradcheck()
  T.manual_seed(11)
  local x, w, b = randn(2, 5, 3), randn(4, 2, 3), randn(4)
  gradcheck.check(function(a, c, d) return K.conv1d(a, c, d, 1) end, { x, w, b }, { what = "conv1d pad 1" })
  gradcheck.check(function(a) return K.conv1d(a, w, nil) end, { x }, { what = "conv1d valid" })
  local mask = ids({ { 1, 1, 1, 0, 0 }, { 1, 1, 1, 1, 1 } })
  gradcheck.check(function(a) return K.max_over_time(a, mask) end, { x }, { what = "max_over_time" })
  local conv = nn.Conv1d(3, 4, 3, { pad = 1 })
  check.eq(conv(x):shape()[2], 5, "same-length output with pad 1")
  check.errors(function() K.conv1d(x, T.ones(4, 9, 3)) end, "no output")
  check.errors(function() K.conv1d(x, T.ones(4, 2, 2)) end, "weight [Cout,K,Cin]")
end

function tests.losses_gradcheck()
  T.manual_seed(12)
  local logits, target = randn(6), T.rand(6):requires_grad(true)
  gradcheck.check(function(a, b) return K.bce_with_logits(a, b) end, { logits, target }, { what = "bce" })
  local wt, tt = T.rand(6), target:detach()
  gradcheck.check(function(a) return K.bce_with_logits(a, tt, { weight = wt, reduction = "sum" }) end,
    { logits }, { what = "bce weighted" })
  local p, t = randn(2, 3), randn(2, 3)
  gradcheck.check(function(a, b) return K.mse(a, b, { reduction = "none" }) end, { p, t }, { what = "mse" })
  local pos, neg = randn(3), randn(3, 2)
  gradcheck.check(function(a, b) return K.bpr(a, b) end, { pos, neg }, { what = "bpr" })
  local l = randn(4, 5)
  local y = ids({ 2, 0, 5, 1 })
  gradcheck.check(function(a) return K.cross_entropy(a, y, { ignore_index = 0 }) end, { l }, { what = "ce ignore" })
  local cand = ids({ { 9, 4, 7, 4, 1 }, { 2, 3, 4, 5, 6 }, { 1, 1, 8, 8, 8 }, { 5, 4, 3, 2, 1 } })
  local yc = ids({ 4, 6, 8, 5 })
  gradcheck.check(function(a) return K.cross_entropy(a, yc, { candidates = cand }) end, { l }, { what = "ce sampled" })
  -- one candidate list shared by all rows, "sum" reduction
  local shared = ids({ 10, 20, 30, 40, 50 })
  local ys = ids({ 20, 50, 10, 30 })
  gradcheck.check(function(a) return K.cross_entropy(a, ys, { candidates = shared, reduction = "sum" }) end,
    { l }, { what = "ce shared candidates" })
  local v = K.cross_entropy(T.zeros(1, 5), ids({ 30 }), { candidates = shared })
  check.near(v:get(), math.log(5), 1e-6, "uniform over 5 candidates")
end

-- the fused shared-negative sampled softmax equals cross_entropy over [pos | neg] logits with
-- candidates {target} ∪ negatives (accidental hits left out), and its gradients pass finite
-- differences for both logit inputs
function tests.sampled_softmax_fused()
  T.manual_seed(21)
  local pos, neg = randn(5), randn(5, 4)
  local tg, negs = ids({ 7, 3, 9, 3, 2 }), ids({ 3, 8, 2, 5 }) -- rows 2, 4 and 5 hit a negative
  gradcheck.check(function(a, b) return K.sampled_softmax(a, b, tg, negs) end, { pos, neg }, { what = "sampled softmax" })
  local cand = T.zeros({ 5, 5 }, "i32")
  cand:narrow(2, 1, 1):copy(tg:view({ 5, 1 }))
  cand:narrow(2, 2, 4):copy(negs:view({ 1, 4 }):expand({ 5, 4 }))
  local ref = K.cross_entropy(T.cat({ pos:detach():view({ 5, 1 }), neg:detach() }, 2), tg, { candidates = cand })
  check.near(K.sampled_softmax(pos, neg, tg, negs):get(), ref:get(), 1e-6, "= cross_entropy with candidates")
  -- closed form: row 1 sees its target and 4 negatives, all logits 0 -> log 5; a hit row log 4
  local z = K.sampled_softmax(T.zeros(2), T.zeros(2, 4), ids({ 1, 3 }), negs)
  check.near(z:get(), (math.log(5) + math.log(4)) / 2, 1e-6, "uniform logits, one accidental hit")
  check.near(K.sampled_softmax(T.fromtable({ 80 }), T.fromtable({ { -80, 0 } }), ids({ 1 }), ids({ 2, 3 })):get(),
    0, 1e-6, "a dominant target: loss 0, finite")
  check.errors(function() K.sampled_softmax(T.ones(2), T.ones(2, 3), T.ones(2), negs) end, "integer ids")
  check.errors(function() K.sampled_softmax(T.ones(2), T.ones(2, 3), ids({ 1, 2 }), negs) end, "want pos [N], neg [N,k]")
  check.errors(function() K.sampled_softmax(T.ones(3), T.ones(2, 4), ids({ 1, 2 }), negs) end, "want pos [N], neg [N,k]")
end

function tests.loss_values_and_stability()
  local v = K.bce_with_logits(T.fromtable({ 100, -100, 0 }), T.fromtable({ 0, 1, 1 }), { reduction = "none" })
  check.all_near(v, { 100, 100, math.log(2) }, 1e-5, "bce extremes are finite")
  local ce = K.cross_entropy(T.fromtable({ { 0, 0, 0, 0 } }), ids({ 3 }))
  check.near(ce:get(), math.log(4), 1e-6, "uniform CE = log C")
  check.near(K.bpr(T.fromtable({ 0 }), T.fromtable({ 0 })):get(), math.log(2), 1e-6, "bpr at 0")
  check.near(K.mse(T.fromtable({ 1, 2 }), T.fromtable({ 0, 0 })):get(), 2.5, 1e-6, "mse mean")
  check.near(K.cross_entropy(T.fromtable({ { 1, 2 } }), ids({ 0 }), { ignore_index = 0 }):get(), 0, 0,
    "all ignored -> 0")
  check.errors(function() K.cross_entropy(T.ones(2, 3), T.ones(2)) end, "integer ids")
  check.errors(function() K.cross_entropy(T.ones(2, 3), ids({ 1, 4 })) end, "outside [1, 3]")
  check.errors(function() K.mse(T.ones(2), T.ones(3)) end, "same shape")
  check.errors(function() K.mse(T.ones(2), T.ones(2), { reduction = "avg" }) end, "reduction")
  check.errors(function() K.bce_with_logits(T.ones(2), T.ones(2), 5) end, "options")
end

function tests.transformer_block_gradcheck_pre_and_post_norm()
  T.manual_seed(13)
  for _, nf in ipairs({ true, false }) do
    local blk = nn.TransformerBlock(4, 2, { ffn = 8, dropout = 0.2, norm_first = nf })
    local x = randn(2, 3, 4)
    local mask = ids({ { 1, 1, 0 }, { 1, 1, 1 } })
    local ps = { x }
    for _, p in ipairs(blk:parameters()) do ps[#ps + 1] = p end
    gradcheck.check(seeded(function(a) return blk(a, { mask = mask, causal = true }) end), ps,
      { what = "TransformerBlock " .. (nf and "pre-norm" or "post-norm") })
    blk:eval()
    local y1, y2 = blk(x, { mask = mask }), blk(x, { mask = mask })
    check.all_near(y1, y2:totable(), 0, "eval mode is deterministic")
    local y3, w = blk(x, { mask = mask, weights = true })
    check.all_near(y3, y1:totable(), 0, "asking for weights does not change the output")
    check.eq(table.concat(w:shape(), ","), "2,2,3,3", "attention map shape")
  end
end

function tests.multihead_attention_module()
  T.manual_seed(14)
  local mha = nn.MultiheadAttention(4, 2)
  check.eq(mha:num_parameters(), 3 * 16 + 12 + 16 + 4, "MHA parameter count")
  local x, kv = randn(2, 3, 4), randn(2, 5, 4)
  local ps = { x, kv }
  for _, p in ipairs(mha:parameters()) do ps[#ps + 1] = p end
  gradcheck.check(function(a, b) return mha(a, { kv = b }) end, ps, { what = "MHA cross" })
  local y, w = mha(x, { causal = true, weights = true })
  check.eq(w:shape()[4], 3)
  check.near(w:select(1, 1):select(1, 1):select(1, 1):select(1, 2):get(), 0, 0, "causal: no look-ahead")
end

function tests.layer_modules_train_a_step()
  -- a tiny GRU + linear regressor; one SGD step lowers the loss (gradients flow end to end)
  T.manual_seed(15)
  local gru, ln = nn.GRU(2, 3), nn.LayerNorm(3)
  local w = randn(1, 3)
  local x, y = T.randn(4, 5, 2), T.randn(4, 1)
  local function loss()
    local _, h = gru(x)
    return K.mse(K.linear(ln(h), w), y)
  end
  local l0 = loss()
  l0:backward()
  local params = gru:parameters()
  params[#params + 1] = w
  for _, p in ipairs(ln:parameters()) do params[#params + 1] = p end
  tide.autograd.no_grad(function()
    for _, p in ipairs(params) do p:copy(p - p:grad() * 0.1) end
  end)
  check.truthy(loss():get() < l0:get(), "loss decreases after a step")
end

return tests
