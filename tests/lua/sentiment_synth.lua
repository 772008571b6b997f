-- sentiment_synth.lua — synthetic reviews for the sentiment tests: five filler words with one
-- label word (from pos or neg) at a random place; a fixed LCG makes them identical everywhere.
local M = {}

--- synth(n, seed, pos, neg) -> texts, labels (0/1)
function M.synth(n, seed, pos, neg)
  local texts, labels, x = {}, {}, seed
  local function rnd(k) x = (x * 1103515245 + 12345) % 2147483648; return math.floor(x / 65536) % k + 1 end
  for i = 1, n do
    local y = rnd(2) - 1
    local w = {}
    for j = 1, 5 do w[j] = "f" .. rnd(40) end
    w[rnd(5)] = (y == 1 and pos or neg)[rnd(4)]
    texts[i], labels[i] = table.concat(w, " "), y
  end
  return texts, labels
end

return M
