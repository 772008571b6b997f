-- tune_sentiment_views.lua — would other hashed feature views help train_stack's default?
-- Chosen WITHOUT the test split: K-fold out-of-fold log-odds over the TRAINING rows of the
-- bench's split (sentiment_corpora.lua) for members NAME=VIEW{OPTS} (core.linear.train on
-- the view's ids, scored by score_ids), printed alone, and for the stacked logistic regression
-- (cross-fitted over the folds) of every subset of members.
-- Usage: luajit tests/bench/tune_sentiment_views.lua K 'NAME=VIEW{OPTS}'...  (env TUNE_CORPORA)
--   VIEW joins with '+': uni (unit 1-3-grams, train's ids), skipG (unit pairs with a gap of
--   1..G units), negW (units within W after a negator, marked), words (greedy longest match
--   over a lexicon of cohesive 2-4-unit strings of the training texts), pos (units and
--   bigrams of the first / last 4 units, marked), len (a bucket per log2 length), butW /
--   intW (units within W after a contrast word / an intensifier, marked).
--   OPTS: C, nb, tf ("binary"), loss ("svm"), min_df. Dense members (not '+'-joined): sgns
--   (per fold, skip-gram unit vectors of the fold's training texts, core.sgns, pooled per
--   review, then core.glm's L2 logistic regression; OPTS dim, epochs, window, sample, pool
--   "mean" | "meanmax", C), fasttext (tide.sentiment.fasttext on the fold; its OPTS) and
--   textcnn (tide.sentiment.textcnn on the fold; its OPTS).
--   Views are prototyped in Lua from the tokenizer's units, hashed into the same buckets
--   ("uni" is without the tokenizer's negation flag; neg3 is what became TIDE_TEXT_NEG,
--   text_ids.c, with the same ids). env TUNE_META=1 lets the stacker see the review length
--   (member weights varying with it); TUNE_COLLAPSE=1 shortens runs of 3+ equal characters
--   to 2 first; TUNE_CLEAN=tau drops training rows whose label gets out-of-fold P < tau
--   before each linear member's fit; TUNE_BUCKETS, LEX_MINC, LEX_PMI.
-- Findings (2026-12, hotel / waimai / shopping, stack vs the default's two members): skip
-- pairs, learned words, position/length ids, the length-aware stacker and collapsed runs tie
-- or lose; an L2-SVM or words member helps shopping only; negation marking gains everywhere;
-- on top of it, contrast (but4) and intensifier (int2) marking tie (within +-0.03 pt).
-- Dense members (2026-12, issue 17; stack tfidf+nb = uni+neg3{C=4} and uni+neg3{C=4,nb=true},
-- the default; accuracy with the member, rows gained / lost against the stack without it):
--              hotel 4 / 5 folds           waimai 4 / 5 folds          shopping 4 / 5 folds
--   without    .9058 / .9081               .9038 / .9045               .9374 / .9383
--   d64mm      .9068 +24-18 / .9073 +14-19 .9038 +3-3 / .9040 +5-10    .9379 +50-24 / .9386 +52-36
--   d128mm     .9052 +1-5 / .9075 +2-6     .9043 +18-13 / .9044 +20-21 .9375 +9-4 / .9384 +27-21
--   (d64mm = sgns{dim=64,epochs=5,pool="meanmax"}, d128mm = sgns{dim=128,epochs=10,
--   pool="meanmax",C=0.1}; alone .82-.87 / .85-.88; mean pooling, hotel 4 folds: .9063 +43-40.)
--   fasttext{epochs=5} at 4 folds: hotel .9060 +12-11, waimai .9031 +16-22. All ties (within
--   +-0.1 pt), losing on hotel and waimai at 5 folds; and the unit vectors alone cost 16 s of
--   single-threaded SGNS per fit on shopping's 50k rows (dim 64, 5 epochs). The default keeps
--   its two linear members.
--   textcnn{} (tide.sentiment.textcnn defaults, with its wide n-gram path; 2026-12-07, waimai,
--   4 folds): alone .9006, stack tfidf+nb+cnn .9045 +56-49 against .9038: a tie again, at 68 s
--   of CPU for the four CNNs on 7,200 rows each (shopping is seven times larger).
--   ("cnn=textcnn{}"; 'textcnn' is a dense view like sgns and fasttext.)
--   Label-noise filtering (TUNE_CLEAN=tau, 2026-12-07, waimai, 4 folds, the default's two
--   members): stack .9038 / .9035 at tau .03 / .10 against .9038 unfiltered (tfidf .9017 /
--   .9013 vs .9010, nb .8957 / .8980 vs .8961): ties; not adopted.
--   Other strengths (2026-12-07, 4 folds, members uni+neg3 with C = 1, 4, 16, with and without
--   nb; every subset stacked): the default pair t4+n4 gives hotel .9058, waimai .9038; the
--   best of the 63 subsets .9094 (t1+t16+n1) and .9051 (t1+t4+t16+n1), +0.36 / +0.13 pt as
--   the maximum over 63 draws, the other subsets within +-0.3 pt; alone, C = 16 is best on
--   hotel (.9023 nb) and C = 4 on waimai (.9010 tf-idf). A per-corpus choice of C would move a
--   few tenths at most; not adopted.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local S, T = tide.sentiment, tide.tensor
local text = require "tide.text"
local core = tide.core
local now = tide.core.io.wall
local K = tonumber(arg[1])
local corpora = dofile("tests/bench/sentiment_corpora.lua")
local B = tonumber(os.getenv("TUNE_BUCKETS") or 2 ^ 20)
local flags = text.flags({})
local meta = os.getenv("TUNE_META") == "1" -- the stacker also sees the review length

local memo = {}
local function bucket(s)
  local b = memo[s]
  if not b then
    b = tonumber(core.text.fnv1a(s):sub(-8), 16) % B
    memo[s] = b
  end
  return b
end

local intens = { ["很"] = true, ["太"] = true, ["超"] = true, ["最"] = true, ["真"] = true, ["特"] = true }
local negators = { ["不"] = true, ["没"] = true, ["无"] = true, ["别"] = true, ["未"] = true, ["非"] = true }

-- Lexicon of cohesive unit n-grams (2..4) of the training texts: count >= minc and, for every
-- split point, PMI log(p(ab) / (p(a) p(b))) >= pmi.
local function learn_lexicon(units_of, minc, pmi)
  local cnt, total = {}, 0
  for _, u in ipairs(units_of) do
    local n = #u
    for i = 1, n do
      total = total + 1
      local s = u[i]
      cnt[s] = (cnt[s] or 0) + 1
      for k = 2, 4 do
        if i + k - 1 > n then break end
        s = s .. u[i + k - 1]
        cnt[s] = (cnt[s] or 0) + 1
      end
    end
  end
  local lex = {}
  for s, c in pairs(cnt) do
    if c >= minc and #s > 3 then lex[s] = true end
  end
  -- check cohesion per split (over UTF-8 characters)
  local out, nw = {}, 0
  for s in pairs(lex) do
    local chars = {}
    for ch in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do chars[#chars + 1] = ch end
    if #chars >= 2 then
      local ok = true
      for cut = 1, #chars - 1 do
        local a, b = table.concat(chars, "", 1, cut), table.concat(chars, "", cut + 1)
        local ca, cb = cnt[a], cnt[b]
        if not ca or not cb or math.log(cnt[s] * total / (ca * cb)) < pmi then ok = false; break end
      end
      if ok then out[s] = #chars; nw = nw + 1 end
    end
  end
  return out, nw
end

local function extra_ids(u, v, lex, dst)
  local n = #u
  if v.skip then
    for i = 1, n do
      for g = 1, v.skip do
        local j = i + g + 1
        if j > n then break end
        dst[#dst + 1] = bucket("\2" .. g .. u[i] .. "\31" .. u[j])
      end
    end
  end
  -- the `width` units after a unit where trigger(i) holds get ids marked with `tag` (a new
  -- trigger restarts the window)
  local function mark_after(width, tag, trigger)
    local left = 0
    for i = 1, n do
      if left > 0 then dst[#dst + 1] = bucket(tag .. u[i]); left = left - 1 end
      if trigger(i) then left = width end
    end
  end
  if v.neg then mark_after(v.neg, "\3", function(i) return negators[u[i]] end) end
  if v.but then -- after a contrast word (但 却, 可是 不过 只是)
    mark_after(v.but, "\8", function(i)
      local a, b = u[i - 1], u[i]
      return b == "但" or b == "却" or (b == "是" and (a == "可" or a == "只")) or (b == "过" and a == "不")
    end)
  end
  if v.int then mark_after(v.int, "\9", function(i) return intens[u[i]] end) end -- after 很 太 超 最 真 特
  if v.pos then
    for i = 1, math.min(4, n) do dst[#dst + 1] = bucket("\5" .. u[i]) end
    for i = math.max(1, n - 3), n do dst[#dst + 1] = bucket("\6" .. u[i]) end
    for i = math.max(1, n - 4), n - 1 do dst[#dst + 1] = bucket("\6" .. u[i] .. u[i + 1]) end
  end
  if v.len then dst[#dst + 1] = bucket("\7" .. math.floor(math.log(n + 1) / math.log(2))) end
  if lex then
    local i = 1
    while i <= n do
      local took = false
      for k = 4, 2, -1 do
        if i + k - 1 <= n then
          local s = table.concat(u, "", i, i + k - 1)
          if lex[s] then dst[#dst + 1] = bucket("\4" .. s); i = i + k; took = true; break end
        end
      end
      if not took then i = i + 1 end
    end
  end
end

local function parse(spec)
  local v = {}
  for p in spec:gmatch("[^+]+") do
    if p == "uni" then v.uni = true
    elseif p:match("^skip%d$") then v.skip = tonumber(p:sub(5))
    elseif p:match("^neg%d$") then v.neg = tonumber(p:sub(4))
    elseif p:match("^but%d$") then v.but = tonumber(p:sub(4))
    elseif p:match("^int%d$") then v.int = tonumber(p:sub(4))
    elseif p == "words" or p == "pos" or p == "len" then v[p] = true
    else error("unknown view " .. p) end
  end
  return v
end

-- Dense member (view "sgns"): per fold, skip-gram embeddings of the units (core.sgns over the
-- fold's training texts only, units seen >= 2 times there), each review the mean (pool "mean")
-- or mean and max ("meanmax") of its units' vectors, then an L2 logistic regression (core.glm,
-- l2 = 1 / C on standardised features). Returns the held-out log-odds of rows vr.
local function dense_fold(c, fold, f, o, vr)
  local tr, ytr = {}, {}
  for i = 1, c.n do if fold[i] ~= f then tr[#tr + 1] = c.texts[i]; ytr[#ytr + 1] = c.labels[i] end end
  local v0 = core.text.vocab_new()
  v0:add_texts(tr, flags)
  local voc = v0:prune(2)
  v0:free()
  local V = voc:size()
  local ids, off = core.text.ids(voc, tr, flags, 1, 0)
  local E = core.sgns.train(ids, off, V, { dim = o.dim or 64, epochs = o.epochs or 5, window = o.window or 5,
    neg = 5, sample = o.sample or 1e-4, seed = 1 })
  local e = E:totable()
  local all, aoff = core.text.ids(voc, c.texts, flags, 1, 0)
  all, aoff = all:totable(), aoff:totable()
  voc:free()
  local d, maxp = o.dim or 64, o.pool == "meanmax"
  local function feats(i)
    local x, cnt = {}, aoff[i + 1] - aoff[i]
    for j = 1, (maxp and 2 or 1) * d do x[j] = j <= d and 0 or -1e9 end
    for k = aoff[i] + 1, aoff[i + 1] do
      local r = e[all[k] + 1]
      for j = 1, d do
        x[j] = x[j] + r[j]
        if maxp and r[j] > x[d + j] then x[d + j] = r[j] end
      end
    end
    for j = 1, d do x[j] = x[j] / math.max(cnt, 1) end
    if maxp and cnt == 0 then for j = d + 1, 2 * d do x[j] = 0 end end
    return x
  end
  local X = {}
  for i = 1, c.n do if fold[i] ~= f then X[#X + 1] = feats(i) end end
  local fit = core.glm.fit(T.fromtable(X, "f32"), T.fromtable(ytr, "f32"), nil, { l2 = 1 / (o.C or 1), cov = false })
  local b, mu, sd = fit.beta, fit.mean, fit.sd
  local z = {}
  for k, i in ipairs(vr) do
    local x, s = feats(i), b[1]
    for j = 1, #x do s = s + b[j + 1] * (x[j] - mu[j]) / sd[j] end
    z[k] = s
  end
  return z
end

-- the fold's training texts and labels, and the held-out texts (rows vr)
local function fold_texts(c, fold, f, vr)
  local tr, ytr, vt = {}, {}, {}
  for i = 1, c.n do if fold[i] ~= f then tr[#tr + 1] = c.texts[i]; ytr[#ytr + 1] = c.labels[i] end end
  for k, i in ipairs(vr) do vt[k] = c.texts[i] end
  return tr, ytr, vt
end

-- Dense member (view "fasttext"): tide.sentiment.fasttext (averaged unit and hashed n-gram
-- embeddings -> softmax) trained on the fold's training rows with OPTS; held-out log-odds.
local function fasttext_fold(c, fold, f, o, vr)
  local tr, ytr, vt = fold_texts(c, fold, f, vr)
  local m = S.fasttext.train(tr, ytr, o)
  local p = m:predict(vt):totable()
  local z = {}
  for k = 1, #vt do
    local a, b = math.max(p[k][1], 1e-7), math.max(p[k][2], 1e-7)
    z[k] = math.log(b / a)
  end
  return z
end

-- Dense member (view "textcnn"): tide.sentiment.textcnn trained on the fold with OPTS.
local function textcnn_fold(c, fold, f, o, vr)
  local tr, ytr, vt = fold_texts(c, fold, f, vr)
  local p = S.textcnn.train(tr, ytr, o):prob(vt)
  local z = {}
  for k = 1, #vt do
    local q = math.min(math.max(p[k], 1e-7), 1 - 1e-7)
    z[k] = math.log(q / (1 - q))
  end
  return z
end
local DENSE = { sgns = true, fasttext = true, textcnn = true }

local members = {}
for a = 2, #arg do
  local name, view, o = arg[a]:match("^([%w_]+)=([%w_+]+)(%b{})$")
  assert(name, "member spec NAME=VIEW{OPTS}: " .. arg[a])
  o = assert(loadstring("return " .. o))()
  if DENSE[view] then members[#members + 1] = { name = name, view = view, dense = o } else
  members[#members + 1] = { name = name, view = view, v = parse(view),
    opts = { flags = flags, ngrams = 3, buckets = B, tf = o.tf ~= "binary", idf = o.idf ~= false, nb = o.nb or false,
             min_df = o.min_df or 2, loss = o.loss or "lr", C = o.C or 4, eps = 0.1, max_iter = 100, seed = 1 } }
  end
end

local function logit_acc(c, zf)
  local ok = 0
  for i = 1, c.n do ok = ok + (((zf(i) > 0) and 1 or 0) == c.labels[i] and 1 or 0) end
  return ok / c.n
end

local fit_lr = dofile("tests/bench/stack_lr.lua")

-- TUNE_CLEAN=tau: label-noise filtering before each member's fit (confident learning,
-- Northcutt et al. 2021, in its simplest form): 3-fold out-of-fold probabilities over the
-- fold's training rows, the rows whose given label gets P < tau dropped, the rest refitted.
local clean_tau = tonumber(os.getenv("TUNE_CLEAN") or "")
local function clean(ti, to, tl, opts)
  local n = #tl
  local p_label = {}
  for g = 0, 2 do
    local ai, ao, al, bi, bo, br = {}, { 0 }, {}, {}, { 0 }, {}
    for r = 1, n do
      local dst_i, dst_o = (r % 3 == g) and bi or ai, (r % 3 == g) and bo or ao
      for k = to[r] + 1, to[r + 1] do dst_i[#dst_i + 1] = ti[k] end
      dst_o[#dst_o + 1] = #dst_i
      if r % 3 == g then br[#br + 1] = r else al[#al + 1] = tl[r] end
    end
    local m = core.linear.train(T.fromtable(ai, "i32"), T.fromtable(ao, "i64"), T.fromtable(al, "i32"), opts)
    local z = m:score_ids(T.fromtable(bi, "i32"), T.fromtable(bo, "i64"))
    m:free()
    for k, r in ipairs(br) do
      local p = 1 / (1 + math.exp(-z[k]))
      p_label[r] = tl[r] == 1 and p or 1 - p
    end
  end
  local ni, no, nl = {}, { 0 }, {}
  for r = 1, n do
    if p_label[r] >= clean_tau then
      for k = to[r] + 1, to[r + 1] do ni[#ni + 1] = ti[k] end
      no[#no + 1] = #ni; nl[#nl + 1] = tl[r]
    end
  end
  io.stderr:write(("clean: kept %d of %d rows\n"):format(#nl, n))
  return ni, no, nl
end

for name, _, c in corpora.each(os.getenv("TUNE_CORPORA")) do
  if os.getenv("TUNE_COLLAPSE") == "1" then -- runs of 3+ equal characters shortened to 2
    for i = 1, c.n do
      local t, k = c.texts[i], 1
      while k > 0 do t, k = t:gsub("([%z\1-\127\194-\244][\128-\191]*)%1%1", "%1%1") end
      c.texts[i] = t
    end
  end
  local ids, off = core.text.ids(nil, c.texts, flags, 3, B)
  local base, boff = ids:totable(), off:totable()
  local units = {}
  for i = 1, c.n do units[i] = core.text.units(c.texts[i], flags, 1) end
  local fold = S.io.folds(c.texts, K)
  local lex, nw
  local views = {} -- view name -> per-row id lists
  local Z, secs = {}, {}
  for i = 1, c.n do Z[i] = {} end
  for mi, mb in ipairs(members) do
    local rows = views[mb.view]
    if mb.dense then
      local t0 = now()
      for f = 0, K - 1 do
        local vr = {}
        for i = 1, c.n do if fold[i] == f then vr[#vr + 1] = i end end
        local fit = ({ sgns = dense_fold, fasttext = fasttext_fold, textcnn = textcnn_fold })[mb.view]
        local z = fit(c, fold, f, mb.dense, vr)
        for k, i in ipairs(vr) do Z[i][mi] = z[k] end
        collectgarbage()
      end
      secs[mi] = now() - t0
      goto next_member
    end
    if not rows then
      if mb.v.words and not lex then
        lex, nw = learn_lexicon(units, tonumber(os.getenv("LEX_MINC") or 20), tonumber(os.getenv("LEX_PMI") or 1))
      end
      rows = {}
      for i = 1, c.n do
        local r = {}
        if mb.v.uni then for k = boff[i] + 1, boff[i + 1] do r[#r + 1] = base[k] end end
        extra_ids(units[i], mb.v, mb.v.words and lex, r)
        rows[i] = r
      end
      views[mb.view] = rows
    end
    local t0 = now()
    for f = 0, K - 1 do
      local ti, to, tl, vi, vo, vr = {}, { 0 }, {}, {}, { 0 }, {}
      for i = 1, c.n do
        local r = rows[i]
        if fold[i] == f then
          for k = 1, #r do vi[#vi + 1] = r[k] end
          vo[#vo + 1] = #vi; vr[#vr + 1] = i
        else
          for k = 1, #r do ti[#ti + 1] = r[k] end
          to[#to + 1] = #ti; tl[#tl + 1] = c.labels[i]
        end
      end
      if clean_tau then ti, to, tl = clean(ti, to, tl, mb.opts) end
      local m = core.linear.train(T.fromtable(ti, "i32"), T.fromtable(to, "i64"), T.fromtable(tl, "i32"), mb.opts)
      local z = m:score_ids(T.fromtable(vi, "i32"), T.fromtable(vo, "i64"))
      m:free()
      for k, i in ipairs(vr) do Z[i][mi] = z[k] end
      collectgarbage()
    end
    secs[mi] = now() - t0
    ::next_member::
  end
  local lines = {}
  for mi, mb in ipairs(members) do
    lines[#lines + 1] = { logit_acc(c, function(i) return Z[i][mi] end), ("%-22s (%.0f s for %d folds)"):format(mb.name, secs[mi], K) }
  end
  local M, ref = #members, nil
  for mask = 1, 2 ^ M - 1 do
    local set, names = {}, {}
    for mi = 1, M do if math.floor(mask / 2 ^ (mi - 1)) % 2 == 1 then set[#set + 1] = mi; names[#names + 1] = members[mi].name end end
    if #set >= 2 then
      local X = {}
      for i = 1, c.n do
        X[i] = {}
        for k, mi in ipairs(set) do X[i][k] = Z[i][mi] end
        if meta then -- length-dependent member weights: z_m * (log2 units - 5) and the length itself
          local L = math.log(#units[i] + 1) / math.log(2) - 5
          for k, mi in ipairs(set) do X[i][#set + k] = Z[i][mi] * L end
          X[i][2 * #set + 1] = L
        end
      end
      local zs = {}
      for f = 0, K - 1 do
        local rows = {}
        for i = 1, c.n do if fold[i] ~= f then rows[#rows + 1] = i end end
        local w = fit_lr(X, c.labels, rows)
        for i = 1, c.n do
          if fold[i] == f then
            local z = w[1]
            for k = 1, #X[i] do z = z + w[k + 1] * X[i][k] end
            zs[i] = z
          end
        end
      end
      -- paired with the stack of the first two members: rows it gains / loses
      if mask == 3 then ref = zs end
      local gain, loss = 0, 0
      if ref then
        for i = 1, c.n do
          local a, b = (zs[i] > 0) == (c.labels[i] == 1), (ref[i] > 0) == (c.labels[i] == 1)
          if a and not b then gain = gain + 1 elseif b and not a then loss = loss + 1 end
        end
      end
      lines[#lines + 1] = { logit_acc(c, function(i) return zs[i] end),
        ("%-28s +%d -%d vs the first two"):format("stack " .. table.concat(names, "+"), gain, loss) }
    end
  end
  table.sort(lines, function(a, b) return a[1] > b[1] end)
  print(("%s: %d training rows, %d-fold out-of-fold accuracy (lexicon %s words)"):format(name, c.n, K, tostring(nw)))
  for _, l in ipairs(lines) do print(("  %.4f  %s"):format(l[1], l[2])) end
  io.stdout:flush()
end
