-- tune_sentiment.lua — model selection for the sentiment models WITHOUT the test split:
-- K-fold cross-validation over the TRAINING rows of the bench's stratified 80/20 split
-- (sentiment_corpora.lua; folds below), mean validation accuracy per corpus for each option set.
-- Usage: luajit tests/bench/tune_sentiment.lua KIND K 'OPTS1' ['OPTS2' ...]
--   KIND: default | linear | fasttext | textcnn | ensemble;  OPTS: a Lua table literal, e.g.
--   '{epochs = 5, dim = 64}', or for ensemble '{members = {{"linear", {C = 16}}, {"fasttext"}}}'
--   env TUNE_CORPORA=hotel,waimai limits the corpora; TUNE_FOLDS=1 runs only the first fold.
--   TUNE_PEER=1 also prints the scikit-learn peer (bench_sentiment_sklearn.py) on the same
--   folds, so a model can be compared with it without the test split.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local S = tide.sentiment
local now = tide.core.io.wall
local kind, K = arg[1], tonumber(arg[2])
local corpora = dofile("tests/bench/sentiment_corpora.lua")
local want = os.getenv("TUNE_CORPORA")
local nfold = tonumber(os.getenv("TUNE_FOLDS") or K)
local data = {}
for name, _, train in corpora.each(want) do data[#data + 1] = { name, train } end

-- folds by tide.sentiment.io.folds: a text repeated over rows (beauty_en repeats reviews
-- across product variants) never sits on both sides of a fold
local function folds(c, f)
  c.fold = c.fold or S.io.folds(c.texts, K)
  local tt, tl, vt, vl = {}, {}, {}, {}
  for j = 1, c.n do
    if c.fold[j] == f then vt[#vt + 1], vl[#vl + 1] = c.texts[j], c.labels[j]
    else tt[#tt + 1], tl[#tl + 1] = c.texts[j], c.labels[j] end
  end
  return tt, tl, vt, vl
end

if os.getenv("TUNE_PEER") == "1" then
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. dir) == 0)
  local line, sum = {}, 0
  for _, d in ipairs(data) do
    local acc = 0
    for f = 0, nfold - 1 do
      local tt, tl, vt, vl = folds(d[2], f)
      corpora.write_csv(dir .. "/tr.csv", tt, tl); corpora.write_csv(dir .. "/va.csv", vt, vl)
      local p = io.popen("/usr/bin/python3 tests/bench/bench_sentiment_sklearn.py x " .. dir .. "/tr.csv " .. dir .. "/va.csv")
      local out = p:read("*a"); p:close()
      acc = acc + assert(tonumber(out:match("acc=([%d.]+)")), "peer failed: " .. out) / nfold
    end
    line[#line + 1] = ("%s %.4f"):format(d[1], acc)
    sum = sum + acc
  end
  os.execute("rm -rf " .. dir)
  print(("%-50s mean %.4f | %s"):format("sklearn peer", sum / #data, table.concat(line, "  ")))
  io.stdout:flush()
end

for a = 3, #arg do
  local opts = assert(loadstring("return " .. arg[a]))()
  local line, sum = {}, 0
  for _, d in ipairs(data) do
    local name, c = d[1], d[2]
    local acc, t0 = 0, now()
    for f = 0, nfold - 1 do
      local tt, tl, vt, vl = folds(c, f)
      local m
      if opts.bag then -- experiment: mean log-odds of models trained with seeds 1..bag
        local ms = {}
        for b = 1, opts.bag do
          local o = {}; for k, v in pairs(opts) do o[k] = v end
          o.bag, o.seed = nil, b * 7919
          ms[b] = S.train(kind, tt, tl, o)
        end
        m = S.ensemble(ms)
      else m = S.train(kind, tt, tl, opts) end
      acc = acc + S.evaluate(m, vt, vl).accuracy / nfold
    end
    line[#line + 1] = ("%s %.4f (%.0fs)"):format(name, acc, now() - t0)
    sum = sum + acc
  end
  print(("%-50s mean %.4f | %s"):format(arg[a], sum / #data, table.concat(line, "  ")))
  io.stdout:flush()
end
