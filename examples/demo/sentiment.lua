-- sentiment.lua — demo stage: review sentiment (fastText-style) on a Chinese review slice.
return function(S)
  local tide, T, R, DATA, DAY, SESSION, fmt_table, outdir = S.tide, S.tide.tensor, S.R, S.DATA, S.DAY, S.SESSION, S.fmt_table, S.out
  print("\n== 7. review sentiment (fastText-style, Chinese food-delivery slice, seeded 80/20 split)")
  local S = tide.sentiment
  local c = S.io.read_csv(DATA .. "chinese-review-sentiment/waimai_10k_slice.csv")
  local tr, te = S.io.split(c.n, { texts = c.texts })
  local train, test = S.io.subset(c, tr), S.io.subset(c, te)
  local ft = S.train("fasttext", train.texts, train.labels)
  local q = S.evaluate(ft, test.texts, test.labels)
  print(("accuracy %.3f  F1 %.3f  AUC %.3f on %d held-out reviews"):format(q.accuracy, q.f1, q.auc, q.n))
  local ex = {}
  for _, r in ipairs(S.score(ft, { "很好吃，送餐也快", "太难吃了，还送晚了一个小时" }, { explain = 3 })) do
    local toks = {}
    for _, t in ipairs(r.tokens) do toks[#toks + 1] = ("%s %+.2f"):format(t[1], t[2]) end
    local line = ("P(positive) %.3f  intensity %+.3f  drivers: %s"):format(r.p, r.intensity, table.concat(toks, ", "))
    print("  " .. line)
    ex[#ex + 1] = line
  end
  R:section("7. Review sentiment"):text(("fastText-style classifier on %d training reviews: accuracy %.3f, F1 %.3f, AUC %.3f on %d held-out reviews."):format(
    #train.texts, q.accuracy, q.f1, q.auc, q.n)):pre(table.concat(ex, "\n"))

end
