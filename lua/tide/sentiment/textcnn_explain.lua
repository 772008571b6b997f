-- tide.sentiment.textcnn_explain — occlusion explanations for the TextCNN (textcnn.lua):
-- installs CNN:explain(s) -> units, contributions, log-odds of the full text.
local tide = require "tide"
local text = require "tide.text"
local T = tide.tensor

return function(CNN)
  -- Occlusion: contribution of unit i = log-odds(text) - log-odds(text with unit i replaced by
  -- the out-of-vocabulary row), all variants scored in one batch. Returns units,
  -- contributions and the full text's log-odds.
  function CNN:explain(s)
    local toks = text.tokenize(s)
    local enc = self:encode({ s })
    local base, V = (type(enc) == "table" and enc.ids or enc):totable(), self.vocab:size()
    local n = #base
    if n == 0 then
      local p = self:prob({ s })[1]
      return {}, {}, math.log(p / (1 - p))
    end
    local bl = type(enc) == "table" and enc.bi and enc.bi:totable() or nil
    local flat, offs, rows, bflat, boffs = {}, { 0 }, {}, {}, { 0 }
    for i = 0, n do
      for j = 1, n do flat[#flat + 1] = (j == i) and V or base[j] end
      offs[#offs + 1] = #flat
      rows[#rows + 1] = i + 1
      if bl then -- the bigram channel is kept as is: only the unit is occluded
        for _, x in ipairs(bl) do bflat[#bflat + 1] = x end
        boffs[#boffs + 1] = #bflat
      end
    end
    local venc = T.fromtable(flat, "i32")
    if bl then venc = { ids = venc, bi = T.fromtable(bflat, "i32"), bo = T.fromtable(boffs, "long") } end
    if type(enc) == "table" and enc.vb then -- the bigram vocabulary channel is kept as is too
      local vb, f, o2 = enc.vb:totable(), {}, { 0 }
      for _ = 0, n do
        for _, x in ipairs(vb) do f[#f + 1] = x end
        o2[#o2 + 1] = #f
      end
      if type(venc) ~= "table" then venc = { ids = venc } end
      venc.vb, venc.vbo = T.fromtable(f, "i32"), T.fromtable(o2, "long")
    end
    self.net:eval()
    local z = require("tide.autograd").no_grad(function()
      return self:logits(venc, T.fromtable(offs, "long"), rows):totable()
    end)
    local contrib = {}
    for i = 1, n do contrib[i] = (z[1][2] - z[1][1]) - (z[i + 1][2] - z[i + 1][1]) end
    return toks, contrib, z[1][2] - z[1][1]
  end
end
