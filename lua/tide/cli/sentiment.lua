-- tide sentiment train|predict|eval — review sentiment on CSV input (columns named by
-- --text/--label, default review/label; .gz accepted) or Amazon-style JSON Lines (--json).
-- A file given to train is trained on whole and a file given to eval / predict is scored
-- whole; --holdout PCT (opt-in, printed when used) holds out a stratified PCT % of the file
-- (tide.sentiment.io.stratified_split, seed --seed-split) — train then reports accuracy on
-- it, and eval / predict score only those rows.
local S = require "tide.sentiment"
local rows = require "tide.sentiment.cli_rows"
local wall = require("tide").core.io.wall

local HELP = [[
usage: tide sentiment train   --data FILE --out MODEL [--model default|linear|mix|fasttext|textcnn|textcnn2]
                              [--holdout PCT] [--C X] (linear) [--epochs N] [--lr X] [--dim N]
                              [--ngrams N] [--buckets N] [--seed N]  (fastText/TextCNN)
                              [--quantize int8]  (fastText: int8 rows, ~4x smaller file, lossy)
                              [--wide K]  (TextCNN: n-gram order of the wide path, default 3; 0 = off)
       tide sentiment predict --data FILE [--model MODEL|lexicon] [--out FILE.csv] [--explain K]
                              [--prior W] [--holdout PCT]
       tide sentiment eval    --data FILE [--model MODEL|lexicon] [--holdout PCT]
common: --text COL (default review)  --label COL (default label)  --json (Amazon JSON Lines:
        ratings 4-5 positive, 1-2 negative, 3 dropped, duplicates removed)
        --holdout PCT: hold out a stratified PCT % (0 < PCT < 100) of the file (--seed-split N,
        default 20261123); train reports accuracy on it, eval/predict score only those rows.
Labels must be 0 (negative) or 1 (positive). The default model stacks TF-IDF and NB-TF-IDF
n-gram logistic regressions weighted by 3-fold CV on the training file (tide.sentiment.linear
train_stack); linear = one TF-IDF model; mix = mean log-odds of two linear models and fastText. predict writes CSV: row,p_positive,intensity (+ tokens with --explain K).
Invalid UTF-8 in reviews is replaced by U+FFFD; the count is reported on stderr.]]

local function get_model(a)
  if not a.model or a.model == "lexicon" then return "lexicon" end
  return S.load(a.model)
end

local function csv_field(s)
  if s:find('[,"\n\r]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local cmds = {}

function cmds.train(a)
  if not a.out then error("--out MODEL is required", 0) end
  local kind = a.model or S.default_kind
  local opts = rows.train_opts(a, kind)
  local c, held = rows.load(a, "train")
  if c.n == 0 then error(a.data .. ": no reviews to train on", 0) end
  local t0 = wall()
  local m = S.train(kind, c.texts, c.labels, opts)
  local train_s = wall() - t0
  if a.quantize then m:save(a.out, { quantize = a.quantize }) else m:save(a.out) end
  print(("trained %s on %d reviews in %.2f s; saved %s"):format(kind, c.n, train_s, a.out))
  if held then rows.report(S.evaluate(m, held.texts, held.labels), "held-out") end
  return 0
end

function cmds.predict(a)
  local explain = rows.count(a, "explain", 0) or 0
  local c, idx = rows.load(a, "predict")
  local m = get_model(a)
  local r = S.score(m, c.texts, { explain = explain, prior = rows.num(a, "prior") })
  local lines = { explain > 0 and "row,p_positive,intensity,tokens" or "row,p_positive,intensity" }
  for i, x in ipairs(r) do
    local line = ("%d,%.6f,%.6f"):format(idx[i], x.p, x.intensity)
    if explain > 0 then
      local toks = {}
      for _, t in ipairs(x.tokens or {}) do toks[#toks + 1] = ("%s:%.3f"):format(t[1], t[2]) end
      line = line .. "," .. csv_field(table.concat(toks, " "))
    end
    lines[#lines + 1] = line
  end
  local text = table.concat(lines, "\n") .. "\n"
  if a.out then
    require("tide").core.io.write_atomic(a.out, text) -- never a half-written predictions file
    print(("wrote %d predictions to %s"):format(#r, a.out))
  else
    io.stdout:write(text)
  end
  return 0
end

function cmds.eval(a)
  local c = rows.load(a, "eval")
  rows.report(S.evaluate(get_model(a), c.texts, c.labels), "")
  return 0
end

return {
  summary = "review sentiment: train / predict / eval (linear n-gram, fastText-style, TextCNN, lexicon)",
  help = HELP,
  run = function(args)
    local sub = args[1]
    if not cmds[sub] then error("expected train, predict or eval\n" .. HELP, 0) end
    local a = require("tide.cli").parse({ unpack(args, 2) }, { json = true })
    rows.check_options(a, sub)
    return cmds[sub](a)
  end,
}
