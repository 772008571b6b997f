-- test_tisasrec.lua — TiSASRec (tide.models.tisasrec) on a tiny timed log: the personalised
-- interval times against hand-worked values, shapes and the common interface, no peeking at
-- future items or their times, padding never attended, the intervals actually change the
-- states, the last-query scoring path, gradients (every parameter, finite differences on the
-- interval tables), determinism for a seed, exact save/load (also via tide.models.load and
-- the train config registry), option errors.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local gradcheck = require "gradcheck"
local U = require "decay_util"
local T = tide.tensor
local TiSAS = tide.models.tisasrec

local tests = {}

-- 8 users, 12 items: user u walks items u, u+1, ... with gaps of 1 or 2 days
local function log()
  local c = { user = {}, item = {}, time = {} }
  for u = 1, 8 do
    for j = 0, 5 + u % 3 do
      c.user[#c.user + 1], c.item[#c.item + 1], c.time[#c.time + 1] = u, (u + j - 1) % 12 + 1, (u * 3 + j * (1 + u % 2)) * 86400
    end
  end
  local ev = U.events(c)
  ev.n_items = 12
  return ev
end

local function tiny(extra)
  local o = { dim = 8, heads = 2, maxlen = 6, epochs = 2, batch = 4, dropout = 0, seed = 3, time_span = 4 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return TiSAS(o)
end

local function run(m, rows, times)
  m.net:eval()
  return tide.no_grad(function()
    return m.net({ items = T.fromtable(rows, "i32"), times = T.fromtable(times) })
  end)
end

function tests.personalised_interval_times_by_hand()
  local f = TiSAS.build(tiny({ n_items = 12 })).interval_times
  local items = T.fromtable({ { 1, 2, 3, 4, 5 }, { 0, 0, 7, 8, 9 }, { 0, 0, 0, 0, 3 }, { 1, 1, 1, 1, 1 } }, "i32")
  local times = T.fromtable({ { 10, 10, 12, 15, 16 },  -- gaps 0, 2, 3, 1: r_min 1
                              { 99, -5, 1.5, 3, 6 },   -- padding times ignored; gaps 1.5, 3: r_min 1.5
                              { 7, 7, 7, 7, 4 },       -- one real event
                              { 0, 0.5, 0.5, 1.75, 2 } }) -- r_min 0.25: steps 2, 0, 5 -> 4 (span), 1
  check.all_near(f(items, times, true, 4), { { 0, 0, 2, 5, 6 }, { 0, 0, 0, 1, 3 }, { 0, 0, 0, 0, 0 }, { 0, 2, 2, 6, 7 } }, 0, "t'")
  -- personal = 0: rounded gaps in time units
  check.all_near(f(items, times, false, 4), { { 0, 0, 2, 5, 6 }, { 0, 0, 0, 2, 5 }, { 0, 0, 0, 0, 0 }, { 0, 1, 1, 2, 2 } }, 0, "absolute")
  -- a long history with a tiny smallest gap: values stay small and exact (the gap of ~4000
  -- days is capped at the span, the ~1e-3-day gaps are one unit each)
  local long = f(T.fromtable({ { 1, 2, 3, 4 } }, "i32"), T.fromtable({ { 1000, 1000.001, 5000, 5000.001 } }), true, 256)
  check.all_near(long, { { 0, 1, 257, 258 } }, 0, "capped steps")
end

-- the net against the paper's formula: blocks rebuilt from the same weights, attention by the
-- plain-Lua reference over q, k + p^K, v + p^V with the interval tables and hand-given t'
function tests.forward_matches_the_paper_formula()
  local m = tiny({ n_items = 12 })
  T.manual_seed(8)
  local net = m:build()
  net:eval()
  local K, ref = tide.core.nn, require("attn_ref").attention
  local items = T.fromtable({ { 0, 0, 3, 4, 5, 6 }, { 1, 7, 2, 9, 1, 4 } }, "i32")
  local times = T.fromtable({ { 0, 0, 10, 10, 12, 15 }, { 0, 0.5, 0.5, 1.75, 2, 9 } })
  local tp = { { 0, 0, 0, 0, 1, 3 }, { 0, 2, 2, 6, 7, 11 } }      -- r_min 2 and 0.25, steps capped at 4
  local fused = tide.no_grad(function() return net({ items = items, times = times }) end)
  local mask = { { 0, 0, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1 } }
  local want = tide.no_grad(function()
    local x = net.emb(items + 1) * math.sqrt(8)
    for _, blk in ipairs(net.blocks) do
      local a, h = blk.attn, blk.ln1(x)
      local W, bias = a.in_proj_weight, a.in_proj_bias
      local function proj(n) return K.linear(h, W:narrow(1, n * 8 + 1, 8), bias:narrow(1, n * 8 + 1, 8)) end
      local qkv = T.cat({ proj(0), proj(1) + net.pos_k, proj(2) + net.pos_v }, 3)
      local o = T.fromtable(ref(qkv:totable(), 2, tp, mask, nil, nil, net.int_k:totable(), net.int_v:totable()))
      x = K.linear(o, a.out_proj_weight, a.out_proj_bias, nil, { residual = x })
      x = blk:ff(blk.ln2(x), x)
    end
    return net.ln(x)
  end)
  check.all_near(fused:select(1, 1):narrow(1, 3, 4), want:select(1, 1):narrow(1, 3, 4):totable(), 2e-5, "row 1")
  check.all_near(fused:select(1, 2), want:select(1, 2):totable(), 2e-5, "row 2")
end

function tests.shapes_and_interface()
  local m = tiny():fit(log())
  check.all_near(m:score({ 1, 2, 3 }):shape(), { 3, 12 }, 0, "score shape")
  check.all_near(m:topk({ 1, 2 }, 4):shape(), { 2, 4 }, 0, "topk shape")
  local s = m:score({ 1, 2 })
  local sc = m:score_items({ 1, 2 }, T.fromtable({ { 3, 4 }, { 5, 6 } }, "i32"))
  check.near(sc:get(2, 2), s:get(2, 6), 1e-5, "score_items = score")
  check.all_near(run(m, { { 0, 1, 2, 3, 4, 5 } }, { { 0, 1, 2, 3, 4, 5 } }):shape(), { 1, 6, 8 }, 0, "states")
  -- scoring's last-query path equals the full forward's last position
  local seqc = require "tide.models.seq_common"
  local users = T.fromtable({ 3, 1, 8, 2 }, "i32")
  local inp = seqc.inputs(m, users, false)
  local full = tide.no_grad(function() return m.net(inp) end)
  local last = tide.no_grad(function() return m.net(inp, { last = true }) end)
  check.all_near(last, full:select(2, full:shape()[2]):totable(), 1e-5, "last-only forward")
  check.all_near(seqc.states(m, users), full:select(2, full:shape()[2]):totable(), 1e-5, "grouped states")
end

function tests.attention_weights()
  local m = tiny():fit(log())
  local w = m:attention({ 1 })[2]:select(1, 1):select(1, 2)         -- block 2, head 2: [T, T]
  local L, hist = w:shape()[1], m.seq.offsets:get(2) - m.seq.offsets:get(1)
  local first = L - math.min(hist, L) + 1
  for i = first, L do
    local row, sum = w:select(1, i):totable(), 0
    for j = 1, L do
      if j > i or j < first then check.eq(row[j], 0, "future/padding key weight") end
      sum = sum + row[j]
    end
    check.near(sum, 1, 1e-5, "row sums to 1")
  end
end

function tests.one_event_windows()
  -- maxlen 1: every window is a single event, its interval table is all zero
  local m = tiny({ maxlen = 1, epochs = 1 }):fit(log())
  check.all_near(m:score({ 1, 2 }):shape(), { 2, 12 }, 0, "maxlen 1 scores")
end

function tests.no_peeking_and_padding_never_attended()
  local m = tiny():fit(log())
  local a = run(m, { { 0, 1, 2, 3, 4, 5 } }, { { 0, 1, 2, 4, 5, 6 } })
  local b = run(m, { { 0, 1, 2, 3, 9, 11 } }, { { 0, 1, 2, 4, 9, 40 } })
  check.all_near(b:narrow(2, 1, 4), a:narrow(2, 1, 4):totable(), 1e-6, "earlier outputs")
  check.truthy((b:narrow(2, 5, 2) - a:narrow(2, 5, 2)):abs():max():item() > 1e-6, "later outputs change")
  -- 1 or 3 padding slots (with arbitrary padding times): the same real positions
  local c = run(m, { { 0, 0, 0, 4, 5, 6 } }, { { 0, 0, 0, 1, 3, 4 } })
  local d = run(m, { { 0, 4, 5, 6 } }, { { 77, 1, 3, 4 } })
  check.all_near(d:narrow(2, 2, 3), c:narrow(2, 4, 3):totable(), 1e-5, "real positions")
  -- the intervals matter: the same items at other times give other states
  local e = run(m, { { 0, 0, 0, 4, 5, 6 } }, { { 0, 0, 0, 1, 2, 30 } })
  check.truthy((e:narrow(2, 6, 1) - c:narrow(2, 6, 1)):abs():max():item() > 1e-4, "intervals change the state")
end

function tests.gradients_reach_every_parameter_and_match_finite_differences()
  local m = tiny()
  m:set_history(log())
  T.manual_seed(1)
  m.net = m:build()
  local b = tide.batch.sequences(m.seq, { batch = 8, maxlen = 6, shift = true, negatives = 1, n_items = 12 })()
  b.inp = require("tide.models.seq_common").inputs(m, b.users, true)
  m:loss_fn(b):backward()
  for _, np in ipairs(m.net:named_parameters()) do
    local g = np[2]:grad()
    check.truthy(g and g:abs():sum():item() > 0, np[1] .. " has a gradient")
  end
  m.net:train()
  local inp = { items = T.fromtable({ { 0, 2, 3, 4 }, { 1, 5, 6, 7 } }, "i32"),
                times = T.fromtable({ { 0, 1, 4, 4 }, { 0, 2, 2.5, 9 } }) }
  local f = function() return m.net(inp):narrow(2, 2, 3) end
  for _, name in ipairs({ "int_k", "int_v", "pos_k" }) do
    gradcheck.check(f, { m.net[name] }, { what = name, atol = 2e-3, rtol = 2e-2 })
  end
end

function tests.deterministic_and_save_load_exact()
  local a, b = tiny():fit(log()), tiny():fit(log())
  local users = T.arange(1, 9, 1, "i32")
  local sa = a:score(users)
  check.all_near(b:score(users), sa:totable(), 0, "same seed, same scores")
  local path = os.tmpname()
  a:save(path)
  check.all_near(TiSAS.load(path):score(users), sa:totable(), 0, "reloaded scores")
  local c = tide.models.load(path)
  check.eq(c.name, "tisasrec", "tide.models.load kind")
  check.all_near(c:topk(users, 3), a:topk(users, 3):totable(), 0, "reloaded top-K")
  check.errors(function() tide.models.sasrec.load(path) end, "holds a 'tisasrec'")
  os.remove(path)
  check.eq(require("tide.train.config").check({ data = "x", model = "tisasrec" }).model, "tisasrec", "train config")
end

function tests.option_errors()
  check.errors(function() TiSAS{ time_span = 0 } end, "'time_span' must be an integer")
  check.errors(function() TiSAS{ time_span = 2.5 } end, "'time_span' must be an integer")
  check.errors(function() TiSAS{ personal = 2 } end, "'personal' must be an integer in [0, 1]")
  check.errors(function() TiSAS{ dim = 6, heads = 4 } end, "divisible by heads")
  check.errors(function() TiSAS{ time_unit = 0 } end, "'time_unit' must be > 0")
  check.errors(function() TiSAS{ intervals = 3 } end, "unknown option 'intervals'")
  local m = tiny()
  m:set_history(log())
  m.net = m:build()
  check.errors(function() m.net({ items = T.fromtable({ { 1, 2 } }, "i32") }) end, "needs a time column")
end

return tests
