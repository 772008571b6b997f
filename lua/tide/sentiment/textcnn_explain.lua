-- tide.sentiment.textcnn_explain — occlusion explanations for the TextCNN (textcnn.lua):
-- installs CNN:explain(s) -> units, contributions, log-odds of the full text.
local tide = require "tide"
local text = require "tide.text"
local T = tide.tensor
local WIDE = require "tide.sentiment.textcnn_wide"

return function(CNN)
  -- Occlusion: contribution of unit i = log-odds(text) - log-odds(text with unit i replaced by
  -- the out-of-vocabulary row), all variants scored in one batch. Returns units,
  -- contributions and the full text's log-odds.
  function CNN:explain(s)
    local toks = text.tokenize(s)
    local enc = self:encode({ s })
    local base, V = enc.ids:totable(), self.vocab:size()
    local n = #base
    if n == 0 then
      local p = self:prob({ s })[1]
      return {}, {}, math.log(p / (1 - p))
    end
    -- n + 1 copies of the text (the first intact, copy i+1 with unit i occluded); the bigram
    -- and n-gram channels are kept as they are: only the unit is occluded
    local function copies(t, occlude)
      local v, flat, offs = t:totable(), {}, { 0 }
      for i = 0, n do
        for j = 1, #v do flat[#flat + 1] = (occlude and j == i) and V or v[j] end
        offs[#offs + 1] = #flat
      end
      return T.fromtable(flat, "i32"), T.fromtable(offs, "long")
    end
    local venc, offs = { grams = {} }, nil
    venc.ids, offs = copies(enc.ids, true)
    if enc.bi then venc.bi, venc.bo = copies(enc.bi) end
    for i, g in pairs(enc.grams) do venc.grams[i] = copies(g) end
    -- the wide path (opts.wide) loses the n-grams that cover the occluded unit
    if self.wide then venc.wide = WIDE.occlusions(self.wide, s, n) end
    local rows = {}
    for i = 0, n do rows[#rows + 1] = i + 1 end
    self.net:eval()
    local z = require("tide.autograd").no_grad(function()
      return self:logits(venc, offs, rows):totable()
    end)
    local contrib = {}
    for i = 1, n do contrib[i] = (z[1][2] - z[1][1]) - (z[i + 1][2] - z[i + 1][1]) end
    return toks, contrib, z[1][2] - z[1][1]
  end
end
