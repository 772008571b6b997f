-- sentiment_paired.lua — is a model's accuracy difference from the scikit-learn peer more than
-- noise? For each corpus, the test-split probabilities that bench_sentiment.lua and
-- bench_sentiment_sklearn.py wrote to OUTDIR (<name>_<model>.p, <name>_sklearn.p) are paired
-- row by row (tide.sentiment.metrics.compare): difference in points, 95 % interval, the rows
-- only one of the two gets right, McNemar's exact p.
-- Usage: luajit tests/bench/sentiment_paired.lua OUTDIR
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local S = require("tide").sentiment
local dir = arg[1] or "/tmp"
local models = { "default", "mix", "fasttext", "ft+lex", "lexicon", "textcnn", "cnn_x2", "ft+cnn" }

local function read_probs(path)
  local f = io.open(path)
  if not f then return nil end
  local p = {}
  for line in f:lines() do p[#p + 1] = assert(tonumber(line), path .. ": not a number: " .. line) end
  f:close()
  return p
end

print(("%-10s %-9s %8s %17s %6s %6s %9s"):format("corpus", "model", "vs sk", "95 % interval", "only", "only", "McNemar"))
print(("%-10s %-9s %8s %17s %6s %6s %9s"):format("", "", "(points)", "", "model", "sk", "p"))
for _, cp in ipairs(dofile("tests/bench/sentiment_corpora.lua").list) do
  local name = cp[1]
  local sk = read_probs(("%s/%s_sklearn.p"):format(dir, name))
  if sk then
    local y = S.io.read_csv(("%s/%s_test.csv"):format(dir, name)).labels
    for _, m in ipairs(models) do
      local p = read_probs(("%s/%s_%s.p"):format(dir, name, m))
      if p then
        local r = S.metrics.compare(y, p, sk)
        print(("%-10s %-9s %+8.2f [%+6.2f, %+6.2f] %6d %6d %9.3g"):format(name, m, 100 * r.diff,
          100 * r.lo, 100 * r.hi, r.b, r.c, r.p))
      end
    end
  end
end
