-- tide.sentiment.lexicon — rule-based polarity for cold start and as an intensity prior.
--
-- Text is normalised and split by tide.text; runs of CJK characters are matched greedily
-- (longest entry first, up to max_len characters) against the Chinese lexicon, other units
-- against the English one. A sentiment word's weight w is modified by what precedes it in the
-- same clause (punctuation ends a clause):
--   degree adverb d before it:           w * d          (很好 = 1.3 * 好)
--   negator before it:                   w * -0.5       (not good < 0, not bad > 0)
--   negator then degree (不太好):         w * -0.3       (a softened negation)
--   degree then negator (很不好):         w * -0.5 * d   (an intensified negation)
-- A contrast word (but / 但是) halves everything before it and weights what follows by 1.5.
-- Each '!' after some sentiment multiplies the total by 1.1 (at most 3 times).
-- score = sum of term contributions; P(positive) = sigmoid(score);
-- intensity = score / sqrt(score^2 + 4) in (-1, 1) (a smooth squashing of the -3..3 scale).
local text = require "tide.text"

local M = {}
local LEX = { zh = require "tide.sentiment.lexicon_zh", en = require "tide.sentiment.lexicon_en" }
M.lexicons = LEX

local NEG, NEG_SOFT = -0.5, -0.3

-- Terms of a text: {str, lex} where lex is the lexicon it was matched in.
local function terms(s)
  local toks, kinds = text.tokenize(s, { kinds = true })
  local out, i, n = {}, 1, #toks
  local zh = LEX.zh
  while i <= n do
    if kinds[i] == "cjk" then
      local best = 1
      for len = math.min(zh.max_len, n - i + 1), 2, -1 do
        local ok = true
        for j = i, i + len - 1 do if kinds[j] ~= "cjk" then ok = false; break end end
        if ok then
          local w = table.concat(toks, "", i, i + len - 1)
          if zh.words[w] or zh.negators[w] or zh.degree[w] or zh.contrast[w] then best = len; break end
        end
      end
      out[#out + 1] = { table.concat(toks, "", i, i + best - 1), zh, "cjk" }
      i = i + best
    else
      out[#out + 1] = { toks[i], LEX.en, kinds[i] }
      i = i + 1
    end
  end
  return out
end

-- Scores one text. Returns {p, intensity, score, tokens = {{token, contribution}...}}.
function M.score(s)
  if type(s) ~= "string" then error("sentiment.lexicon.score: expected a string, got " .. type(s), 2) end
  local ts = terms(s)
  local contribs, total = {}, 0
  local neg, deg, neg_then_deg = false, 1, false
  local weight, bangs = 1, 0
  for _, t in ipairs(ts) do
    local w, lex = t[1], t[2]
    if t[3] == "punct" then
      if w == "!" and total ~= 0 and bangs < 3 then bangs = bangs + 1 end
      neg, deg, neg_then_deg = false, 1, false
    elseif lex.contrast[w] then
      total = total * 0.5
      for _, c in ipairs(contribs) do c[2] = c[2] * 0.5 end
      weight = 1.5
      neg, deg, neg_then_deg = false, 1, false
    elseif lex.negators[w] then
      neg = not neg
    elseif lex.degree[w] then
      if neg then neg_then_deg = true end
      deg = deg * lex.degree[w]
    elseif lex.words[w] then
      local v = lex.words[w]
      if neg and neg_then_deg then v = v * NEG_SOFT
      elseif neg then v = v * NEG * deg
      else v = v * deg end
      v = v * weight
      contribs[#contribs + 1] = { w, v }
      total = total + v
      neg, deg, neg_then_deg = false, 1, false
    end
  end
  local score = total * (1.1 ^ bangs)
  return { p = 1 / (1 + math.exp(-score)), intensity = score / math.sqrt(score * score + 4),
           score = score, tokens = contribs }
end

-- Scores a table of texts; returns arrays p, intensity.
function M.score_all(texts)
  local p, it = {}, {}
  for i, s in ipairs(texts) do
    local r = M.score(s)
    p[i], it[i] = r.p, r.intensity
  end
  return p, it
end

return M
