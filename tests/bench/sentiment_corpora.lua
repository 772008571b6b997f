-- sentiment_corpora.lua — the review corpora the sentiment benches and the tuner share, and
-- their fixed held-out split: stratified 80/20 (tide.sentiment.io.stratified_split: within each
-- class, 20 % of the rows by a seeded hash of the row; repeated texts stay together).
--   local C = dofile("tests/bench/sentiment_corpora.lua")
--   for name, c, train, test in C.each(filter) do ... end   (missing files print "skip ...")
--   C.write_csv(path, texts, labels)                         (label,review; for the peer)
local S = require("tide").sentiment
local D = "../shared/data/"
local M = {}
M.list = {
  { "hotel", D .. "chinese-review-sentiment/ChnSentiCorp_htl_all.csv.gz" },
  { "waimai", D .. "chinese-review-sentiment/waimai_10k.csv" },
  { "shopping", D .. "chinese-review-sentiment/online_shopping_10_cats.csv.gz" },
  { "beauty_en", D .. "amazon-all-beauty-5core/All_Beauty_5.json.gz" },
}

-- Iterates over the corpora whose name occurs in filter (a comma list; nil = all), yielding
-- name, the whole corpus, its training rows and its test rows (tide.sentiment.io tables).
function M.each(filter)
  return coroutine.wrap(function()
    for _, cp in ipairs(M.list) do
      local name, path = cp[1], cp[2]
      if not filter or filter:find(name, 1, true) then
        local fh = io.open(path, "rb")
        if not fh then print("skip " .. name .. ": " .. path .. " not found") else
          fh:close()
          local c = path:match("%.json") and S.io.read_amazon(path) or S.io.read_csv(path)
          local tr, te = S.io.stratified_split(c.labels, { texts = c.texts })
          coroutine.yield(name, c, S.io.subset(c, tr), S.io.subset(c, te))
        end
      end
    end
  end)
end

function M.write_csv(path, texts, labels)
  local f = assert(io.open(path, "w"))
  f:write("label,review\n")
  for i = 1, #texts do f:write(labels[i], ',"', (texts[i]:gsub('"', '""')), '"\n') end
  f:close()
end

return M
