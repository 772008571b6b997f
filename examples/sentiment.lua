-- examples/sentiment.lua — review sentiment end to end (run: scripts/tide run examples/sentiment.lua)
-- 1. fastText-style classifier on the Chinese food-delivery reviews (fixed seeded split),
-- 2. explanations, the lexicon scorer as a prior,
-- 3. sentiment E per item and per (user, item) over time from the Amazon beauty reviews,
--    time-decayed with a one-year half-life, ready to join to interest / activation features.
-- Reads ../shared/data (not redistributable, so not copied into examples/).
local tide = require "tide"
local S = tide.sentiment

local W = "../shared/data/chinese-review-sentiment/waimai_10k.csv"
local A = "../shared/data/amazon-all-beauty-5core/All_Beauty_5.json.gz"
if not io.open(W) or not io.open(A) then print("examples/sentiment.lua: ../shared/data not found"); return end

local c = S.io.read_csv(W)
local tr, te = S.io.split(c.n, { texts = c.texts })
local train, test = S.io.subset(c, tr), S.io.subset(c, te)
local ft = S.train("fasttext", train.texts, train.labels)
local q = S.evaluate(ft, test.texts, test.labels)
print(("waimai fastText: accuracy %.3f  F1 %.3f  AUC %.3f on %d held-out reviews"):format(q.accuracy, q.f1, q.auc, q.n))
for _, r in ipairs(S.score(ft, { "很好吃，送餐也快", "太难吃了，还送晚了一个小时" }, { explain = 3 })) do
  local toks = {}
  for _, t in ipairs(r.tokens) do toks[#toks + 1] = ("%s %+.2f"):format(t[1], t[2]) end
  print(("  P(positive) %.3f  intensity %+.3f  drivers: %s"):format(r.p, r.intensity, table.concat(toks, ", ")))
end

-- English reviews with users, items and times: train on the split, score everything, aggregate
local a = S.io.read_amazon(A)
local atr = S.io.split(a.n, { texts = a.texts })
local at = S.io.subset(a, atr)
local en = S.train("fasttext", at.texts, at.labels)
local p = en:prob(a.texts)
local score = {}
for i = 1, #p do score[i] = 2 * p[i] - 1 end
local E = S.aggregate({ user = a.user, item = a.item, time = a.time, score = score },
                      { half_life = 365 * 86400, prior = 0.2 })
print(("E: %d items, %d (user, item) pairs, as of %s"):format(#E.item.item, #E.user_item.user, os.date("!%Y-%m-%d", E.now)))
local idx = {}
for i = 1, #E.item.item do idx[i] = i end
table.sort(idx, function(x, y) return E.item.sentiment[x] < E.item.sentiment[y] end)
for k = 1, 3 do
  local i = idx[k]
  print(("  lowest decayed sentiment: item %s  %.3f  (%d reviews)"):format(E.item.item[i], E.item.sentiment[i], E.item.n[i]))
end
