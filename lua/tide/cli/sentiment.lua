-- tide sentiment train|predict|eval — review sentiment on CSV input (columns named by
-- --text/--label, default review/label; .gz accepted) or Amazon-style JSON Lines (--json).
-- Splits are the fixed seeded 80/20 split of tide.sentiment.io.split (--split train|test|all).
local S = require "tide.sentiment"
local wall = require("tide").core.io.wall

local HELP = [[
usage: tide sentiment train   --data FILE --out MODEL [--model fasttext|textcnn|textcnn2] [--split train|all]
                              [--epochs N] [--lr X] [--dim N] [--ngrams N] [--buckets N] [--seed N]
                              [--quantize int8]  (fastText: int8 rows, ~4x smaller file, lossy)
                              [--wide K]  (TextCNN: n-gram order of the wide path, default 3; 0 = off)
       tide sentiment predict --data FILE [--model MODEL|lexicon] [--out FILE.csv] [--explain K]
                              [--prior W] [--split all|test|train]
       tide sentiment eval    --data FILE [--model MODEL|lexicon] [--split test|all|train]
common: --text COL (default review)  --label COL (default label)  --json (Amazon JSON Lines:
        ratings 4-5 positive, 1-2 negative, 3 dropped, duplicates removed)
        --seed-split N (split seed, default 20261123)  --test-pct P (default 20)
train uses the train part of the split by default, eval the test part, predict all rows.
predict writes CSV: row,p_positive,intensity,tokens (top tokens with contributions).]]

local function load_rows(a, default_split)
  if not a.data then error("--data FILE is required", 0) end
  local c = (a.json or a.data:match("%.json")) and S.io.read_amazon(a.data)
    or S.io.read_csv(a.data, { text = a.text, label = a.label })
  local which = a.split or default_split
  if which == "all" then
    local idx = {}
    for i = 1, c.n do idx[i] = i end
    return S.io.subset(c, idx), idx
  end
  local tr, te = S.io.split(c.n, { seed = tonumber(a["seed-split"]), test_pct = tonumber(a["test-pct"]), texts = c.texts })
  if which == "train" then return S.io.subset(c, tr), tr end
  if which == "test" then return S.io.subset(c, te), te end
  error("--split must be train, test or all", 0)
end

local function num(a, k) return a[k] and assert(tonumber(a[k]), "--" .. k .. " must be a number") or nil end

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
  local c = load_rows(a, "train")
  if not c.labels then error(a.data .. ": no label column", 0) end
  if c.n == 0 then error(a.data .. ": no reviews to train on (--split " .. (a.split or "train") .. ")", 0) end
  local opts = { epochs = num(a, "epochs"), lr = num(a, "lr"), dim = num(a, "dim"),
                 ngrams = num(a, "ngrams"), buckets = num(a, "buckets"), seed = num(a, "seed"),
                 wide = num(a, "wide") }
  if a.wide and not (a.model or ""):match("^textcnn") then error("--wide: only for --model textcnn or textcnn2", 0) end
  local q = a.quantize
  if q and (q ~= "int8" or (a.model or "fasttext") ~= "fasttext") then
    error("--quantize: only 'int8', for --model fasttext", 0)
  end
  local t0 = wall()
  local m = S.train(a.model or "fasttext", c.texts, c.labels, opts)
  if q then m:save(a.out, { quantize = q }) else m:save(a.out) end
  print(("trained %s on %d reviews in %.2f s; saved %s"):format(a.model or "fasttext", c.n,
    wall() - t0, a.out))
  return 0
end

function cmds.predict(a)
  local c, idx = load_rows(a, "all")
  local m = get_model(a)
  local r = S.score(m, c.texts, { explain = num(a, "explain") or 3, prior = num(a, "prior") })
  local lines = { "row,p_positive,intensity,tokens" }
  for i, x in ipairs(r) do
    local toks = {}
    for _, t in ipairs(x.tokens or {}) do toks[#toks + 1] = ("%s:%.3f"):format(t[1], t[2]) end
    lines[#lines + 1] = ("%d,%.6f,%.6f,%s"):format(idx[i], x.p, x.intensity, csv_field(table.concat(toks, " ")))
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
  local c = load_rows(a, "test")
  if not c.labels then error(a.data .. ": no label column", 0) end
  local q = S.evaluate(get_model(a), c.texts, c.labels)
  print(("n=%d accuracy=%.4f precision=%.4f recall=%.4f f1=%.4f auc=%.4f"):format(q.n, q.accuracy,
    q.precision, q.recall, q.f1, q.auc))
  return 0
end

return {
  summary = "review sentiment: train / predict / eval (fastText-style, TextCNN, lexicon)",
  help = HELP,
  run = function(args)
    local sub = args[1]
    if not cmds[sub] then error("expected train, predict or eval\n" .. HELP, 0) end
    local a = require("tide.cli").parse({ unpack(args, 2) }, { json = true })
    return cmds[sub](a)
  end,
}
