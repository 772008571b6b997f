-- test_seqrec_models.lua — the sequential recommenders (SASRec, GRU4Rec, decay-aware
-- attention, BERT4Rec, embedding+MLP) on tiny logs: shapes, no peeking at future items,
-- padding never attended, gradients by finite differences, determinism for a seed, exact
-- save/load, attention weights, learned half-lives, option errors.
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local check = require "check"
local gradcheck = require "gradcheck"
local U = require "decay_util"
local T = tide.tensor

local tests = {}
local KINDS = { "sasrec", "gru4rec", "decay_attention", "bert4rec", "mlp" }
local CAUSAL = { sasrec = true, gru4rec = true, decay_attention = true, mlp = true }

-- 8 users, 12 items: user u walks items u, u+1, ... (mod 12) one day apart
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

local function tiny(kind, extra)
  local o = { dim = 8, maxlen = 6, epochs = 2, batch = 4, dropout = 0, seed = 3 }
  if kind == "bert4rec" then o.pretrain_epochs = 1 end
  if kind == "sasrec" or kind == "decay_attention" or kind == "bert4rec" then o.heads = 2 end
  for k, v in pairs(extra or {}) do o[k] = v end
  return tide.models[kind](o)
end

local function fitted(kind, extra) return tiny(kind, extra):fit(log()) end

-- net outputs for raw item rows (times = 1 day per step, for the decay model)
local function run(m, rows, times)
  local items = T.fromtable(rows, "i32")
  local inp = { items = items }
  if m.uses_time then inp.times = T.fromtable(times or rows):cast("f32") end
  m.net:eval()
  return tide.no_grad(function() return m.net(inp) end)
end

function tests.shapes_and_interface()
  for _, kind in ipairs(KINDS) do
    local m = fitted(kind)
    check.eq(m.history.best_epoch > 0, true, kind .. " trained")
    local s = m:score({ 1, 2, 3 })
    check.all_near(s:shape(), { 3, 12 }, 0, kind .. " score shape")
    local top = m:topk({ 1, 2 }, 4)
    check.all_near(top:shape(), { 2, 4 }, 0, kind .. " topk shape")
    local sc = m:score_items({ 1, 2 }, T.fromtable({ { 3, 4, 0 }, { 5, 6, 7 } }, "i32"))
    check.near(sc:get(1, 2), s:get(1, 4), 1e-5, kind .. " score_items = score")
    check.near(sc:get(2, 3), s:get(2, 7), 1e-5, kind .. " score_items = score (row 2)")
    check.eq(sc:get(1, 3), 0, kind .. " id 0 scores 0")
    local h = run(m, { { 0, 0, 1, 2, 3, 4 } }, { { 0, 0, 1, 2, 3, 4 } })
    check.all_near(h:shape(), { 1, 6, 8 }, 0, kind .. " hidden states")
  end
end

function tests.no_peeking_at_future_items()
  for kind in pairs(CAUSAL) do
    local m = fitted(kind)
    local a = run(m, { { 0, 1, 2, 3, 4, 5 } }, { { 0, 1, 2, 3, 4, 5 } })
    local b = run(m, { { 0, 1, 2, 3, 9, 11 } }, { { 0, 1, 2, 3, 7, 30 } })
    -- positions 1..4 see only items up to themselves: identical
    check.all_near(b:narrow(2, 1, 4), a:narrow(2, 1, 4):totable(), 1e-6, kind .. " earlier outputs")
    check.truthy((b:narrow(2, 5, 1) - a:narrow(2, 5, 1)):abs():max():item() > 1e-6, kind .. " later outputs change")
  end
end

function tests.padding_never_attended()
  -- the same history with 1 or 3 padding slots: identical outputs at the real positions
  for _, kind in ipairs(KINDS) do
    local m = fitted(kind)
    local a = run(m, { { 0, 0, 0, 4, 5, 6 } }, { { 0, 0, 0, 1, 3, 4 } })
    local b = run(m, { { 0, 4, 5, 6 } }, { { 9, 1, 3, 4 } })
    check.all_near(b:narrow(2, 2, 3), a:narrow(2, 4, 3):totable(), 1e-5, kind .. " real positions")
  end
end

function tests.scoring_uses_only_the_last_position()
  -- the last-query path (SASRec's last block computes one query row) and the length-grouped,
  -- trimmed scoring batches give the full forward's last-position state
  local seqc = require "tide.models.seq_common"
  for kind in pairs(CAUSAL) do
    local m = fitted(kind)
    local users = T.fromtable({ 3, 1, 8, 2 }, "i32")
    local inp = seqc.inputs(m, users, false)
    local full = tide.no_grad(function() return m.net(inp) end)
    local last = full:select(2, full:shape()[2]):totable()
    check.all_near(tide.no_grad(function() return m.net(inp, { last = true }) end), last, 1e-5, kind .. " last-only forward")
    check.all_near(seqc.states(m, users), last, 1e-5, kind .. " trimmed, grouped states")
  end
end

-- decay_attention in SASRec's post-norm layout: causal, padding-blind, its last-query path and
-- grouped states equal the full forward, gradients reach the decay rates, and the layout is
-- kept through save/load
function tests.decay_attention_post_norm()
  local seqc = require "tide.models.seq_common"
  local m = fitted("decay_attention", { norm = "post" })
  local a = run(m, { { 0, 1, 2, 3, 4, 5 } }, { { 0, 1, 2, 3, 4, 5 } })
  local b = run(m, { { 0, 1, 2, 3, 9, 11 } }, { { 0, 1, 2, 3, 7, 30 } })
  check.all_near(b:narrow(2, 1, 4), a:narrow(2, 1, 4):totable(), 1e-6, "earlier outputs")
  local c = run(m, { { 0, 0, 0, 4, 5, 6 } }, { { 0, 0, 0, 1, 3, 4 } })
  local d = run(m, { { 0, 4, 5, 6 } }, { { 9, 1, 3, 4 } })
  check.all_near(d:narrow(2, 2, 3), c:narrow(2, 4, 3):totable(), 1e-5, "real positions")
  local users = T.fromtable({ 3, 1, 8, 2 }, "i32")
  local inp = seqc.inputs(m, users, false)
  local full = tide.no_grad(function() return m.net(inp) end)
  local last = full:select(2, full:shape()[2]):totable()
  check.all_near(tide.no_grad(function() return m.net(inp, { last = true }) end), last, 1e-5, "last-only forward")
  check.all_near(seqc.states(m, users), last, 1e-5, "trimmed, grouped states")
  local g = tiny("decay_attention", { dim = 4, maxlen = 3, norm = "post" })
  g:set_history(log())
  g.net = g:build()
  g.net:train()
  local gi = { items = T.fromtable({ { 0, 2, 3 }, { 1, 5, 6 } }, "i32"), times = T.fromtable({ { 0, 1, 4 }, { 0, 2, 2.5 } }) }
  gradcheck.check(function() return g.net(gi):narrow(2, 2, 2) end, { g.net.log_rate1 },
    { what = "post-norm decay rates", atol = 2e-3, rtol = 2e-2 })
  local path = os.tmpname()
  m:save(path)
  local back = tide.models.load(path)
  os.remove(path)
  check.eq(back.norm, "post", "layout saved")
  back:set_history(log())
  check.all_near(back:score({ 1, 2 }), m:score({ 1, 2 }):totable(), 1e-6, "same scores after load")
  check.errors(function() tide.models.decay_attention{ norm = "middle" } end, "norm must be 'pre' or 'post'")
  -- a file saved before the option existed (no opt.norm) holds a pre-norm net and loads as one
  local pre = fitted("decay_attention", { norm = "pre" })
  pre:save(path)
  local t, meta = tide.checkpoint.load(path)
  meta["opt.norm"] = nil
  tide.checkpoint.save(path, t, meta)
  local old = tide.models.load(path)
  os.remove(path)
  check.eq(old.norm, "pre", "an old file keeps its layout")
  old:set_history(log())
  pre:set_history(log())
  check.all_near(old:score({ 1, 2 }), pre:score({ 1, 2 }):totable(), 1e-6, "and its scores")
  check.eq(tide.models.decay_attention{}.norm, "post", "new models are post-norm")
end

function tests.gradients_by_finite_differences()
  for _, kind in ipairs({ "sasrec", "decay_attention", "gru4rec", "mlp" }) do
    local m = tiny(kind, { dim = 4, maxlen = 3, heads = kind ~= "gru4rec" and kind ~= "mlp" and 2 or nil })
    m:set_history(log())
    T.manual_seed(1)
    m.net = m:build()
    m.net:train()
    local items = T.fromtable({ { 0, 2, 3 }, { 1, 5, 6 } }, "i32")
    local inp = { items = items, times = T.fromtable({ { 0, 1, 4 }, { 0, 2, 2.5 } }) }
    -- the real positions only: they must not depend on the padding row either
    local f = function() return m.net(inp):narrow(2, 2, 2) end
    gradcheck.check(f, { m.net.emb.weight }, { what = kind .. " item table", atol = 2e-3, rtol = 2e-2 })
    if kind == "decay_attention" then
      gradcheck.check(f, { m.net.log_rate1 }, { what = "decay rates", atol = 2e-3, rtol = 2e-2 })
    end
  end
end

function tests.every_parameter_gets_a_gradient()
  for _, kind in ipairs(KINDS) do
    local m = tiny(kind)
    m:set_history(log())
    m.net = m:build()
    m.phase = "finetune"
    local b = tide.batch.sequences(m.seq, { batch = 8, maxlen = 6, shift = true, negatives = 1, n_items = 12 })()
    b.inp = require("tide.models.seq_common").inputs(m, b.users, true)
    m:loss_fn(b):backward()
    for _, np in ipairs(m.net:named_parameters()) do
      local name, p = np[1], np[2]
      local g = p:grad()
      check.truthy(g and g:abs():sum():item() > 0, kind .. " " .. name .. " has a gradient")
    end
  end
end

function tests.deterministic_for_a_seed_and_save_load_exact()
  for _, kind in ipairs(KINDS) do
    local a, b = fitted(kind), fitted(kind)
    local users = T.arange(1, 9, 1, "i32")
    local sa = a:score(users)
    check.all_near(b:score(users), sa:totable(), 0, kind .. " same seed, same scores")
    local path = os.tmpname()
    a:save(path)
    local c = tide.models[kind].load(path)
    check.all_near(c:score(users), sa:totable(), 0, kind .. " reloaded scores")
    check.all_near(c:topk(users, 3), a:topk(users, 3):totable(), 0, kind .. " reloaded top-K")
    check.all_near(tide.models.load(path):score(users), sa:totable(), 0, kind .. " via tide.models.load")
    check.errors(function() tide.models[kind == "mlp" and "sasrec" or "mlp"].load(path) end, "holds a '" .. kind)
    os.remove(path)
  end
end

function tests.attention_weights_and_half_lives()
  for _, kind in ipairs({ "sasrec", "decay_attention" }) do
    local m = fitted(kind)
    local w = m:attention({ 1 })[1]:select(1, 1):select(1, 1)         -- [T, T] of head 1
    local L = w:shape()[1]
    local hist = m.seq.offsets:get(2) - m.seq.offsets:get(1)
    local first = L - math.min(hist, L) + 1                             -- first real slot
    for i = first, L do
      local row, sum = w:select(1, i):totable(), 0
      for j = 1, L do
        if j > i or j < first then check.eq(row[j], 0, kind .. " future/padding key weight") end
        sum = sum + row[j]
      end
      check.near(sum, 1, 1e-5, kind .. " row sums to 1")
    end
  end
  -- before training, half-lives are the geometric initialisation 1 and 64 units
  local m = tiny("decay_attention", { epochs = 1, lr = 0 })
  m:fit(log())
  local hl = m:half_lives()
  check.near(hl[1][1], 1, 1e-5, "head 1 half-life")
  check.near(hl[1][2], 64, 1e-4, "head 2 half-life")
  -- rate_lr scales the rates' learning rate: 0 freezes them while the rest trains
  local f = tiny("decay_attention", { epochs = 1, rate_lr = 0 }):fit(log())
  check.near(f:half_lives()[2][1], 1, 1e-5, "frozen rate")
  local g = tiny("decay_attention", { epochs = 1, rate_lr = 50 }):fit(log())
  check.truthy(math.abs(g:half_lives()[2][1] - 1) > 1e-3, "rates move with rate_lr > 0")
  local p = tiny("decay_attention", { epochs = 1, lr = 0, family = "power" }):fit(log())
  check.near(p:half_lives()[2][2], 64, 1e-3, "power-law head half-life")
end

function tests.option_errors()
  check.errors(function() tide.models.sasrec{ dimm = 4 } end, "unknown option 'dimm'")
  check.errors(function() tide.models.sasrec{ dim = "4" } end, "'dim' must be a number")
  check.errors(function() tide.models.gru4rec{ loss = "hinge" } end, "loss must be")
  check.errors(function() tide.models.sasrec{ maxlen = 0 } end, "'maxlen' must be an integer >= 1")
  check.errors(function() tide.models.mlp{ lr = 0 / 0 } end, "'lr' must be a number >= 0")
  check.errors(function() tide.models.bert4rec{ loss = "bce" }:fit(log()) end, "bert4rec: loss")
  check.errors(function() tide.models.sasrec{}:fit({}) end, "expected an event table")
  check.errors(function() tide.models.sasrec{}:score({ 1 }) end, "fit or load the model first")
  check.errors(function() tide.models.sasrec.load(42) end, "path must be a string")
  local m = fitted("gru4rec")
  check.errors(function() m:score({ 99 }) end, "user 99 outside 1..8")
  check.errors(function() m:score_items({ 1 }, T.fromtable({ { 13 } }, "i32")) end, "candidate 13 outside")
  check.errors(function() m:set_history(5) end, "expected an event table")
end

return tests
