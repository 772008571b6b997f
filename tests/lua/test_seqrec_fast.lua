-- test_seqrec_fast.lua — the inference fast paths of sequential scoring: the asynchronous fused
-- kernel (core.seqrec.rank_topk_async + wait) gives bitwise the synchronous results, also with
-- several runs in flight and with the states handed over in pieces (seqrec.ready); last_attention against softmax attention written out in Lua and
-- against the general kernel (nn.attention); SASRec's tape-free last-query forward against its
-- full forward (every position, then the last) and against the taped path, pre- and post-norm,
-- one and two heads, empty histories; blas_threads restores; bad arguments raise.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local U = require "decay_util"
local T = tide.tensor
local sr = tide.core.seqrec

local tests = {}

-- a random problem with seen lists, targets (one seen), ties between items 1 and 2
local function problem(B, I, D, seed)
  T.manual_seed(seed)
  local h, e = T.randn(B, D), T.randn(I, D)
  e:select(1, 2):copy(e:select(1, 1))
  local so, s, to, t = { 0 }, {}, { 0 }, {}
  for b = 1, B do
    for j = 1, b % 4 do s[#s + 1] = (b * 7 + j * 13) % I + 1 end
    so[#so + 1] = #s
    for j = 1, (b % 3 == 0) and 0 or (b % 3) do t[#t + 1] = (b * 11 + j * 5) % I + 1 end
    if b == 2 then t[#t + 1] = s[#s] end -- a seen target: a miss
    to[#to + 1] = #t
  end
  return h, e, T.fromtable(so, "i64"), T.fromtable(s, "i32"), T.fromtable(to, "i64"), T.fromtable(t, "i32")
end

function tests.async_equals_sync()
  local runs, want = {}, {}
  for i, sz in ipairs({ { 70, 300, 9 }, { 200, 1100, 50 }, { 3, 40, 1 } }) do
    local h, e, so, s, to, t = problem(sz[1], sz[2], sz[3], i)
    want[i] = { sr.rank_topk(h, e, so, s, to, t, 7) }
    runs[i] = sr.rank_topk_async(h, e, so, s, to, t, 7) -- three in flight at once
  end
  for i = 3, 1, -1 do -- waited for out of order
    local r, it, v = sr.wait(runs[i])
    check.all_near(r, want[i][1]:totable(), 0, "ranks of problem " .. i)
    check.all_near(it, want[i][2]:totable(), 0, "top-k items of problem " .. i)
    check.all_near(v, want[i][3]:totable(), 0, "top-k scores of problem " .. i)
  end
  check.errors(function() sr.wait(runs[1]) end, "already waited for")
  check.errors(function() sr.wait({}) end, "must be a handle from rank_topk_async")
  -- no targets, no lists: nils, as rank_topk
  local h, e = problem(5, 20, 4, 9)
  local r, it, v = sr.wait(sr.rank_topk_async(h, e, nil, nil, nil, nil, 0))
  check.eq(r == nil and it == nil and v == nil, true, "nothing asked, nothing returned")
  -- argument errors at the start, a NaN target score at the wait
  check.errors(function() sr.rank_topk_async(h, T.zeros(5, 3), nil, nil, nil, nil, 1) end, "h has 4 columns, table 3")
  local nan = T.zeros(1, 4):fill(0 / 0)
  local run = sr.rank_topk_async(nan, e, nil, nil, T.fromtable({ 0, 1 }, "i64"), T.fromtable({ 2 }, "i32"), 1)
  check.errors(function() sr.wait(run) end, "is NaN")
  -- runs never waited for are joined when collected (their arguments stay alive until then)
  for i = 1, 4 do sr.rank_topk_async(T.randn(300, 8), T.randn(500, 8), nil, nil, nil, nil, 3) end
  collectgarbage(); collectgarbage()
end

-- states handed over in pieces (rank_topk_async(..., ready) + ready): the same bits as all at
-- once, whatever the pieces; waiting before every state is in, or bad counts, raise
function tests.streamed_states_equal_sync()
  local h, e, so, s, to, t = problem(200, 1100, 50, 4)
  local want = { sr.rank_topk(h, e, so, s, to, t, 5) }
  for _, pieces in ipairs({ { 0, 1, 64, 65, 200 }, { 0, 200 }, { 130, 131, 199, 200 } }) do
    local buf = T.zeros(200, 50)
    buf:narrow(1, 1, pieces[1] > 0 and pieces[1] or 1):copy(h:narrow(1, 1, pieces[1] > 0 and pieces[1] or 1))
    local run = sr.rank_topk_async(buf, e, so, s, to, t, 5, pieces[1])
    for q = 2, #pieces do
      local a, b = pieces[q - 1], pieces[q]
      if b > a then buf:narrow(1, a + 1, b - a):copy(h:narrow(1, a + 1, b - a)) end
      sr.ready(run, b)
    end
    local r, it, v = sr.wait(run)
    check.all_near(r, want[1]:totable(), 0, "streamed ranks")
    check.all_near(it, want[2]:totable(), 0, "streamed top-k items")
    check.all_near(v, want[3]:totable(), 0, "streamed top-k scores")
  end
  local buf = T.zeros(200, 50)
  local run = sr.rank_topk_async(buf, e, so, s, to, t, 5, 10)
  check.errors(function() sr.ready(run, 9) end, "ready must grow within [10, 200], got 9")
  check.errors(function() sr.ready(run, 201) end, "ready must grow")
  check.errors(function() sr.ready(run, "x") end, "n (argument #2) must be an integer")
  sr.ready(run, 100)
  check.errors(function() sr.wait(run) end, "waited with the states of 100 of 200 users")
  check.errors(function() sr.ready(run, 200) end, "already waited for")
  check.errors(function() sr.ready({}, 1) end, "must be a handle from rank_topk_async")
  check.errors(function() sr.rank_topk_async(buf, e, so, s, to, t, 5, 201) end, "ready must be in 0..200")
  check.errors(function() sr.rank_topk_async(buf, e, so, s, to, t, 5, -1) end, "ready must be in 0..200")
  check.errors(function() sr.rank_topk_async(h:t():t():narrow(2, 1, 49), e:narrow(2, 1, 49), so, s, to, t, 5, 0) end,
               "with ready, h must be a contiguous f32 tensor")
  -- a run left unfinished is stopped when collected (its threads do not wait forever)
  sr.rank_topk_async(T.zeros(200, 50), e, so, s, to, t, 5, 3)
  collectgarbage(); collectgarbage()
end

-- attention of one query per row written out: softmax over the visible keys of q·k/sqrt(dh)
local function attention_ref(q, kv, mask, H)
  local qt, kvt, mt = q:totable(), kv:totable(), mask and mask:totable()
  local B, S, D = #kvt, #kvt[1], #qt[1]
  local dh, out = D / H, {}
  for b = 1, B do
    out[b] = {}
    for h = 0, H - 1 do
      local sc, mx = {}, -math.huge
      for j = 1, S do
        local s = 0
        for c = 1, dh do s = s + qt[b][h * dh + c] * kvt[b][j][h * dh + c] end
        sc[j] = s / math.sqrt(dh)
        if not mt or mt[b][j] ~= 0 then mx = math.max(mx, sc[j]) end
      end
      local z = 0
      for j = 1, S do sc[j] = (mt and mt[b][j] == 0) and 0 or math.exp(sc[j] - mx); z = z + sc[j] end
      for c = 1, dh do
        local o = 0
        for j = 1, S do if z > 0 then o = o + sc[j] / z * kvt[b][j][D + h * dh + c] end end
        out[b][h * dh + c] = o
      end
    end
  end
  return out
end

function tests.last_attention_matches_reference_and_general_kernel()
  T.manual_seed(3)
  for _, H in ipairs({ 1, 2 }) do
    local B, S, D = 4, 5, 6
    local q, kv = T.randn(B, D), T.randn(B, S, 2 * D)
    local mask = T.fromtable({ { 1, 1, 1, 1, 1 }, { 0, 0, 1, 1, 1 }, { 0, 0, 0, 0, 0 }, { 0, 1, 0, 1, 0 } }, "i32")
    local got = sr.last_attention(q, kv, mask, H)
    check.all_near(got, attention_ref(q, kv, mask, H), 1e-5, "heads " .. H .. " vs softmax written out")
    check.all_near(got:select(1, 3), { 0, 0, 0, 0, 0, 0 }, 0, "no visible key: zeros")
    local gen = tide.core.nn.attention(q:reshape({ B, 1, D }), kv:narrow(3, 1, D), kv:narrow(3, D + 1, D), H,
                                       { mask = mask })
    check.all_near(got, gen:reshape({ B, D }):totable(), 1e-6, "heads " .. H .. " vs nn.attention")
    check.all_near(sr.last_attention(q:reshape({ B, 1, D }), kv, nil, H), attention_ref(q, kv, nil, H), 1e-5,
                   "no mask, [B, 1, D] query")
  end
  local q, kv = T.randn(2, 4), T.randn(2, 3, 8)
  check.errors(function() sr.last_attention(q, kv, nil, 3) end, "heads must divide 4")
  check.errors(function() sr.last_attention(T.randn(2, 5), kv, nil, 1) end, "q must be [2, 4]")
  check.errors(function() sr.last_attention(q, T.randn(2, 3, 7), nil, 1) end, "kv must be [B, S, 2D]")
  check.errors(function() sr.last_attention(q, kv, T.ones(2, 2), 1) end, "mask must be [2, 3]")
  check.errors(function() sr.last_attention("q", kv, nil, 1) end, "must be a tensor")
end

function tests.embed_same_bits_as_gather_scale_add()
  T.manual_seed(4)
  local W, pos = T.randn(7, 5), T.randn(6, 5)
  local ids = T.fromtable({ { 0, 3, 6, 1 }, { 2, 2, 0, 5 } }, "i32")
  local got = sr.embed(W, ids, math.sqrt(5), pos)
  -- the taped path's three steps: gather (1-based rows), scale, add the last 4 positions
  local want = tide.core.nn.embedding(W, ids + 1) * math.sqrt(5) + pos:narrow(1, 3, 4)
  check.all_near(got, want:totable(), 0, "same bits")
  local wt, pt = W:totable(), pos:totable()
  local f = function(x) return tide.tensor.fromtable({ x }):get(1) end -- round to float
  check.eq(got:get(2, 4, 3), f(f(wt[6][3] * f(math.sqrt(5))) + pt[6][3]), "row 5 at the last position")
  check.errors(function() sr.embed(W, T.fromtable({ { 7 } }, "i32"), 1, pos) end, "embed row 7 outside [0, 7)")
  check.errors(function() sr.embed(W, T.zeros({ 1, 7 }, "i32"), 1, pos) end, "T in 1..6")
  check.errors(function() sr.embed(W, ids, 1, T.randn(6, 4)) end, "table has 5 columns, pos 4")
  check.errors(function() sr.embed(W, ids, "x", pos) end, "number expected")
end

-- users 1..9 with histories of 1..9 items (maxlen 6 cuts the longer ones), 10 and 11 none
local function log()
  local c = { user = {}, item = {}, time = {}, n_users = 11, n_items = 25 }
  for u = 1, 9 do
    for j = 1, u do
      c.user[#c.user + 1], c.item[#c.item + 1] = u, (u * 3 + j * 4) % 25 + 1
      c.time[#c.time + 1] = (u + j) * 3600
    end
  end
  return U.events(c)
end

function tests.sasrec_last_query_forward_equals_full_forward()
  local seq = require "tide.models.seq_common"
  local ev = log()
  for _, o in ipairs({ { norm = "post", heads = 1 }, { norm = "pre", heads = 2 }, { norm = "post", heads = 2, blocks = 1 } }) do
    local m = tide.models.sasrec({ dim = 8, maxlen = 6, epochs = 1, batch = 4, dropout = 0.2, seed = 2,
                                   norm = o.norm, heads = o.heads, blocks = o.blocks or 2 }):fit(ev)
    local what = ("%s-norm, %d heads"):format(o.norm, o.heads)
    local users = T.arange(1, 12, 1, "i32")
    local inp = seq.inputs(m, users, false)
    m.net:eval()
    local fast = tide.no_grad(function() return m.net(inp, { last = true }) end)
    local full = tide.no_grad(function() return m.net(inp) end):select(2, 6)
    check.all_near(fast, full:totable(), 1e-5, what .. ": last-query = full forward's last position")
    local taped = m.net(inp, { last = true }) -- grad mode on: the general attention path
    check.all_near(fast, taped:detach():totable(), 1e-5, what .. ": fast = taped")
    check.eq(taped:needs_grad(), true, what .. ": the taped path still records")
    check.all_near(m:states(users), fast:totable(), 1e-5, what .. ": states in length groups")
    -- training mode never takes the fast path: dropout still applies (two draws differ)
    m.net:train()
    local a = tide.no_grad(function() return m.net(inp, { last = true }) end)
    local b = tide.no_grad(function() return m.net(inp, { last = true }) end)
    check.truthy((a - b):abs():max():item() > 0, what .. ": training forward keeps its dropout")
    m.net:eval()
  end
end

function tests.blas_threads_restored_by_evaluate()
  local before = sr.blas_threads(0)
  local ev = log()
  local m = tide.models.sasrec({ dim = 8, maxlen = 6, epochs = 1, batch = 4, dropout = 0, seed = 1 }):fit(ev)
  local r = tide.metrics.evaluate(m, ev, { seen = {}, exclude_seen = false, k = { 5 }, block = 3 })
  check.eq(r.users, 9, "users with targets")
  check.eq(sr.blas_threads(0), before, "thread count restored")
  if before >= 1 then
    check.eq(sr.blas_threads(1), before, "returns the previous count")
    check.eq(sr.blas_threads(before), 1, "set")
  end
  check.errors(function() sr.blas_threads(-1) end, "n must be in 0..1024")
  check.errors(function() sr.blas_threads("x") end, "blas_threads")
end

return tests
