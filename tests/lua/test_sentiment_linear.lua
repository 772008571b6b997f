-- test_sentiment_linear.lua — tide.sentiment.linear (the sparse n-gram logistic regression)
-- and the default model: learning a synthetic task, exact save/load and bytes, dispatch by
-- magic, explanations summing to the score, option and label errors; the solver binding
-- against the primal optimum; the stratified split's class proportions (counted by hand);
-- label checks naming the file line.
local tide = require "tide"
local check = require "check"
local S = tide.sentiment
local T = {}

local POS, NEG = { "great", "good", "love", "fine" }, { "awful", "bad", "hate", "poor" }
local function synth(n, seed) return require("sentiment_synth").synth(n, seed, POS, NEG) end

local function read(path) local f = assert(io.open(path, "rb")); local s = f:read("*a"); f:close(); return s end

function T.linear_learns_reloads_exactly()
  local texts, labels = synth(800, 1)
  local tt, tl = synth(300, 9)
  for _, o in ipairs({ {}, { nb = true, tf = "binary", idf = false }, { loss = "svm", C = 0.5 } }) do
    o.buckets = 2 ^ 12
    local m = S.linear.train(texts, labels, o)
    local q = S.evaluate(m, tt, tl)
    check.truthy(q.accuracy > 0.95, "held-out accuracy " .. q.accuracy)
    local path = os.tmpname()
    m:save(path)
    check.truthy(read(path) == m:to_bytes(), "to_bytes == file bytes")
    local a, b, c = m:prob(tt), S.load(path):prob(tt), S.from_bytes(read(path)):prob(tt)
    for i = 1, #tt do check.eq(b[i], a[i], "exact after load " .. i); check.eq(c[i], a[i], "from_bytes " .. i) end
    os.remove(path)
    local info = m:info()
    check.eq(info.buckets, 2 ^ 12, "buckets")
    check.eq(info.loss, o.loss or "lr", "loss")
  end
end

-- The whole TF-IDF pipeline (sublinear tf, smooth idf, L2 rows, regularised bias, dual CD)
-- against scikit-learn on a corpus of space-separated words (one unit each, unigrams, no
-- hash collisions among its 9 words). Expected decision values computed with
--   TfidfVectorizer(analyzer=str.split, sublinear_tf=True, smooth_idf=True, norm="l2")
--   LogisticRegression(C=4, solver="liblinear", tol=1e-12, intercept_scaling=1)
-- (/usr/bin/python3, scikit-learn 1.2.1); unseen words are ignored by both.
function T.tfidf_matches_sklearn()
  local tr = { "good great fine good", "bad awful", "good fine", "awful bad bad poor", "great good love",
               "bad poor hate", "fine great", "poor awful hate hate", "love good", "meh bad" }
  local y = { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 }
  local m = S.linear.train(tr, y, { ngrams = 1, C = 4, min_df = 1, eps = 1e-10, max_iter = 100000 })
  check.eq(m:info().n_features, 9, "9 words, no collision")
  local z = m:score({ "good good bad", "love awful unknown", "fine", "hate meh great" })
  check.all_near(z, { 0.43049848, -0.01502092, 1.10654946, -0.49965188 }, 1e-6, "decision values")
end

-- NB weighting (binary features x_j = r_j / |r_review|, r_j = log((1 + p_j) / (B + sum p)) -
-- log((1 + q_j) / (B + sum q)) from document counts p, q per class over all B buckets): the
-- model's scores equal those of the bare solver (checked against scipy above) on features
-- built here from the words' bucket ids.
function T.nb_features_by_hand()
  local tr = { "good great fine good", "bad awful", "good fine", "awful bad bad poor", "great good love",
               "bad poor hate", "fine great", "poor awful hate hate", "love good", "meh bad" }
  local y = { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 }
  local B, C = 2 ^ 16, 2
  local m = S.linear.train(tr, y, { ngrams = 1, buckets = B, C = C, min_df = 1, nb = true, idf = false,
                                    tf = "binary", eps = 1e-10, max_iter = 100000 })
  local function ids_of(s)
    local seen, out = {}, {}
    for w in s:gmatch("%S+") do
      local id = tide.core.text.ids(nil, { w }, 0, 1, B):totable()[1]
      if not seen[id] then seen[id] = true; out[#out + 1] = id end
    end
    return out
  end
  local cnt, tot = { [0] = {}, [1] = {} }, { [0] = 0, [1] = 0 }
  local docs = {}
  for i, s in ipairs(tr) do
    docs[i] = ids_of(s)
    for _, id in ipairs(docs[i]) do cnt[y[i]][id] = (cnt[y[i]][id] or 0) + 1; tot[y[i]] = tot[y[i]] + 1 end
  end
  local function r(id)
    return math.log((1 + (cnt[1][id] or 0)) / (B + tot[1])) - math.log((1 + (cnt[0][id] or 0)) / (B + tot[0]))
  end
  local function feats(ids)
    local idx, val, ss = {}, {}, 0
    for _, id in ipairs(ids) do
      if cnt[0][id] or cnt[1][id] then idx[#idx + 1] = id; ss = ss + r(id) ^ 2 end
    end
    for k, id in ipairs(idx) do val[k] = r(id) / math.sqrt(ss) end
    return idx, val
  end
  local off, idx, val = { 0 }, {}, {}
  for i, d in ipairs(docs) do
    local a, b = feats(d)
    for k = 1, #a do idx[#idx + 1] = a[k]; val[#val + 1] = b[k] end
    off[i + 1] = #idx
  end
  local Tn = tide.tensor
  local w = tide.core.linear.dcd(Tn.fromtable(off, "i64"), Tn.fromtable(idx, "i32"), Tn.fromtable(val, "f32"),
    Tn.fromtable(y, "i32"), B, { C = C, eps = 1e-10, max_iter = 100000 })
  local probe = { "good good bad", "love awful unknown", "fine", "hate meh great" }
  local z = m:score(probe)
  for i, s in ipairs(probe) do
    local a, b = feats(ids_of(s))
    local want = w[B + 1]
    for k = 1, #a do want = want + w[a[k] + 1] * b[k] end
    check.near(z[i], want, 1e-5, "score of '" .. s .. "'")
  end
end

-- contributions of the units sum with the bias to the log-odds; the sentiment word leads
function T.linear_explains()
  local texts, labels = synth(800, 2)
  local m = S.linear.train(texts, labels, { buckets = 2 ^ 12 })
  local s = "f1 great f2"
  local toks, contrib, bias = m:explain(s)
  check.eq(#toks, 3, "one contribution per unit")
  local z = bias
  for i = 1, #contrib do z = z + contrib[i] end
  check.near(z, m:score({ s })[1], 1e-5, "sum = score")
  local r = S.score(m, { s }, { explain = 1 })[1]
  check.eq(r.tokens[1][1], "great", "top token")
  check.near(r.p, 1 / (1 + math.exp(-m:score({ s })[1])), 1e-12, "p = sigmoid(z)")
end

function T.linear_errors()
  local texts, labels = synth(50, 3)
  check.errors(function() S.linear.train(texts, labels, { level = 1 }) end, "unknown option 'level'")
  check.errors(function() S.linear.train(texts, labels, { tf = "log" }) end, "tf must be")
  check.errors(function() S.linear.train(texts, labels, { ngrams = 9 }) end, "ngrams must be an integer in 1..8")
  check.errors(function() S.linear.train(texts, labels, { C = 0 }) end, "C must be > 0")
  check.errors(function() S.linear.train(texts, labels, { loss = "hinge" }) end, "loss must be")
  local bad = { unpack(labels) }
  bad[7] = 2
  check.errors(function() S.linear.train(texts, bad, {}) end, "labels[7] = 2")
  local one = {}
  for i = 1, #texts do one[i] = 1 end
  check.errors(function() S.linear.train(texts, one, {}) end, "one class only")
  check.errors(function() S.linear.train({}, {}, {}) end, "no reviews")
  check.errors(function() S.linear.train(texts, { 1 }, {}) end, "need 50 labels")
  check.errors(function() S.linear.load(os.tmpname()) end, "not a tide linear model")
  check.errors(function() S.linear.from_bytes("TIDELN01" .. ("\0"):rep(70)) end, "")
end

-- the bare solver binding: the primal optimum of L2-regularised logistic regression with a
-- regularised bias, C = 2, on the 8 x 3 matrix of tests/c/test_linear.c (expected weights
-- from scipy.optimize.minimize on the primal, BFGS, gtol 1e-12)
function T.dcd_binding_optimum()
  local X = { { 1, 0, 0.5 }, { 0.2, 1, 0 }, { 0, 0.3, 1 }, { 1, 1, 0 }, { 0, 0, 1 }, { 0.7, 0, 0.2 }, { 0, 0.9, 0.4 }, { 0.5, 0.5, 0.5 } }
  local y = { 1, 0, 0, 1, 0, 1, 0, 1 }
  local off, idx, val = { 0 }, {}, {}
  for i, row in ipairs(X) do
    for j, v in ipairs(row) do if v ~= 0 then idx[#idx + 1] = j - 1; val[#val + 1] = v end end
    off[i + 1] = #idx
  end
  local Tn = tide.tensor
  local w, iters = tide.core.linear.dcd(Tn.fromtable(off, "i64"), Tn.fromtable(idx, "i32"), Tn.fromtable(val, "f32"),
    Tn.fromtable(y, "i32"), 3, { C = 2, eps = 1e-9, max_iter = 100000 })
  check.truthy(iters >= 1, "iterations")
  check.all_near(w, { 1.68488239, -0.53519253, -0.62998988, -0.13563087 }, 1e-5, "w, bias")
  check.errors(function() tide.core.linear.dcd(Tn.fromtable(off, "i64"), Tn.fromtable(idx, "i32"),
    Tn.fromtable(val, "f32"), Tn.fromtable({ 1, 0, 0, 1, 0, 1, 0, 3 }, "i32"), 3, {}) end, "labels[8] = 3")
  check.errors(function() tide.core.linear.dcd(Tn.fromtable(off, "i64"), Tn.fromtable(idx, "i32"),
    Tn.fromtable(val, "f32"), Tn.fromtable(y, "i32"), 2, {}) end, "outside [0, 2)")
end

-- the default model is the linear model; "mix" an ensemble of the mix members in one file
function T.default_and_mix_models()
  local texts, labels = synth(600, 4)
  local tt, tl = synth(200, 5)
  local d = S.train("default", texts, labels)
  check.eq(d.kind, "linear", "default kind")
  check.eq(d:info().buckets, 2 ^ 20, "linear defaults")
  local m = S.train("mix", texts, labels, { seed = 3 })
  check.eq(#m.members, #S.mix_members, "members")
  check.truthy(S.evaluate(m, tt, tl).accuracy > 0.9, "learns")
  local path = os.tmpname()
  m:save(path)
  local a, b = m:prob(tt), S.load(path):prob(tt)
  for i = 1, #tt do check.near(b[i], a[i], 1e-12, "reload " .. i) end
  os.remove(path)
  check.errors(function() S.train("default", texts, labels, { epochs = 3 }) end, "takes only 'seed'")
  check.errors(function() S.train("mix", texts, labels, { C = 3 }) end, "takes only 'seed'")
  check.errors(function() S.train("ensemble", texts, labels, {}) end, "needs opts.members")
end

-- an ensemble of linear and fastText members is scored in one C pass (linear_mix.c); it must
-- equal the mean of the members' clamped log-odds computed here from their own :prob, also
-- when the members tokenize differently (then the Lua path is used)
function T.fused_ensemble_equals_mean_log_odds()
  local texts, labels = synth(500, 6)
  local tt = synth(100, 7)
  tt[#tt + 1] = ""
  local lin = S.linear.train(texts, labels, { buckets = 2 ^ 12 })
  local lin2 = S.linear.train(texts, labels, { buckets = 2 ^ 12, punct = false })
  local ft = S.fasttext.train(texts, labels, { epochs = 3, buckets = 2 ^ 12, dim = 8 })
  local function lg(p) p = math.min(math.max(p, 1e-7), 1 - 1e-7); return math.log(p / (1 - p)) end
  for _, ms in ipairs({ { lin, ft }, { lin, lin, ft }, { lin2, ft } }) do
    local want = {}
    for i = 1, #tt do want[i] = 0 end
    for _, m in ipairs(ms) do
      local p = m:prob(tt)
      for i = 1, #tt do want[i] = want[i] + lg(p[i]) / #ms end
    end
    local got = S.ensemble(ms):prob(tt)
    for i = 1, #tt do check.near(got[i], 1 / (1 + math.exp(-want[i])), 1e-12, "row " .. i) end
  end
  check.errors(function() tide.core.linear.mix_score({ lin2.native }, { ft.native }, { "x" }) end, "tokenize differently")
  check.errors(function() tide.core.linear.mix_score({ ft.native }, {}, { "x" }) end, "expected linear model")
end

-- stratified split: per class round(20 %) of the rows (counted here), deterministic, a
-- repeated text on one side only
function T.stratified_split()
  local labels, texts = {}, {}
  for i = 1, 1000 do labels[i] = i <= 700 and 1 or 0; texts[i] = "t" .. (i <= 900 and i or i - 900) end
  local tr, te = S.io.stratified_split(labels)
  local pos = 0
  for _, i in ipairs(te) do pos = pos + labels[i] end
  check.eq(#te, 200, "20 % of 1000")
  check.eq(pos, 140, "20 % of the 700 positives")
  check.eq(#tr + #te, 1000, "partition")
  local tr2, te2 = S.io.stratified_split(labels)
  check.all_near(te2, te, 0, "deterministic")
  -- rows 901..1000 repeat the texts of rows 1..100
  local _, teg = S.io.stratified_split(labels, { texts = texts })
  local side = {}
  for _, i in ipairs(teg) do side[i] = true end
  for i = 901, 1000 do check.eq(side[i] == true, side[i - 900] == true, "copy of row " .. (i - 900)) end
  check.errors(function() S.io.stratified_split(labels, { test_pct = 150 }) end, "test_pct must be in [0, 100]")
end

function T.labels_checked_with_lines()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write('label,review\n1,"two\nlines"\n0,ok\n0.5,half\n')
  f:close()
  local c = S.io.read_csv(path)
  check.all_near(c.lines, { 2, 4, 5 }, 0, "file line of each row")
  check.errors(function() S.io.check_labels(c) end, path .. ":5: label 0.5 is not 0 or 1")
  os.remove(path)
end

-- Stacks: the default's members and one of three (TF-IDF C 16 and C 4 share a view, NB-TF-IDF
-- the second): one two-view model scoring the intercept plus the weighted members, each
-- trained here on all rows with the same options; exact reload; explanations summing to the
-- score; S.train("default") is the default stack.
function T.stack_is_weighted_members()
  local texts, labels = synth(600, 4)
  local tt, tl = synth(200, 11)
  local three = { { C = 16 }, { C = 4 }, { C = 4, nb = true } }
  for _, members in ipairs({ S.linear.stack_members, three }) do
    local m = S.linear.train_stack(texts, labels, { buckets = 2 ^ 12, seed = 5, members = members })
    check.eq(#m.weights, #members + 1, "intercept + weights")
    check.eq(#m.oof_acc, #members + 1, "members + the stack")
    for i = 1, #m.oof_acc do check.truthy(m.oof_acc[i] > 0.9 and m.oof_acc[i] <= 1, "oof accuracy " .. m.oof_acc[i]) end
    check.eq(m:info().views, 2, "views")
    check.truthy(S.evaluate(m, tt, tl).accuracy > 0.95, "held-out accuracy")
    local want = {}
    for i = 1, #tt do want[i] = m.weights[1] end
    for k, mo in ipairs(members) do
      local o = { buckets = 2 ^ 12, seed = 5 }
      for key, v in pairs(mo) do o[key] = v end
      local z = S.linear.train(texts, labels, o):score(tt)
      for i = 1, #tt do want[i] = want[i] + m.weights[k + 1] * z[i] end
    end
    check.all_near(m:score(tt), want, 1e-5, "stack = intercept + weighted members")
  end
  local m = S.linear.train_stack(texts, labels, { buckets = 2 ^ 12 })
  local path = os.tmpname()
  m:save(path)
  local a, b = m:score(tt), S.load(path):score(tt)
  for i = 1, #tt do check.eq(b[i], a[i], "exact after load " .. i) end
  os.remove(path)
  local _, contrib, bias = m:explain(tt[1])
  local z = bias
  for i = 1, #contrib do z = z + contrib[i] end
  check.near(z, a[1], 1e-5, "explanations sum to the score")
  check.eq(S.train("default", texts, labels):info().views, 2, "the default is the stack")
end

-- Negation scoping (on by default): the model keeps the flag, scores texts exactly as its
-- ids (score_ids on tide.core.text.ids with that flag), reloads bit-identically from a file
-- and from bytes, and learns the negated phrase apart from the plain one.
function T.negation_scoping()
  local fill, good = { "菜", "饭", "送", "店", "快", "家", "量", "味" }, { "好", "香", "棒" }
  local x = 7
  local function rnd(k) x = (x * 1103515245 + 12345) % 2147483648; return math.floor(x / 65536) % k + 1 end
  local function corpus(n)
    local texts, labels = {}, {}
    for i = 1, n do
      local y = rnd(2) - 1
      local w = {}
      for j = 1, 4 do w[j] = fill[rnd(#fill)] end
      w[rnd(4)] = (y == 1 and "很" or (rnd(2) == 1 and "不" or "没")) .. good[rnd(#good)]
      texts[i], labels[i] = table.concat(w), y
    end
    return texts, labels
  end
  local texts, labels = corpus(600)
  local tt, tl = corpus(200)
  local NEG = tide.core.text.NEG
  local m = S.linear.train_stack(texts, labels, { buckets = 2 ^ 12 })
  local off = S.linear.train_stack(texts, labels, { buckets = 2 ^ 12, negation = false })
  check.eq(math.floor(m:info().flags / NEG) % 2, 1, "the default marks negation")
  check.eq(math.floor(off:info().flags / NEG) % 2, 0, "negation = false")
  check.truthy(S.evaluate(m, tt, tl).accuracy > 0.95, "held-out accuracy")
  local z = m:score(tt)
  local ids, offsets = tide.core.text.ids(nil, tt, m:info().flags, 3, 2 ^ 12)
  local zi = m:score_ids(ids, offsets)
  for i = 1, #tt do check.eq(zi[i], z[i], "score_ids = score " .. i) end
  local path = os.tmpname()
  m:save(path)
  local a, b = S.load(path):score(tt), S.linear.from_bytes(m:to_bytes()):score(tt)
  for i = 1, #tt do check.eq(a[i], z[i], "exact after load " .. i); check.eq(b[i], z[i], "from_bytes " .. i) end
  os.remove(path)
  local _, contrib, bias = m:explain("菜不好饭")
  local s = bias
  for i = 1, #contrib do s = s + contrib[i] end
  check.near(s, m:score({ "菜不好饭" })[1], 1e-5, "explanations sum to the score")
  check.truthy(m:score({ "不好" })[1] < 0 and m:score({ "很好" })[1] > 0, "negated phrase apart")
  check.errors(function() S.linear.train(texts, labels, { negation = 1 }) end, "negation must be a boolean")
  check.errors(function() m:score_ids(tide.tensor.fromtable({ 2 ^ 12 }, "i32"), tide.tensor.fromtable({ 0, 1 }, "i64")) end, "outside [0, 4096)")
end

function T.stack_errors()
  local texts, labels = synth(60, 6)
  check.errors(function() S.linear.train_stack(texts, labels, { C = 3 }) end, "unknown option 'C'")
  check.errors(function() S.linear.train_stack(texts, labels, { members = {} }) end, "members must be a list of 1 to 8")
  check.errors(function() S.linear.train_stack(texts, labels, { members = { { ngrams = 2 } } }) end,
    "members[1]: unknown option 'ngrams'")
  check.errors(function() S.linear.train_stack(texts, labels, { members = { 5 } }) end, "members[1] must be a table")
  check.errors(function() S.linear.train_stack(texts, labels, { folds = 1 }) end, "folds must be an integer >= 2")
  check.errors(function() S.linear.train_stack({ "a", "b", "c" }, { 0, 1, 0 }) end, "3 reviews are too few for 3 folds")
  local bad = { unpack(labels) }
  bad[2] = 0.5
  check.errors(function() S.linear.train_stack(texts, bad) end, "labels[2] = 0.5")
  check.errors(function() S.linear.train_stack(texts, labels, { members = { { tf = "log" } } }) end, "tf must be")
  check.errors(function() S.linear.train_stack(texts, labels, { members = { { loss = "svm" } } }) end, "not a logistic regression")
  -- the binding checks its arguments before any fit
  local Tn, core = tide.tensor, tide.core.linear
  local ids, off = tide.core.text.ids(nil, texts, 0, 1, 64)
  local y, fold = Tn.fromtable(labels, "i32"), {}
  for i = 1, #texts do fold[i] = i % 3 end
  local f = Tn.fromtable(fold, "i32")
  check.errors(function() core.stack(ids, off, y, Tn.fromtable({ 0, 1 }, "i32"), 3, { {} }, { buckets = 64 }) end, "2 folds for 60 rows")
  check.errors(function() core.stack(ids, off, y, f, 3, { 7 }, { buckets = 64 }) end, "members[1] must be a table")
  check.errors(function() core.stack(ids, off, y, f, 3, {}, { buckets = 64 }) end, "1 to 8 members")
  check.errors(function() core.stack(ids, off, y, f, 3, { {} }, { buckets = 0 }) end, "opts.buckets must be in")
  check.errors(function() core.stack(ids, off, y, f, 3, { { C = -1 } }, { buckets = 64 }) end, "opts.C must be > 0")
  local m, w, acc = core.stack(ids, off, y, f, 3, { {} }, { ngrams = 1, buckets = 64 })
  check.eq(#w, 2, "intercept + one weight")
  check.eq(#acc, 2, "one member + the stack")
end

return T
