-- test_seqrec_fixes.lua — the defects found while building SASRec by hand (issue 19), each
-- pinned: weighted-mean BCE, TransformerBlock options, per-position negatives, the profile
-- model's block-size dependence, per-user ranks from evaluate, candidate-only sampled scoring.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local gradcheck = require "gradcheck"
local U = require "decay_util"
local T, nn, K = tide.tensor, tide.nn, tide.core.nn

local tests = {}

local function softplus(x) return math.log(1 + math.exp(x)) end
local function sigmoid(x) return 1 / (1 + math.exp(-x)) end

function tests.bce_weighted_mean_divides_by_weight_sum()
  local x, y, w = { 1, -2, 3 }, { 1, 0, 1 }, { 1, 2, 0 }
  local lx = T.fromtable(x):requires_grad(true)
  local l = K.bce_with_logits(lx, T.fromtable(y), { weight = T.fromtable(w) })
  -- closed form: sum_i w_i (softplus(x_i) - x_i y_i) / sum_i w_i
  local num = 0
  for i = 1, 3 do num = num + w[i] * (softplus(x[i]) - x[i] * y[i]) end
  check.near(l:item(), num / 3, 1e-6, "mean over the weight sum (3), not the count")
  l:backward()
  local g = lx:grad():totable()
  for i = 1, 3 do check.near(g[i], w[i] * (sigmoid(x[i]) - y[i]) / 3, 1e-6, "d/dx_" .. i) end
  -- a 0/1 mask gives the mean over the kept elements
  local m = K.bce_with_logits(T.fromtable({ 0, 5 }), T.fromtable({ 1, 1 }), { weight = T.fromtable({ 1, 0 }) })
  check.near(m:item(), math.log(2), 1e-6, "masked mean")
  check.near(K.bce_with_logits(T.ones(2), T.ones(2), { weight = T.zeros(2) }):item(), 0, 0, "zero weights: 0")
  local wt, tt = T.rand(5), T.rand(5)
  gradcheck.check(function(a) return K.bce_with_logits(a, tt, { weight = wt }) end,
    { T.randn(5):requires_grad(true) }, { what = "bce weighted mean" })
end

function tests.transformer_block_options()
  T.manual_seed(4)
  local b = nn.TransformerBlock(8, 2, { eps = 1e-8, attn_out_dropout = 0, ffn_dropout = 0.3, init = "xavier_normal", ffn = 8 })
  check.eq(b.ln1.eps, 1e-8, "LayerNorm eps")
  check.eq(b.p_attn_out, 0, "attention output dropout")
  check.eq(b.p_ffn, 0.3, "ffn dropout")
  check.eq(b.ff1_bias:abs():sum():item(), 0, "xavier init zeroes biases")
  -- xavier normal: std sqrt(2 / (fan_in + fan_out)) = sqrt(2/16) for [8, 8]; 64 draws
  local w = b.ff1_weight
  local sd = math.sqrt((w * w):mean():item())
  check.truthy(sd > 0.2 and sd < 0.5, "xavier std " .. sd .. " near 0.354")
  check.errors(function() nn.TransformerBlock(8, 2, { init = "zeros" }) end, "init must be")
  check.errors(function() nn.TransformerBlock(8, 2, { attn_out_dropout = 1.5 }) end, "attn_out_dropout")
  -- no dropout on the attention output: in training mode with p = 0 everywhere but the
  -- attention weights' dropout also 0, train and eval outputs agree
  local c = nn.TransformerBlock(8, 2, { dropout = 0, ffn = 8, norm_first = false })
  local x = T.randn(2, 3, 8)
  c:train()
  local a1 = c(x, { causal = true })
  c:eval()
  check.all_near(a1, c(x, { causal = true }):totable(), 1e-6, "p = 0: train == eval")
end

function tests.batch_per_position_negatives()
  -- user 1: items 1 2 3; user 2: items 4 5; catalogue of 8
  local ev = U.events({ user = { 1, 1, 1, 2, 2 }, item = { 1, 2, 3, 4, 5 }, time = { 1, 2, 3, 1, 2 } })
  ev.n_items = 8
  local it = tide.batch.sequences(ev, { batch = 2, maxlen = 4, shift = true, negatives = 3, shuffle = false, n_items = 8 })
  local b = it()
  check.eq(#b.negatives:shape(), 3, "[B, maxlen, k]")
  local neg, tg = b.negatives:totable(), b.target:totable()
  local hist = { { [1] = true, [2] = true, [3] = true }, { [4] = true, [5] = true } }
  for r = 1, 2 do
    for t = 1, 4 do
      for k = 1, 3 do
        local v = neg[r][t][k]
        if tg[r][t] == 0 then check.eq(v, 0, "padding has no negative")
        else check.truthy(v >= 1 and v <= 8 and not hist[r][v], "negative " .. v .. " outside the history") end
      end
    end
  end
  local again = tide.batch.sequences(ev, { batch = 2, maxlen = 4, shift = true, negatives = 3, shuffle = false, n_items = 8 })()
  check.all_near(again.negatives, neg, 0, "seeded")
  check.errors(function() tide.batch.sequences(ev, { negatives = 1 }) end, "needs shift")
  check.errors(function() tide.batch.sequences(ev, { negatives = -1, shift = true }) end, "negatives must be")
end

function tests.bucketed_batches_cover_every_user_once()
  local c = { user = {}, item = {}, time = {} }
  local lens = {}
  for u = 1, 23 do
    lens[u] = 2 + (u * 7) % 9
    for j = 1, lens[u] do c.user[#c.user + 1], c.item[#c.item + 1], c.time[#c.time + 1] = u, (u + j) % 15 + 1, j end
  end
  local ev = U.events(c)
  local seen, widths = {}, {}
  for b in tide.batch.sequences(ev, { batch = 4, maxlen = 6, shift = true, bucket = true, seed = 2, epoch = 3 }) do
    local w = b.items:shape()[2]
    local longest = 0
    for _, u in ipairs(b.users:totable()) do
      check.truthy(not seen[u], "user " .. u .. " once")
      seen[u] = true
      longest = math.max(longest, math.min(lens[u] - 1, 6))
    end
    check.eq(w, longest, "batch width = its longest (shifted, capped) history")
    widths[#widths + 1] = w
  end
  local n = 0
  for _ in pairs(seen) do n = n + 1 end
  check.eq(n, 23, "every user")
  local sorted = true
  for i = 2, #widths do sorted = sorted and widths[i] >= widths[i - 1] end
  check.truthy(not sorted, "batch order is shuffled, not by length")
end

function tests.profile_scores_do_not_depend_on_block()
  local cols = { user = {}, item = {}, time = {}, category = {} }
  local cat = { 1, 1, 2, 2, 3, 3 }
  for u = 1, 6 do
    for j = 1, 3 do
      local i = (u + j * 2) % 6 + 1
      cols.user[#cols.user + 1], cols.item[#cols.item + 1] = u, i
      cols.time[#cols.time + 1], cols.category[#cols.category + 1] = (u * 3 + j) * 86400, cat[i]
    end
  end
  local ev = U.events(cols)
  local m = tide.models.profile{ half_life = 7, reference = "user" }:fit(ev)
  local all = m:score(T.arange(1, 7, 1, "i32"))
  for u = 1, 6 do
    check.all_near(m:score({ u }), { all:select(1, u):totable() }, 1e-6, "user " .. u .. " alone = in a block")
  end
end

-- a fixed-score "model" so ranks are computable by hand
local function table_model(S)
  local n_users, n_items = #S, #S[1]
  local full = T.fromtable(S)
  local m = { n_users = n_users, n_items = n_items }
  function m:score(users) return full:index_select(1, users) end
  return m, full
end

function tests.evaluate_per_user_ranks_and_lists()
  local S = { { 0.9, 0.8, 0.1, 0.5 }, { 0.1, 0.2, 0.3, 0.4 }, { 0.4, 0.3, 0.2, 0.1 } }
  local m = table_model(S)
  local train = U.events({ user = { 1, 2, 3 }, item = { 1, 4, 2 }, time = { 1, 1, 1 } })
  local test = U.events({ user = { 1, 2, 3 }, item = { 3, 1, 1 }, time = { 2, 2, 2 } })
  train.n_items, test.n_items = 4, 4
  local r = tide.metrics.evaluate(m, { train = train, test = test }, { k = { 2 }, per_user = true })
  -- user 1: candidates 2 (0.8), 4 (0.5), 3 (0.1) -> target 3 has rank 2 (0-based);
  -- user 2: 3 (0.3), 2 (0.2), 1 (0.1) -> rank 2; user 3: 1 (0.4), 3 (0.2), 4 -> rank 0
  check.all_near(r.ranks, { 2, 2, 0 }, 0, "per-user ranks")
  check.all_near(r.lists, { { 2, 4 }, { 3, 2 }, { 1, 3 } }, 0, "top-2 lists, seen excluded")
  check.near(r["HR@2"], 1 / 3, 1e-9, "HR@2 from the same ranks")
end

function tests.sampled_protocol_scores_only_candidates()
  -- the same ranks through score_items (candidates only) as through full score matrices
  T.manual_seed(9)
  local nu, ni = 40, 300
  local full = T.randn(nu, ni)
  local cols = { user = {}, item = {}, time = {} }
  local tc = { user = {}, item = {}, time = {} }
  for u = 1, nu do
    for j = 1, 5 do cols.user[#cols.user + 1], cols.item[#cols.item + 1], cols.time[#cols.time + 1] = u, (u * 7 + j * 13) % ni + 1, j end
    tc.user[#tc.user + 1], tc.item[#tc.item + 1], tc.time[#tc.time + 1] = u, (u * 11) % ni + 1, 9
  end
  local train, test = U.events(cols), U.events(tc)
  train.n_items, test.n_items = ni, ni
  local asked = 0
  local a = { n_users = nu, n_items = ni }
  function a:score(users) return full:index_select(1, users) end
  local b = { n_users = nu, n_items = ni }
  function b:score() error("the sampled protocol must not score the catalogue") end
  function b:score_items(users, cand)
    asked = asked + cand:numel()
    local rows = full:index_select(1, users)
    local c = cand:clamp(1, ni)
    return rows:gather(2, c)
  end
  local o = { k = { 10 }, protocol = "sampled", n_neg = 50, per_user = true, block = 16 }
  local ra = tide.metrics.evaluate(a, { train = train, test = test }, o)
  local rb = tide.metrics.evaluate(b, { train = train, test = test }, o)
  check.all_near(rb.ranks, ra.ranks:totable(), 0, "identical ranks")
  check.eq(asked, nu * 51, "1 + n_neg scores per target")
  check.near(rb["NDCG@10"], ra["NDCG@10"], 1e-12, "identical NDCG")
end

return tests
