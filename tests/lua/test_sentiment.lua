-- test_sentiment.lua — tide.sentiment: lexicon negation/degree/contrast (expected scores worked
-- out by hand from the documented rules), the fastText model on a learnable synthetic task,
-- determinism (same seed -> same file bytes), save/load, corrupt file refused, scores and
-- explanations, time-decayed aggregation (hand-computed), metrics (hand-computed AUC),
-- CSV parsing and the seeded split; a real corpus when ../shared/data is present.
local tide = require "tide"
local check = require "check"
local S = tide.sentiment

local T = {}

local function sig(x) return 1 / (1 + math.exp(-x)) end

-- Saves m, reads it back with S.load and checks that the copy's probabilities on tt are
-- bit-identical; returns the copy and m's probabilities.
local function reload_exact(m, tt)
  local path = os.tmpname()
  m:save(path)
  local l = S.load(path)
  os.remove(path)
  local p1, p2 = m:prob(tt), l:prob(tt)
  for i = 1, #tt do check.eq(p2[i], p1[i], "exact after load " .. i) end
  return l, p1
end

function T.lexicon_rules()
  local cases = {
    { "good", 1.5 }, { "very good", 1.5 * 1.5 }, { "not good", 1.5 * -0.5 }, { "not bad", -2 * -0.5 },
    { "not very good", 1.5 * -0.3 }, { "really not good", 1.5 * -0.5 * 1.4 },
    { "good but bad", 1.5 * 0.5 + -2 * 1.5 }, { "good. not", 1.5 },
    { "很好吃", 1.3 * 2.5 }, { "不太好吃", 2.5 * -0.3 }, { "很不好吃", 2.5 * -0.5 * 1.3 },
    { "有点贵", -1 * 0.6 }, { "虽然贵，但是好吃", -1 * 0.5 + 2.5 * 1.5 }, { "没有问题", -1 * -0.5 },
    { "great!!", 2.5 * 1.1 ^ 2 }, { "", 0 }, { "桌子", 0 },
  }
  for _, c in ipairs(cases) do
    local r = S.lexicon.score(c[1])
    check.near(r.score, c[2], 1e-9, "score of '" .. c[1] .. "'")
    check.near(r.p, sig(c[2]), 1e-9, "p of '" .. c[1] .. "'")
    check.near(r.intensity, c[2] / math.sqrt(c[2] ^ 2 + 4), 1e-9, "intensity of '" .. c[1] .. "'")
  end
  local r = S.lexicon.score("质量很好，但是物流太慢")
  check.eq(r.tokens[1][1], "好"); check.eq(r.tokens[2][1], "慢")
  check.truthy(r.tokens[2][2] < 0 and r.score < 0, "contrast makes it negative")
  check.errors(function() S.lexicon.score(nil) end, "expected a string")
end

-- Synthetic reviews: one label word among filler words, mixed scripts.
local POS, NEG = { "棒", "great", "满意", "love" }, { "差", "awful", "失望", "hate" }
local function synth(n, seed) return require("sentiment_synth").synth(n, seed, POS, NEG) end

local function read(path) local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s end

function T.fasttext_learns_and_is_deterministic()
  local texts, labels = synth(1500, 1)
  local opts = { epochs = 5, lr = 0.2, buckets = 4096, dim = 8, seed = 3 }
  local a = S.train("fasttext", texts, labels, opts)
  local b = S.train("fasttext", texts, labels, opts)
  local tt, tl = synth(500, 99)
  local q = S.evaluate(a, tt, tl)
  check.truthy(q.accuracy > 0.97, "synthetic accuracy " .. q.accuracy)
  local pa, pb = os.tmpname(), os.tmpname()
  a:save(pa); b:save(pb)
  check.truthy(read(pa) == read(pb), "same seed -> same model bytes")
  opts.seed = 4
  local c = S.train("fasttext", texts, labels, opts)
  c:save(pb)
  check.truthy(read(pa) ~= read(pb), "other seed -> other bytes")
  local l = S.load(pa)
  local p1, p2 = a:prob(tt), l:prob(tt)
  for i = 1, #tt do check.eq(p1[i], p2[i], "prediction " .. i .. " after load") end
  -- a flipped byte is refused
  local s = read(pa)
  local f = io.open(pa, "wb"); f:write(s:sub(1, 5000) .. string.char((s:byte(5001) + 1) % 256) .. s:sub(5002)); f:close()
  check.errors(function() S.load(pa) end, "checksum")
  f = io.open(pa, "wb"); f:write("hello"); f:close()
  check.errors(function() S.load(pa) end, "not a tide sentiment model")
  os.remove(pa); os.remove(pb)
end

-- epochs = "auto": chosen on every 10th training row among the candidates, refit on all rows;
-- the choice must equal the one made by hand with the same slice, and be deterministic.
function T.fasttext_auto_epochs_uses_validation_slice()
  local texts, labels = synth(600, 11)
  local base = { lr = 0.05, buckets = 4096, dim = 8, seed = 3 }
  local function with(t) local o = {}; for k, v in pairs(base) do o[k] = v end; for k, v in pairs(t) do o[k] = v end; return o end
  local m = S.train("fasttext", texts, labels, with { epochs = "auto", auto_epochs = { 1, 8 } })
  local tt, tl, vt, vl = {}, {}, {}, {}
  for i = 1, #texts do
    if i % 10 == 0 then vt[#vt + 1], vl[#vl + 1] = texts[i], labels[i]
    else tt[#tt + 1], tl[#tl + 1] = texts[i], labels[i] end
  end
  local a1 = S.evaluate(S.train("fasttext", tt, tl, with { epochs = 1 }), vt, vl).accuracy
  local a8 = S.evaluate(S.train("fasttext", tt, tl, with { epochs = 8 }), vt, vl).accuracy
  check.eq(m.epochs, a8 > a1 and 8 or 1, "chosen epochs")
  check.near(m.val_acc, math.max(a1, a8), 1e-12, "validation accuracy")
  local ref = S.train("fasttext", texts, labels, with { epochs = m.epochs })
  local p1, p2 = m:prob(vt), ref:prob(vt)
  for i = 1, #vt do check.eq(p1[i], p2[i], "refit on all rows, prediction " .. i) end
  local few = S.train("fasttext", { "good", "bad" }, { 1, 0 }, with { epochs = "auto", auto_epochs = { 2, 9 } })
  check.eq(few.epochs, 2, "few rows -> first candidate")
  check.errors(function() S.train("fasttext", texts, labels, with { epochs = "many" }) end, "epochs must be")
end

function T.score_output_and_explanation()
  local texts, labels = synth(1500, 5)
  local m = S.train("fasttext", texts, labels, { epochs = 5, lr = 0.2, buckets = 4096, dim = 8 })
  local r = S.score(m, { "f1 great f2", "f3 awful f4" }, { explain = 2 })
  check.truthy(r[1].p > 0.8 and r[2].p < 0.2, "polarity")
  check.near(r[1].intensity, 2 * r[1].p - 1, 1e-12)
  check.eq(r[1].tokens[1][1], "great", "top token drives it")
  check.truthy(r[1].tokens[1][2] > 0 and r[2].tokens[1][2] < 0, "signed contributions")
  check.eq(#r[1].tokens, 2, "explain = 2")
  -- contributions + bias = log-odds
  local toks, contrib, bias = m:explain("f1 great f2")
  local s = bias
  for i = 1, #contrib do s = s + contrib[i] end
  check.near(s, math.log(r[1].p / (1 - r[1].p)), 1e-4, "explanation sums to the log-odds")
  -- the lexicon prior moves a neutral text by w * lexicon score
  local p0 = m:prob({ "f7 f8" })[1]
  local pr = S.score(m, { "f7 f8 good" }, { prior = 1, explain = 0 })[1].p
  local pm = m:prob({ "f7 f8 good" })[1]
  check.near(pr, sig(math.log(pm / (1 - pm)) + 1.5), 1e-6, "prior adds w * lexicon score")
  check.truthy(p0 > 0 and p0 < 1)
  check.errors(function() S.train("fasttext", { "a" }, { 2 }) end, "labels[1]")
  check.errors(function() S.train("fasttext", { "a", "b" }, { 1 }) end, "need 2 labels")
  check.errors(function() S.train("svm", {}, {}) end, "unknown model kind")
end

function T.textcnn_learns_deterministic_save_load()
  local texts, labels = synth(600, 11)
  local opts = { dim = 8, filters = 8, widths = { 1, 2 }, epochs = 6, batch = 32, lr = 1e-2,
                 min_count = 1, seed = 5, dropout = 0.1 }
  local a = S.train("textcnn", texts, labels, opts)
  local b = S.train("textcnn", texts, labels, opts)
  local tt, tl = synth(300, 77)
  local q = S.evaluate(a, tt, tl)
  check.truthy(q.accuracy > 0.95, "textcnn synthetic accuracy " .. q.accuracy)
  local pa, pb = os.tmpname(), os.tmpname()
  a:save(pa); b:save(pb)
  check.truthy(read(pa) == read(pb), "same seed -> same checkpoint bytes")
  local l = S.load(pa)
  local p1, p2 = a:prob(tt), l:prob(tt)
  for i = 1, #tt do check.near(p2[i], p1[i], 1e-6, "prediction after load " .. i) end
  local r = S.score(l, { "f1 great f2", "f3 awful f4" }, { explain = 1 })
  check.truthy(r[1].p > 0.7 and r[2].p < 0.3, "textcnn polarity")
  check.eq(r[1].tokens[1][1], "great", "occlusion finds the label word")
  check.truthy(r[1].tokens[1][2] > 0 and r[2].tokens[1][2] < 0, "signed occlusion")
  check.eq(#l:prob({ "" }), 1, "empty text scores")
  local s = read(pa)
  local f = io.open(pa, "wb"); f:write(s:sub(1, #s - 9)); f:close()
  check.errors(function() S.load(pa) end, pa)
  os.remove(pa); os.remove(pb)
  check.errors(function() S.train("textcnn", { "a" }, { 3 }) end, "labels[1]")
  -- the optional hashed-bigram channel trains, saves and explains too
  opts.bigrams, opts.seed = 64, 6
  local c = S.train("textcnn", texts, labels, opts)
  check.truthy(S.evaluate(c, tt, tl).accuracy > 0.9, "bigram channel accuracy")
  c:save(pa)
  local lc = S.load(pa)
  check.eq(lc.o.bigrams, 64)
  check.near(lc:prob({ "f1 great" })[1], c:prob({ "f1 great" })[1], 1e-6, "bigram model after load")
  check.eq(S.score(lc, { "f1 great f2" }, { explain = 1 })[1].tokens[1][1], "great")
  os.remove(pa)
end

-- min_steps raises the epoch count to ceil(min_steps / batches per epoch) and is otherwise the
-- same run: 600 rows / batch 32 = 19 batches, min_steps 100 -> 6 epochs.
function T.textcnn_min_steps()
  local texts, labels = synth(600, 11)
  local function run(e, ms)
    return S.train("textcnn", texts, labels, { dim = 8, filters = 4, widths = { 2 }, epochs = e,
      batch = 32, lr = 1e-2, min_count = 1, seed = 5, min_steps = ms })
  end
  local a, b, c = run(2, 100), run(6, 0), run(2, 0)
  check.eq(a.o.epochs, 6, "raised to 6 epochs")
  check.eq(c.o.epochs, 2, "min_steps 0 keeps epochs")
  local tt = synth(50, 3)
  local pa, pb = a:prob(tt), b:prob(tt)
  for i = 1, #tt do check.eq(pa[i], pb[i], "same run as epochs = 6, text " .. i) end
  check.errors(function() run(2, -1) end, "min_steps")
end

-- Mean pooling counts only the valid windows: a text padded inside a batch with a longer
-- one gets the same logits as alone, and those logits equal a forward written with plain
-- (unmasked) max and mean over its own steps.
function T.textcnn_mean_pool_ignores_padding()
  local texts, labels = synth(300, 21)
  local m = S.train("textcnn", texts, labels, { dim = 6, filters = 5, widths = { 1, 3 },
    min_count = 1, seed = 3, pool = "maxmean", min_steps = 20, epochs = 1, wide = 0 })
  m.net:eval()
  local long = "f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 great"
  local enc, off = m:encode({ "f3 awful f9", long })
  local nog = tide.autograd.no_grad
  local both = nog(function() return m:logits(enc, off, { 1, 2 }):totable() end)
  local e1, o1 = m:encode({ "f3 awful f9" })
  local alone = nog(function() return m:logits(e1, o1, { 1 }):totable() end)
  for c = 1, 2 do check.near(both[1][c], alone[1][c], 1e-5, "padded == alone, class " .. c) end
  -- independent forward: no mask, Tensor:max / Tensor:mean over the whole (unpadded) row
  local ids = e1.ids:totable()
  for i = 1, #ids do ids[i] = ids[i] + 2 end
  local z = nog(function()
    local e = m.net.emb(tide.tensor.fromtable({ ids }, "i32"))
    local acc
    for i = 1, 2 do
      local y = m.net["conv" .. i](e):relu()
      local zi = m.net["out" .. i]((y:max(2))) + m.net["outm" .. i](y:mean(2))
      acc = acc and acc + zi or zi
    end
    return acc:totable()
  end)
  for c = 1, 2 do check.near(alone[1][c], z[1][c], 1e-5, "masked pooling == plain pooling, class " .. c) end
end

-- The masked mean is a composition of differentiable ops: finite differences agree.
function T.textcnn_masked_mean_gradcheck()
  local gradcheck = require "gradcheck"
  local TT = tide.tensor
  TT.manual_seed(4)
  local y = TT.randn({ 3, 4, 2 }):requires_grad(true)
  local mask = TT.fromtable({ { 1, 1, 0, 0 }, { 1, 1, 1, 1 }, { 0, 0, 0, 0 } }, "f32")
  gradcheck.check(function(a) return S.textcnn.masked_mean(a, mask) end, { y }, { what = "masked_mean" })
  local r = S.textcnn.masked_mean(y, mask):totable()
  check.near(r[1][1], (y:get(1, 1, 1) + y:get(1, 2, 1)) / 2, 1e-6, "mean of the 2 valid steps")
  check.eq(r[3][2], 0, "no valid step -> 0")
end

-- The wide path inside the model's forward: finite differences agree with backward for its
-- weight table (a tiny model, eval mode so dropout is off).
function T.textcnn_wide_gradcheck()
  local gradcheck = require "gradcheck"
  local texts = { "很好", "很差 bad", "good 好", "差" }
  local m = S.train("textcnn", texts, { 1, 0, 1, 0 }, { dim = 3, filters = 2, widths = { 2 },
    min_count = 1, seed = 1, min_steps = 2, wide = 2, wide_min = 1, wide_chars = 2 })
  m.net:eval()
  local enc, off = m:encode(texts)
  local w0 = m.net.wide.weight:detach():clone():requires_grad(true)
  check.truthy(w0:shape()[1] > 10, "a feature table to check")
  gradcheck.check(function(w)
    m.net.wide.weight = w
    return m:logits(enc, off, { 1, 2, 3, 4 })
  end, { w0 }, { what = "textcnn wide path" })
end

-- avg = f returns the mean of the weights after each of the last ceil(f * total) updates.
function T.textcnn_weight_averaging()
  local texts, labels = synth(200, 5)
  local snaps = {}
  local o = { dim = 4, filters = 3, widths = { 2 }, min_count = 1, seed = 9, epochs = 1,
    batch = 50, min_steps = 8, avg = 0.5 }
  o.on_step = function(self, step) snaps[step] = self.net.conv1.weight:totable() end
  local m = S.train("textcnn", texts, labels, o)
  check.eq(#snaps, 8, "8 updates")
  local w = m.net.conv1.weight:totable()
  for a = 1, 3 do for b = 1, 2 do for c = 1, 4 do
    local mean = (snaps[5][a][b][c] + snaps[6][a][b][c] + snaps[7][a][b][c] + snaps[8][a][b][c]) / 4
    check.near(w[a][b][c], mean, 1e-5, "averaged weight")
  end end end
  check.truthy(math.abs(w[1][1][1] - snaps[8][1][1][1]) > 1e-7, "differs from the last weights")
end

function T.textcnn_options_checked_and_saved()
  local texts, labels = synth(200, 8)
  for k, v in pairs({ pool = "avg", emb_dropout = 1, avg = -0.1, weight_decay = -1, maxlen = 0,
                      smoothing = 0.7 }) do
    check.errors(function() S.train("textcnn", texts, labels, { [k] = v }) end, "opts." .. k)
  end
  local o = { dim = 4, filters = 3, widths = { 2 }, min_count = 1, seed = 2, min_steps = 10,
    pool = "maxmean", emb_dropout = 0.1, avg = 0.3, weight_decay = 0.01, maxlen = 50,
    smoothing = 0.1 }
  local a, b = S.train("textcnn", texts, labels, o), S.train("textcnn", texts, labels, o)
  local pa, pb = os.tmpname(), os.tmpname()
  a:save(pa); b:save(pb)
  check.truthy(read(pa) == read(pb), "same seed -> same bytes with the new options")
  local l = S.load(pa)
  check.eq(l.o.pool, "maxmean"); check.eq(l.o.maxlen, 50)
  local tt = synth(40, 1)
  local p1, p2 = a:prob(tt), l:prob(tt)
  for i = 1, #tt do check.eq(p2[i], p1[i], "exact after load " .. i) end
  os.remove(pa); os.remove(pb)
end

-- The min-count bigram channel: vocabulary = bigrams seen >= bigram_min times in training
-- (counted here by hand), saved with the model, exact after load, explanations still work.
function T.textcnn_bigram_vocabulary()
  local texts, labels = {}, {}
  for i = 1, 120 do
    texts[i] = (i % 2 == 0 and "很好" or "很差") .. (i % 3 == 0 and "房间" or "早餐")
    labels[i] = i % 2 == 0 and 1 or 0
  end
  -- bigrams: 很好/很差 (60 each), 好房/差房/好早/差早 (20 each), 房间 (40), 早餐 (80)
  local o = { dim = 4, filters = 3, widths = { 2 }, min_count = 1, seed = 2, min_steps = 100,
    lr = 1e-2, bigram_min = 41, bigram_dim = 3 }
  local m = S.train("textcnn", texts, labels, o)
  check.eq(m.o.n_bi, 3, "很好, 很差 and 早餐 occur more than 40 times")
  local l, p1 = reload_exact(m, { "很好早餐", "很差", "房间很好", "" })
  check.eq(l.o.n_bi, 3)
  check.truthy(p1[1] > 0.5 and p1[2] < 0.5, "bigram model polarity")
  check.eq(#S.score(l, { "很好早餐" }, { explain = 2 })[1].tokens, 2, "explains")
  check.errors(function() S.train("textcnn", texts, labels, { bigram_min = -1 }) end, "opts.bigram_min")
end

-- The n-gram channels are aligned with the units: position t holds the n-gram ENDING at unit
-- t (-1 before the first full one, 0 out of vocabulary). Trigram vocabulary counted by hand;
-- a model with both channels reloads exactly and explains.
function T.textcnn_trigram_channel()
  local NG = require "tide.sentiment.textcnn_ngrams"
  local texts, labels = {}, {}
  for i = 1, 90 do
    texts[i] = (i % 2 == 0 and "很好吃" or "很难吃") .. (i % 3 == 0 and "了" or "")
    labels[i] = i % 2 == 0 and 1 or 0
  end
  -- trigrams: 很好吃 / 很难吃 45 each; 好吃了 / 难吃了 15 each
  local list = NG.build(texts, 3, 16, 100)
  check.eq(#list, 2, "only 很好吃 and 很难吃 occur more than 15 times")
  check.eq(#NG.build(texts, 3, 15, 100), 4, "min_count is inclusive")
  check.eq(#NG.build(texts, 3, 15, 3), 3, "max_size caps the vocabulary")
  local map = NG.index(list)
  local probe = { "很好吃了", "吃", "", "很难吃很好吃" }
  local _, uoff = tide.core.text.ids(nil, probe, 0, 1, 1)
  local g = NG.encode(map, 3, probe, uoff):totable()
  -- the id of each known trigram, found from a one-text encoding
  local function id_of(s) return NG.encode(map, 3, { s }, select(2, tide.core.text.ids(nil, { s }, 0, 1, 1))):totable()[3] end
  local good, bad = id_of("很好吃"), id_of("很难吃")
  check.truthy(good > 0 and bad > 0 and good ~= bad, "both trigrams in the vocabulary")
  local want = { -1, -1, good, 0, -1, -1, -1, bad, 0, 0, good }
  check.eq(#g, #want)
  for i = 1, #want do check.eq(g[i], want[i], "aligned to the unit that ends each trigram, " .. i) end
  local o = { dim = 4, filters = 3, widths = { 2 }, min_count = 1, seed = 2, min_steps = 100,
    lr = 1e-2, bigram_min = 20, trigram_min = 16, trigram_dim = 3 }
  local m = S.train("textcnn", texts, labels, o)
  check.eq(m.o.n_tri, 2)
  local l, p1 = reload_exact(m, { "很好吃", "很难吃了", "吃", "" })
  check.eq(l.o.n_tri, 2); check.eq(l.o.n_bi, m.o.n_bi)
  check.truthy(p1[1] > 0.5 and p1[2] < 0.5, "trigram model polarity")
  check.eq(#S.score(l, { "很好吃" }, { explain = 3 })[1].tokens, 3, "explains")
  check.errors(function() S.train("textcnn", texts, labels, { trigram_min = 0 / 0 }) end, "opts.trigram_min")
end

-- core.sgns.train (engine/text_sgns.c) from Lua: shape, argument errors; the TextCNN's
-- pretrain option stays deterministic and its model reloads exactly.
function T.sgns_binding_and_pretrain()
  local TT, sg = tide.tensor, tide.core.sgns
  local ids, off = TT.fromtable({ 0, 1, 2, 1, 0, 2 }, "i32"), TT.fromtable({ 0, 3, 6 }, "long")
  local E = sg.train(ids, off, 3, { dim = 5, epochs = 2 })
  check.eq(E:shape()[1], 3); check.eq(E:shape()[2], 5)
  check.errors(function() sg.train(off, off, 3) end, "i32 ids")
  check.errors(function() sg.train(ids, TT.fromtable({ 0, 4, 3 }, "long"), 3) end, "offsets")
  check.errors(function() sg.train(ids, TT.fromtable({ 0, 3, 7 }, "long"), 3) end, "offsets")
  check.errors(function() sg.train(ids, off, 0) end, "V")
  check.errors(function() sg.train(ids, off, 3, { dim = "x" }) end, "opts.dim")
  check.errors(function() sg.train(ids, off, 3, { lr = 0 }) end, "lr")
  local texts, labels = synth(300, 4)
  local o = { dim = 6, filters = 4, widths = { 2 }, min_count = 1, seed = 2, min_steps = 20, pretrain = 2 }
  local a, b = S.train("textcnn", texts, labels, o), S.train("textcnn", texts, labels, o)
  local pa, pb = os.tmpname(), os.tmpname()
  a:save(pa); b:save(pb)
  check.truthy(read(pa) == read(pb), "pretrained runs are deterministic")
  local tt = synth(30, 2)
  local p1, p2 = a:prob(tt), S.load(pa):prob(tt)
  for i = 1, #tt do check.eq(p2[i], p1[i], "exact after load " .. i) end
  os.remove(pa); os.remove(pb)
  check.errors(function() S.train("textcnn", texts, labels, { pretrain = -1 }) end, "opts.pretrain")
end

-- The wide path (textcnn_wide.lua): document frequencies, smoothed idf and the L2-normalised
-- sublinear TF-IDF weights worked out by hand; occlusion copies drop exactly the n-grams over
-- the occluded unit; a model with it trains deterministically, reloads exactly and explains.
function T.textcnn_wide_path()
  local W = require "tide.sentiment.textcnn_wide"
  local function bucket(s, k) -- the hashed id of the whole text s as one order-k n-gram
    local ids = tide.core.text.ids(nil, { s }, 0, k, W.BUCKETS):totable()
    return ids[#ids]
  end
  local fs = W.build({ "好好", "好差", "差" }, 2, 1, 100)
  -- unigrams 好 (df 2), 差 (df 2); bigrams 好好, 好差 (df 1 each)
  check.eq(#fs.list, 4)
  check.eq(fs.list[1], math.min(bucket("好", 1), bucket("差", 1)), "most frequent first, ties by bucket")
  check.eq(#W.build({ "好好", "好差", "差" }, 2, 2, 100).list, 2, "min_df is inclusive")
  check.eq(#W.build({ "好好", "好差", "差" }, 2, 1, 3).list, 3, "max_size caps the set")
  local enc = W.encode(fs, { "好好", "差", "未见" })
  local R, Wt = enc.rows:totable(), enc.w:totable()
  local r_good, r_gg = fs.row[bucket("好", 1)], fs.row[bucket("好好", 2)]
  local w_good = (1 + math.log(2)) * (math.log(4 / 3) + 1) -- tf 2, df 2 of n = 3
  local w_gg = math.log(4 / 2) + 1                          -- tf 1, df 1
  local norm = math.sqrt(w_good ^ 2 + w_gg ^ 2)
  check.eq(enc.off[2], 2, "two features in text 1"); check.eq(enc.off[3], 3); check.eq(enc.off[4], 3)
  for j = 1, 2 do
    check.near(Wt[j], (R[j] == r_good and w_good or R[j] == r_gg and w_gg or 0 / 0) / norm, 1e-6, "tf-idf weight " .. j)
  end
  check.near(Wt[3], 1, 1e-6, "one feature: weight 1 after normalisation")
  local br, bw, owner = W.batch(enc, { 3, 2, 1 })
  check.eq(#owner, 3, "text 3 has none (unseen n-grams are dropped)")
  check.eq(owner[1], 2); check.eq(owner[3], 3)
  check.eq(br:totable()[1], R[3]); check.near(bw:totable()[1], 1, 1e-6)
  check.eq(W.batch(enc, { 3 }), nil, "a batch without features")
  -- occluding unit 2 of 好好差 (k = 2) leaves 好 (unit 1), 差 and nothing spanning unit 2
  local fs2 = W.build({ "好好差" }, 2, 1, 100)
  local occ = W.occlusions(fs2, "好好差", 3).off
  check.eq(#occ, 5, "4 copies")
  check.eq(occ[2] - occ[1], 4, "好, 差, 好好, 好差")
  check.eq(occ[4] - occ[3], 2, "without unit 2: 好 and 差")
  check.eq(occ[5] - occ[4], 2, "without unit 3: 好 and 好好")
  -- character n-grams of words (wide_chars = 2): " ab " gives " a", "a", "ab", "b", "b "
  -- (the lone padding space is skipped); CJK units get none
  check.eq(#W.build({ "ab" }, 1, 1, 100, 2).list, 1 + 5)
  check.eq(#W.build({ "ab ab" }, 1, 1, 100, 2).list, 1 + 5, "repeats share buckets")
  check.eq(#W.build({ "好好" }, 1, 1, 100, 2).list, 1)
  local fs3 = W.build({ "ab cd" }, 1, 1, 100, 2)
  check.eq(#fs3.list, 2 + 10)
  occ = W.occlusions(fs3, "ab cd", 2).off
  check.eq(occ[3] - occ[2], 6, "without word 1: cd and its 5 character n-grams")

  local texts, labels = synth(300, 5)
  local o = { dim = 6, filters = 4, widths = { 2 }, min_count = 1, seed = 2, min_steps = 30, wide = 2, wide_chars = 3 }
  local a, b = S.train("textcnn", texts, labels, o), S.train("textcnn", texts, labels, o)
  check.truthy(a.o.n_wide > 0 and a.o.n_wide == a.wide.buckets:numel())
  local tt = synth(20, 8)
  local pa, pb = a:prob(tt), b:prob(tt)
  for i = 1, #tt do check.eq(pb[i], pa[i], "deterministic " .. i) end
  local l = reload_exact(a, tt)
  check.eq(#l.wide.list, #a.wide.list, "lookups rebuilt after release"); check.eq(l.wide.n, 300)
  for i, x in ipairs(a.wide.df) do check.eq(l.wide.df[i], x, "df restored " .. i) end
  local toks, contrib, lo = a:explain(tt[1])
  check.eq(#contrib, #toks)
  check.near(lo, math.log(pa[1] / (1 - pa[1])), 1e-4, "log-odds of the whole text")
  check.eq(l.wide.chars, 3, "wide_chars restored")
  for _, bad in ipairs({ { wide = -1 }, { wide = 1.5 }, { wide = 2, wide_min = 0 }, { wide = 2, wide_lr = 0 }, { wide_chars = 0.5 } }) do
    check.errors(function() S.train("textcnn", texts, labels, bad) end, "opts.wide") -- (wide_min, wide_chars, ...)
  end
end

-- "textcnn2": the default TextCNN plus one with the bigram channel, mean log-odds.
function T.textcnn_pair()
  local texts, labels = synth(300, 6)
  local o = { dim = 6, filters = 4, widths = { 2 }, min_count = 1, seed = 2, min_steps = 30 }
  local e = S.train("textcnn2", texts, labels, o)
  check.eq(#e.members, 2)
  check.eq(e.members[1].o.n_bi or 0, 0, "first member: units only")
  check.truthy(e.members[2].o.n_bi > 0, "second member: bigram channel")
  check.eq(o.bigram_min, nil, "caller's options untouched")
  local tt = synth(20, 9)
  local p, p1, p2 = e:prob(tt), e.members[1]:prob(tt), e.members[2]:prob(tt)
  local function lo(x) return math.log(x / (1 - x)) end
  for i = 1, #tt do check.near(p[i], sig((lo(p1[i]) + lo(p2[i])) / 2), 1e-9, "mean log-odds " .. i) end
  -- one file holds both members; load gives the same probabilities bit for bit
  check.eq(#reload_exact(e, tt).members, 2)
end

-- An ensemble file of mixed members (fastText + TextCNN); every truncation, trailing bytes, a
-- damaged length and a damaged member are refused with the file named.
function T.ensemble_file_round_trip_and_corruption()
  local texts, labels = synth(200, 3)
  local ft = S.train("fasttext", texts, labels, { epochs = 3, buckets = 2 ^ 10, dim = 8 })
  local cnn = S.train("textcnn", texts, labels,
    { dim = 6, filters = 4, widths = { 2 }, min_count = 1, seed = 2, min_steps = 20 })
  local e, path = S.ensemble { ft, cnn }, os.tmpname()
  e:save(path)
  local tt = synth(15, 4)
  local p, q = e:prob(tt), S.load(path):prob(tt)
  for i = 1, #tt do check.eq(q[i], p[i], "exact after load " .. i) end
  local f = assert(io.open(path, "rb")); local bytes = f:read("*a"); f:close()
  local bad = path .. ".bad"
  local function refused(b, what)
    local g = assert(io.open(bad, "wb")); g:write(b); g:close()
    check.errors(function() S.load(bad) end, bad, what)
  end
  for _, n in ipairs({ 8, 11, 12, 19, 20, 100, #bytes - 1 }) do refused(bytes:sub(1, n), "truncated to " .. n) end
  refused(bytes .. "x", "trailing byte")
  refused(bytes:sub(1, 12) .. string.char(bytes:byte(13) + 1) .. bytes:sub(14), "damaged length")
  local mid = 21 + 40 -- inside the first member's header
  refused(bytes:sub(1, mid - 1) .. string.char((bytes:byte(mid) + 1) % 256) .. bytes:sub(mid + 1), "damaged member")
  os.remove(path); os.remove(bad)
  check.errors(function() S.ensemble({ { prob = function() return {} end } }):save(path) end, "no save method")
end

function T.from_events()
  local ev = tide.data.from_columns { user = { 1, 1, 2 }, item = { 1, 2, 1 }, time = { 0, 10, 10 },
                                      text = { "good", "", "not good" } }
  local e, per_row = S.from_events("lexicon", ev, { half_life = 10 })
  local i1, i3 = S.lexicon.score("good").intensity, S.lexicon.score("not good").intensity
  check.near(per_row[1], i1, 1e-12); check.eq(per_row[2], 0); check.near(per_row[3], i3, 1e-12)
  check.eq(#e.item.item, 1, "the empty review is skipped")
  check.near(e.item.sentiment[1], (0.5 * i1 + i3) / 1.5, 1e-12, "decayed item sentiment")
  check.eq(#e.user_item.user, 2)
  check.errors(function() S.from_events("lexicon", { user = {} }) end, "no text column")
end

function T.ensemble_and_vectors()
  local texts, labels = synth(800, 21)
  local a = S.train("fasttext", texts, labels, { epochs = 5, lr = 0.2, buckets = 4096, dim = 8, seed = 1 })
  local b = S.train("fasttext", texts, labels, { epochs = 5, lr = 0.2, buckets = 4096, dim = 8, seed = 2 })
  local e = S.ensemble { a, b }
  local s = { "f1 great", "f2 awful f3" }
  local pa, pb, pe = a:prob(s), b:prob(s), e:prob(s)
  for i = 1, 2 do
    local la, lb = math.log(pa[i] / (1 - pa[i])), math.log(pb[i] / (1 - pb[i]))
    check.near(pe[i], sig((la + lb) / 2), 1e-9, "ensemble = sigmoid(mean log-odds)")
  end
  check.truthy(S.score(e, s, { explain = 1 })[1].tokens[1][1] == "great")
  -- vectors: in-vocabulary units give their embedding rows; all-zero only for no row at all
  local v = a.native:vectors({ "great", "never-seen-token" })
  check.eq(#v:totable(), 2); check.eq(#v:totable()[1], 8)
  local n2 = 0
  for _, x in ipairs(v:totable()[2]) do n2 = n2 + x * x end
  check.truthy(n2 > 0, "OOV token maps to its hash bucket row")
  check.errors(function() S.ensemble {} end, "list of models")
end

function T.choose_prior_uses_validation()
  -- labels follow the lexicon words only: the prior should get a positive weight
  local texts, labels = {}, {}
  local words = { "good", "bad", "great", "awful" }
  for i = 1, 400 do
    local y = (i * 7919) % 2
    texts[i] = ("f%d %s f%d"):format(i % 13, words[(y == 1 and 1 or 2) + 2 * (i % 2)], i % 7)
    labels[i] = y
  end
  local w, acc = S.choose_prior("fasttext", texts, labels, { epochs = 1, lr = 0.01, buckets = 64, dim = 4 })
  check.truthy(w > 0, "prior weight " .. w)
  check.truthy(acc > 0.95, "held-out accuracy " .. acc)
  -- one text repeated: it cannot be on both sides, so nothing can be held out
  local same, ys = {}, {}
  for i = 1, 50 do same[i], ys[i] = "good", i % 2 end
  check.errors(function() S.choose_prior("fasttext", same, ys) end, "too few distinct texts")
end

function T.aggregate_time_decay()
  local h = 100
  local rec = { user = { "u1", "u1", "u2", "u2" }, item = { "A", "A", "A", "B" },
                time = { 0, 100, 100, 300 }, score = { 1, -1, 0.5, 0.8 } }
  local e = S.aggregate(rec, { half_life = h, now = 100 })
  -- now = 100: B's review (t = 300) is in the future and ignored
  check.eq(#e.item.item, 1)
  check.near(e.item.sentiment[1], (0.5 * 1 + 1 * -1 + 1 * 0.5) / 2.5, 1e-12, "item A")
  check.near(e.item.weight[1], 2.5, 1e-12)
  check.eq(e.item.n[1], 3)
  check.eq(e.user_item.user[1], "u1"); check.eq(e.user_item.item[1], "A")
  check.near(e.user_item.sentiment[1], (0.5 - 1) / 1.5, 1e-12, "u1 x A")
  local e2 = S.aggregate(rec, { half_life = h, prior = 1 })
  check.eq(e2.now, 300)
  check.near(e2.item.sentiment[2], 0.8 / 2, 1e-12, "prior shrinks B towards 0")
  local s = S.item_series(rec, { item = { "A", "A", "B", "C" }, time = { -1, 200, 300, 5 } }, { half_life = h })
  check.near(s[1], 0, 1e-12, "before any review")
  check.near(s[2], (0.25 * 1 + 0.5 * -1 + 0.5 * 0.5) / 1.25, 1e-12, "A at 200")
  check.near(s[3], 0.8, 1e-12, "B at its review time")
  check.near(s[4], 0, 1e-12, "unknown item")
  check.errors(function() S.aggregate({ item = { 1 }, time = { 1 } }) end, "score is missing")
  check.errors(function() S.aggregate(rec, { half_life = 0 }) end, "half_life")
end

function T.metrics_by_hand()
  local q = S.metrics.binary({ 1, 0, 1, 0 }, { 0.9, 0.8, 0.4, 0.1 })
  check.near(q.auc, 0.75, 1e-12)
  check.near(q.accuracy, 0.5, 1e-12)     -- predictions 1,1,0,0
  check.near(q.precision, 0.5, 1e-12); check.near(q.recall, 0.5, 1e-12)
  check.near(S.metrics.binary({ 1, 0 }, { 0.5, 0.5 }).auc, 0.5, 1e-12, "ties count half")
end

function T.csv_and_split()
  local rows = S.io.parse_csv('label,review\n1,"a, ""b""\nc"\n0,plain\r\n', "x.csv")
  check.eq(#rows, 3); check.eq(rows[2][2], 'a, "b"\nc'); check.eq(rows[3][2], "plain")
  -- text after a closing quote used to end the record there and start another with the rest
  check.errors(function() S.io.parse_csv('label,review\n1,"good" product\n', "x.csv") end,
    "x.csv:2: text after a closing quote")
  -- RFC 4180 round trip of fields with separators, quotes, CR LF and LF inside
  local pieces = { "a", ",", '"', "\n", "\r\n", " ", "好", "" }
  local want, out = {}, {}
  math.randomseed(7)
  for r = 1, 200 do
    local row, enc = {}, {}
    for c = 1, 3 do
      local f = {}
      for _ = 1, math.random(0, 6) do f[#f + 1] = pieces[math.random(#pieces)] end
      row[c] = table.concat(f)
      enc[c] = '"' .. row[c]:gsub('"', '""') .. '"'
    end
    want[r], out[r] = row, table.concat(enc, ",")
  end
  local got = S.io.parse_csv(table.concat(out, "\r\n") .. "\r\n", "rt.csv")
  check.eq(#got, 200, "records")
  for r = 1, 200 do for c = 1, 3 do check.eq(got[r][c], want[r][c], ("row %d field %d"):format(r, c)) end end
  local path = os.tmpname()
  local f = io.open(path, "w"); f:write('label,review\n1,"good, really"\n0,bad\n'); f:close()
  local c = S.io.read_csv(path)
  check.eq(c.n, 2); check.eq(c.texts[1], "good, really"); check.eq(c.labels[2], 0)
  f = io.open(path, "w"); f:write('label,review\nx,bad\n'); f:close()
  check.errors(function() S.io.read_csv(path) end, ":2: label 'x'")
  os.remove(path)
  local tr, te = S.io.split(10000)
  local tr2, te2 = S.io.split(10000)
  check.eq(#te, #te2); check.eq(te[17], te2[17])
  check.truthy(math.abs(#te - 2000) < 150, "about 20 % test: " .. #te)
  check.eq(#tr + #te, 10000)
  -- repeated texts stay on one side; distinct texts keep exactly the row split
  local texts = {}
  for i = 1, 10000 do texts[i] = "t" .. (i <= 5000 and i or i % 50 + 1) end
  local gtr, gte = S.io.split(10000, { texts = texts })
  local side = {}
  for _, i in ipairs(gtr) do side[i] = "train" end
  for _, i in ipairs(gte) do side[i] = "test" end
  for i = 5001, 10000 do check.eq(side[i], side[i % 50 + 1], "copy of row " .. (i % 50 + 1)) end
  local row = {}
  for _, i in ipairs(te) do row[i] = true end
  for i = 1, 5000 do check.eq(side[i] == "test", row[i] == true, "distinct row " .. i) end
  check.errors(function() S.io.split(3, { texts = { "a" } }) end, "opts.texts must be a table of 3 texts")
end

function T.real_corpus_when_present()
  local path = "../shared/data/chinese-review-sentiment/waimai_10k.csv"
  local fh = io.open(path, "rb")
  if not fh then return end
  fh:close()
  local c = S.io.read_csv(path)
  check.eq(c.n, 11987, "rows per PROVENANCE")
  local tr, te = S.io.split(c.n)
  local a, b = S.io.subset(c, tr), S.io.subset(c, te)
  local q = S.evaluate(S.train("fasttext", a.texts, a.labels), b.texts, b.labels)
  check.truthy(q.accuracy > 0.88 and q.auc > 0.93, ("waimai acc %.3f auc %.3f"):format(q.accuracy, q.auc))
  local ql = S.evaluate("lexicon", b.texts, b.labels)
  check.truthy(ql.auc > 0.8, "lexicon AUC " .. ql.auc)
end

-- CLI: a file that is not a model, a truncated ensemble and an empty training file fail with
-- a message naming the file (no Lua source position), exit status 1.
function T.cli_errors_name_the_file()
  local csv, model = os.tmpname(), os.tmpname()
  local f = assert(io.open(csv, "w")); f:write("label,review\n"); f:close()
  local function run(args)
    local p = io.popen("luajit scripts/tide sentiment " .. args .. " 2>&1; echo rc=$?")
    local out = p:read("*a"); p:close()
    return out
  end
  local out = run("train --data " .. csv .. " --out " .. model)
  check.truthy(out:find(csv .. ": no reviews (the file holds a header only)", 1, true) and out:find("rc=1", 1, true), out)
  check.errors(function() S.train("fasttext", {}, {}) end, "no reviews to train on")
  f = assert(io.open(csv, "w")); f:write("label,review\n1,好\n0,差\n"); f:close()
  out = run("eval --model " .. csv .. " --data " .. csv)
  check.truthy(out:find(csv .. " is not a tide sentiment model", 1, true), out)
  check.truthy(not out:find("%.lua:%d+:"), "no source position: " .. out)
  out = run("train --data " .. csv .. " --out " .. model .. " --wide 2")
  check.truthy(out:find("--wide: not an option of --model default", 1, true) and out:find("rc=1", 1, true), out)
  os.remove(csv); os.remove(model)
end

-- Models in memory: m:to_bytes(opts) is exactly the file m:save(path, opts) writes (fastText
-- lossless and int8, TextCNN with and without the bigram channel), and from_bytes gives a
-- model that scores exactly like the loaded file.
local function le(v, n) -- little-endian unsigned, written independently of ensemble_file.lua
  local t = {}
  for i = 1, n do t[i] = string.char(v % 256); v = (v - v % 256) / 256 end
  return table.concat(t)
end
local function write(path, s) local f = assert(io.open(path, "wb")); f:write(s); f:close() end
local CNN_SMALL = { dim = 6, filters = 4, widths = { 2 }, min_count = 1, seed = 2, min_steps = 20 }

function T.model_bytes_equal_file_bytes()
  local texts, labels = synth(200, 11)
  local tt, path = synth(15, 12), os.tmpname()
  local ft = S.train("fasttext", texts, labels, { epochs = 2, buckets = 2 ^ 10, dim = 8 })
  for _, o in ipairs({ {}, { quantize = "int8" } }) do
    ft:save(path, o)
    local s = ft:to_bytes(o)
    check.truthy(s == read(path), "fastText bytes == file, quantize " .. tostring(o.quantize))
    local a, b, c = S.fasttext.from_bytes(s, "x"):prob(tt), S.load(path):prob(tt), S.from_bytes(s):prob(tt)
    for i = 1, #tt do check.eq(a[i], b[i], "from_bytes == load " .. i); check.eq(c[i], b[i], "dispatch " .. i) end
  end
  check.truthy(ft:to_bytes() == ft:to_bytes({ quantize = false }), "quantize = false is lossless")
  check.errors(function() ft:to_bytes({ quantize = "int4" }) end, "to_bytes: quantize must be")
  check.errors(function() ft:to_bytes({ level = 1 }) end, "unknown option 'level'")
  for _, bm in ipairs({ 0, 2 }) do
    local o = {}
    for k, v in pairs(CNN_SMALL) do o[k] = v end
    o.bigram_min = bm
    local cnn = S.train("textcnn", texts, labels, o)
    check.eq((cnn.o.n_bi or 0) > 0, bm > 0, "bigram channel with bigram_min " .. bm)
    cnn:save(path)
    local s = cnn:to_bytes()
    check.truthy(s == read(path), "TextCNN bytes == file, bigram_min " .. bm)
    local p0 = cnn:prob(tt)
    local a, b, c = S.textcnn.from_bytes(s, "x"):prob(tt), S.load(path):prob(tt), S.from_bytes(s, "y"):prob(tt)
    for i = 1, #tt do
      check.eq(a[i], p0[i], "from_bytes exact " .. i); check.eq(b[i], p0[i], "load exact " .. i)
      check.eq(c[i], p0[i], "dispatch exact " .. i)
    end
  end
  os.remove(path)
end

-- from_bytes of every truncation and every changed byte is refused with the given name; a
-- checkpoint that is not a TextCNN and foreign bytes are refused too.
function T.from_bytes_refuses_damage()
  local texts, labels = synth(120, 13)
  local ft = S.train("fasttext", texts, labels, { epochs = 1, buckets = 64, dim = 4 })
  local cnn = S.train("textcnn", texts, labels, CNN_SMALL)
  for _, c in ipairs({ { "fastText", ft:to_bytes(), S.fasttext.from_bytes },
                       { "TextCNN", cnn:to_bytes(), S.textcnn.from_bytes },
                       { "dispatch", cnn:to_bytes(), S.from_bytes } }) do
    local what, s, from = c[1], c[2], c[3]
    check.truthy(#s > 100, what .. " size")
    for len = 0, #s - 1 do
      check.errors(function() from(s:sub(1, len), "model.ens (member 2)") end, "model.ens (member 2)",
        what .. " cut at " .. len)
    end
    for i = 1, #s do
      local b = s:sub(1, i - 1) .. string.char((s:byte(i) + 1) % 256) .. s:sub(i + 1)
      check.errors(function() from(b, "model.ens (member 2)") end, "model.ens (member 2)", what .. " byte " .. i)
    end
    check.errors(function() from(s .. "z", "m2") end, "m2", what .. " trailing byte")
  end
  local other = tide.checkpoint.to_bytes({ w = tide.tensor.ones(2) }, { kind = "mlp" })
  check.errors(function() S.textcnn.from_bytes(other, "nm") end, "nm is not a TextCNN model")
  check.errors(function() S.from_bytes("hello", "nm2") end, "nm2 is not a tide sentiment model")
  check.errors(function() S.from_bytes(nil) end, "bytes must be a string")
  check.errors(function() S.fasttext.from_bytes(false) end, "bytes must be a string")
end

-- An ensemble file laid out by hand from the members' own files (as the code before in-memory
-- members wrote it) loads exactly and equals what e:save writes now; save and load use no
-- temporary file; a nested ensemble round-trips; a damaged member names file and member.
function T.ensemble_file_by_hand_and_no_temp_files()
  local texts, labels = synth(200, 14)
  local ft = S.train("fasttext", texts, labels, { epochs = 2, buckets = 2 ^ 10, dim = 8 })
  local cnn = S.train("textcnn", texts, labels, CNN_SMALL)
  local e, tt = S.ensemble { ft, cnn }, synth(15, 15)
  local pe = e:prob(tt)
  local pa, pb, path, path2 = os.tmpname(), os.tmpname(), os.tmpname(), os.tmpname()
  ft:save(pa, { quantize = "int8" }); cnn:save(pb)
  local a, b = read(pa), read(pb)
  local by_hand = "TIDEENS1" .. le(2, 4) .. le(#a, 8) .. a .. le(#b, 8) .. b
  write(path, by_hand)
  local l = S.load(path)
  local pq = S.ensemble({ S.load(pa), cnn }):prob(tt)
  local pl = l:prob(tt)
  for i = 1, #tt do check.eq(pl[i], pq[i], "hand-made file loads exactly " .. i) end
  local tmpname = os.tmpname
  os.tmpname = function() error("temporary file used") end
  local ok, err = pcall(function()
    e:save(path2, { quantize = "int8" })
    check.truthy(read(path2) == by_hand, "e:save writes the same bytes as the hand-made file")
    e:save(path2)
    local pl2 = S.load(path2):prob(tt)
    for i = 1, #tt do check.eq(pl2[i], pe[i], "exact after load " .. i) end
    S.ensemble({ S.ensemble { ft, cnn }, ft }):save(path2)
    local nested = S.load(path2)
    check.eq(#nested.members, 2); check.eq(#nested.members[1].members, 2)
    local pn, want = nested:prob(tt), S.ensemble({ e, ft }):prob(tt)
    for i = 1, #tt do check.eq(pn[i], want[i], "nested ensemble exact " .. i) end
  end)
  os.tmpname = tmpname
  if not ok then error(err, 0) end
  local pos = 13 + 8 + #a + 8 + 50 -- inside member 2
  write(path2, by_hand:sub(1, pos - 1) .. string.char((by_hand:byte(pos) + 1) % 256) .. by_hand:sub(pos + 1))
  local msg = check.errors(function() S.load(path2) end, path2 .. ": member 2:")
  check.truthy(msg:find(path2 .. " (member 2)", 1, true), "the member's own error names it: " .. msg)
  for _, p in ipairs({ pa, pb, path, path2 }) do os.remove(p) end
end

-- io.folds: row i % K without repeats; a repeated text follows its first row (so the
-- hold-outs of choose_prior, fastText's epoch choice and the CV tuner never split a text).
function T.io_folds_keep_repeated_texts_together()
  local texts = { "a", "b", "c", "a", "d", "b", "e" }
  local f = S.io.folds(texts, 3)
  local want = { 1, 2, 0, 1, 2, 2, 1 } -- "a" -> row 1, "b" -> row 2
  for i = 1, #want do check.eq(f[i], want[i], "fold of row " .. i) end
  local plain = S.io.folds({ "x", "y", "z", "w" }, 2)
  for i = 1, 4 do check.eq(plain[i], i % 2) end
  check.errors(function() S.io.folds(texts, 1) end, "K must be an integer >= 2")
  check.errors(function() S.io.folds("abc", 3) end, "texts must be a table")
end

return T
