-- tide.sentiment — review sentiment E = G(T): polarity and intensity of review text.
--
-- Scorers (all give, per review, P(positive), a signed intensity in [-1, 1] and the tokens
-- that drove it):
--   tide.sentiment.fasttext   fastText-style bag of units + hashed n-grams (engine/fasttext.c)
--   tide.sentiment.textcnn    a character CNN on tide.nn layers, with a wide n-gram path
--   tide.sentiment.lexicon    lexicon + negation/degree rules (cold start, intensity prior)
-- Aggregation into E: tide.sentiment.aggregate (per (user, item) and per item, time-decayed).
--
--   local ft = tide.sentiment.train("fasttext", texts, labels, opts)
--   local r  = tide.sentiment.score(ft, texts, {explain = 5, prior = 0.5})
--   r[i].p, r[i].intensity, r[i].tokens = {{token, contribution}, ...}
local M = {}

M.io = require "tide.sentiment.io"
M.fasttext = require "tide.sentiment.fasttext"
M.linear = require "tide.sentiment.linear"
M.lexicon = require "tide.sentiment.lexicon"
M.metrics = require "tide.sentiment.metrics"
local agg = require "tide.sentiment.aggregate"
local ensemble_file = require "tide.sentiment.ensemble_file"
local recipes = require "tide.sentiment.recipes"
M.aggregate, M.item_series = agg.aggregate, agg.item_series

-- The TextCNN needs tide.nn; loaded on first use so the rest works without it.
setmetatable(M, { __index = function(self, k)
  if k == "textcnn" then
    local mod = require "tide.sentiment.textcnn"
    rawset(self, k, mod)
    return mod
  end
end })

recipes.attach(M) -- M.ensemble, M.train_ensemble, M.train_default, M.train_mix, M.mix_members

local trainers = {
  linear = function(...) return M.linear.train(...) end,
  fasttext = function(...) return M.fasttext.train(...) end,
  ensemble = function(...) return M.train_ensemble(...) end,
  default = function(...) return M.train_default(...) end,
  mix = function(...) return M.train_mix(...) end,
  textcnn = function(...) return M.textcnn.train(...) end,
  textcnn2 = function(...) return M.textcnn_pair(...) end,
}
trainers.cnn = trainers.textcnn

function M.train(kind, texts, labels, opts)
  if kind == "lexicon" then return "lexicon" end
  local train = trainers[kind]
  if not train then
    error("sentiment.train: unknown model kind '" .. tostring(kind) .. "' (default, linear, mix, fasttext, textcnn, textcnn2, ensemble, lexicon)", 2)
  end
  if type(texts) == "table" and #texts == 0 then error("sentiment.train: no reviews to train on", 2) end
  return train(texts, labels, opts)
end

local ensembles = {
  load = function(path) return M.ensemble(ensemble_file.load(path, M.from_bytes)) end,
  from_bytes = function(s, name) return M.ensemble(ensemble_file.from_bytes(s, name, M.from_bytes)) end,
}

-- The model kinds by the magic bytes that start their files: each has load(path) and
-- from_bytes(s, name). Looked up on use (the TextCNN module loads lazily).
local kinds = {
  TIDEFT01 = function() return M.fasttext end,
  [M.linear.magic] = function() return M.linear end,
  TIDECKPT = function() return M.textcnn end, -- tide.checkpoint file
  [ensemble_file.magic] = function() return ensembles end,
}

-- Loads a model file written by :save (the kind is read from the file's magic bytes).
function M.load(path)
  local f, err = io.open(path, "rb")
  if not f then error("sentiment.load: " .. tostring(err), 2) end
  local magic = f:read(8) or ""
  f:close()
  local kind = kinds[magic]
  if kind then return kind().load(path) end
  error(("sentiment.load: %s is not a tide sentiment model"):format(path), 2)
end

-- The same from the bytes of a model file (m:to_bytes()), in memory; errors name `name`.
-- Ensemble members are read this way.
function M.from_bytes(s, name)
  if type(s) ~= "string" then error("sentiment.from_bytes: bytes must be a string, got " .. type(s), 2) end
  name = name or "(memory)"
  local kind = kinds[s:sub(1, 8)]
  if kind then return kind().from_bytes(s, name) end
  error(("sentiment.load: %s is not a tide sentiment model"):format(name), 2)
end

local function logit(p)
  p = math.min(math.max(p, 1e-7), 1 - 1e-7)
  return math.log(p / (1 - p))
end

-- Contributions summed per distinct token, the k largest in magnitude first.
local function top_tokens(toks, contrib, k)
  local t, at = {}, {}
  for i = 1, #toks do
    local j = at[toks[i]]
    if j then t[j][2] = t[j][2] + contrib[i]
    else t[#t + 1] = { toks[i], contrib[i] }; at[toks[i]] = #t end
  end
  table.sort(t, function(a, b)
    if math.abs(a[2]) ~= math.abs(b[2]) then return math.abs(a[2]) > math.abs(b[2]) end
    return a[1] < b[1]
  end)
  for i = #t, k + 1, -1 do t[i] = nil end
  return t
end

-- score(model, texts, {explain = k (top-k tokens, default 5; 0 = none), prior = w})
-- model: a fasttext/textcnn model or "lexicon". With prior = w > 0, the lexicon's score is
-- added to the model's log-odds with weight w (the lexicon as an intensity prior).
-- Returns an array of {p, intensity, tokens}; intensity = 2 p - 1 for trained models.
function M.score(model, texts, opts)
  opts = opts or {}
  if type(texts) == "string" then texts = { texts } end
  if type(texts) ~= "table" then error("sentiment.score: texts must be a string or a table of strings", 2) end
  local k = opts.explain or 5
  local out = {}
  if model == "lexicon" or model == nil then
    for i, s in ipairs(texts) do
      local r = M.lexicon.score(s)
      out[i] = { p = r.p, intensity = r.intensity, tokens = top_tokens(
        (function() local a = {}; for j, c in ipairs(r.tokens) do a[j] = c[1] end; return a end)(),
        (function() local a = {}; for j, c in ipairs(r.tokens) do a[j] = c[2] end; return a end)(), k) }
    end
    return out
  end
  local probs = model:prob(texts)
  local w = opts.prior or 0
  for i, s in ipairs(texts) do
    local p = probs[i]
    if w > 0 then p = 1 / (1 + math.exp(-(logit(p) + w * M.lexicon.score(s).score))) end
    local r = { p = p, intensity = 2 * p - 1 }
    if k > 0 and model.explain then
      local toks, contrib = model:explain(s)
      r.tokens = top_tokens(toks, contrib, k)
    end
    out[i] = r
  end
  return out
end

-- "TextCNN x 2": the mean log-odds of two independently trained TextCNNs that see the text
-- differently, the default one over units and one with the min-count character-bigram channel
-- (bigram_min = 5). Chosen by cross-validation on training rows (tests/bench/
-- tune_sentiment.lua folds over the training rows of the hashed row split io.split; mean
-- validation accuracy, SE ~0.3-0.4 pt, no interval recorded): waimai 5 folds .8888 (one CNN)
-- -> .8923 (pair); hotel 2 folds .8896 -> .8948; two seeds of the same CNN instead: .8904 / .8896 (diversity, not seeds, is
-- what helps). Costs two trainings; e:save(path) writes both into one file.
function M.textcnn_pair(texts, labels, opts)
  local o2 = {}
  for k, v in pairs(opts or {}) do o2[k] = v end
  o2.bigram_min = o2.bigram_min or 5
  return M.ensemble({ M.textcnn.train(texts, labels, opts), M.textcnn.train(texts, labels, o2) })
end

-- Chooses the weight w of the lexicon prior (score(..., {prior = w})) for a model kind
-- without touching test data: trains on 90 % of the given training rows and holds out fold 0
-- of tide.sentiment.io.folds(texts, 10) (every 10th row; a repeated text stays on one side),
-- and returns the w in `grid` (default {0, 0.05, 0.1, 0.2, 0.3, 0.5}) with the best held-out
-- accuracy (ties -> smaller w), and that accuracy.
function M.choose_prior(kind, texts, labels, opts, grid)
  grid = grid or { 0, 0.05, 0.1, 0.2, 0.3, 0.5 }
  local fold = M.io.folds(texts, 10)
  local tt, tl, vt, vl = {}, {}, {}, {}
  for i = 1, #texts do
    if fold[i] == 0 then vt[#vt + 1], vl[#vl + 1] = texts[i], labels[i]
    else tt[#tt + 1], tl[#tl + 1] = texts[i], labels[i] end
  end
  if #vt == 0 or #tt == 0 then
    error(("sentiment.choose_prior: the %d rows hold too few distinct texts to hold some out"):format(#texts), 2)
  end
  local m = M.train(kind, tt, tl, opts)
  local p, lex = m:prob(vt), {}
  for i, s in ipairs(vt) do lex[i] = M.lexicon.score(s).score end
  local best_w, best = 0, -1
  for _, w in ipairs(grid) do
    local ok = 0
    for i = 1, #vt do
      local z = logit(p[i]) + w * lex[i]
      if (z > 0 and 1 or 0) == vl[i] then ok = ok + 1 end
    end
    if ok / #vt > best then best_w, best = w, ok / #vt end
  end
  return best_w, best
end

-- Scores the reviews of a tide.data event table (ev.text, with ev.user / ev.item / ev.time)
-- and aggregates their intensities into E (see tide.sentiment.aggregate for opts). Rows with
-- an empty text are skipped. Returns E plus the per-row intensities (0 for skipped rows).
function M.from_events(model, ev, opts)
  if type(ev) ~= "table" or type(ev.text) ~= "table" then
    error("sentiment.from_events: the event table has no text column (read it with a text field)", 2)
  end
  local texts, rows = {}, {}
  for i, s in ipairs(ev.text) do if s ~= "" then texts[#texts + 1] = s; rows[#rows + 1] = i end end
  local it
  if model == "lexicon" or model == nil then _, it = M.lexicon.score_all(texts)
  else
    it = model:prob(texts)
    for i = 1, #it do it[i] = 2 * it[i] - 1 end
  end
  local function col(x) return type(x) == "userdata" and x:totable() or x end
  local user, item, time = col(ev.user), col(ev.item), col(ev.time)
  local rec, per_row = { user = {}, item = {}, time = {}, score = {} }, {}
  for i = 1, #ev.text do per_row[i] = 0 end
  for j, i in ipairs(rows) do
    rec.user[j], rec.item[j], rec.time[j], rec.score[j] = user[i], item[i], time[i], it[j]
    per_row[i] = it[j]
  end
  return M.aggregate(rec, opts), per_row
end

-- Quality of any scorer on labelled texts: accuracy, precision, recall, F1, AUC.
function M.evaluate(model, texts, labels)
  local p
  if model == "lexicon" then p = M.lexicon.score_all(texts) else p = model:prob(texts) end
  return M.metrics.binary(labels, p)
end

return M
