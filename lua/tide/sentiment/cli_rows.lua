-- tide.sentiment.cli_rows — what `tide sentiment` checks before it trains or scores: known
-- options, numeric option ranges, the rows of the --data file (labels 0/1, not header-only,
-- invalid UTF-8 counted), the opt-in stratified --holdout, and the accuracy report.
-- Errors are plain messages (level 0) naming the option, file and line.
local S = require "tide.sentiment"
local M = {}

local common = { data = true, text = true, label = true, json = true, model = true, holdout = true,
                 ["test-pct"] = true, ["seed-split"] = true }
local per_cmd = {
  train = { out = true, C = true, epochs = true, lr = true, dim = true, ngrams = true, buckets = true,
            seed = true, quantize = true, wide = true },
  predict = { out = true, explain = true, prior = true },
  eval = {},
}

--- check_options(a, sub): every option given is one `tide sentiment sub` knows.
function M.check_options(a, sub)
  for k in pairs(a) do
    if k ~= "_" and not common[k] and not per_cmd[sub][k] then
      error(("unknown option --%s for 'tide sentiment %s' (see tide sentiment --help)"):format(k, sub), 0)
    end
  end
  if #a._ > 0 then error(("unexpected argument '%s'"):format(a._[1]), 0) end
end

--- num(a, key) -> the number given as --key, or nil; an error when it is not a number.
function M.num(a, k)
  if a[k] == nil then return nil end
  local v = tonumber(a[k])
  if not v or v ~= v then error(("--%s must be a number, got '%s'"):format(k, tostring(a[k])), 0) end
  return v
end

--- count(a, key, min [, max]) -> an integer option >= min (<= max), or nil when absent
function M.count(a, k, min, max)
  local v = M.num(a, k)
  if v == nil then return nil end
  if v % 1 ~= 0 or v < min or (max and v > max) then
    error(("--%s must be an integer %s, got %s"):format(k, max and ("in " .. min .. ".." .. max) or (">= " .. min), a[k]), 0)
  end
  return v
end

local function positive(a, k)
  local v = M.num(a, k)
  if v ~= nil and not (v > 0) then error(("--%s must be > 0, got %s"):format(k, a[k]), 0) end
  return v
end

-- Options each model kind takes from the command line.
local takes = {
  linear = { C = true, ngrams = true, buckets = true, seed = true },
  fasttext = { epochs = true, lr = true, dim = true, ngrams = true, buckets = true, seed = true, quantize = true },
  textcnn = { epochs = true, lr = true, dim = true, seed = true, wide = true },
}
takes.textcnn2, takes.cnn, takes.default, takes.mix = takes.textcnn, takes.textcnn, { seed = true }, { seed = true }

--- train_opts(a, kind) -> the training options for S.train(kind, ...), each checked.
function M.train_opts(a, kind)
  local ok = takes[kind]
  if not ok then error(("--model must be default, linear, mix, fasttext, textcnn or textcnn2, got '%s'"):format(kind), 0) end
  for k in pairs(per_cmd.train) do
    if k ~= "out" and a[k] ~= nil and not ok[k] then
      error(("--%s: not an option of --model %s"):format(k, kind), 0)
    end
  end
  if a.quantize and a.quantize ~= "int8" then error("--quantize: only 'int8', for --model fasttext", 0) end
  return { C = positive(a, "C"), epochs = M.count(a, "epochs", 1), lr = positive(a, "lr"),
           dim = M.count(a, "dim", 1), ngrams = M.count(a, "ngrams", 1, 8),
           buckets = M.count(a, "buckets", 1), seed = M.count(a, "seed", 0), wide = M.count(a, "wide", 0, 8) }
end

-- Invalid UTF-8 byte sequences in the texts (each becomes U+FFFD when tokenised).
local function count_invalid(texts)
  local normalize, bad, rows = require("tide.text").core.normalize, 0, 0
  for _, s in ipairs(texts) do
    -- only texts with a byte >= 0x80 can be invalid; ASCII skips the normaliser
    if s:find("[\128-\255]") then
      local _, k = normalize(s, 0)
      if k > 0 then bad, rows = bad + k, rows + 1 end
    end
  end
  return bad, rows
end

--- load(a, cmd) -> rows, second for cmd = "train": the rows to train on and the held-out
-- rows (nil without --holdout); otherwise the rows to score and their 1-based file rows.
-- Labels are checked (0 or 1) for train and eval; a header-only file is an error.
function M.load(a, cmd)
  if not a.data then error("--data FILE is required", 0) end
  local note = (cmd == "predict" and not a.out) and function(s) io.stderr:write(s, "\n") end or print
  local c = (a.json or a.data:match("%.json")) and S.io.read_amazon(a.data)
    or S.io.read_csv(a.data, { text = a.text, label = a.label })
  if c.n == 0 then error(a.data .. ": no reviews (the file holds a header only)", 0) end
  if cmd ~= "predict" then
    if not c.labels then error(("%s: no label column '%s'"):format(a.data, a.label or "label"), 0) end
    local ok, err = pcall(S.io.check_labels, c)
    if not ok then error((tostring(err):gsub("^[^\n]-%.lua:%d+: ", "")), 0) end
  end
  local bad, nrows = count_invalid(c.texts)
  if bad > 0 then
    io.stderr:write(("%s: %d invalid UTF-8 byte sequence(s) in %d review(s) replaced by U+FFFD\n"):format(a.data, bad, nrows))
  end
  local all = {}
  for i = 1, c.n do all[i] = i end
  if a.holdout == nil and a["test-pct"] == nil then return c, cmd ~= "train" and all or nil end
  local pct = M.num(a, a.holdout ~= nil and "holdout" or "test-pct")
  if not (pct > 0 and pct < 100) then
    error(("--%s must be a percentage with 0 < PCT < 100, got %s"):format(a.holdout ~= nil and "holdout" or "test-pct", pct), 0)
  end
  local seed = M.count(a, "seed-split", 0) or 20261123
  local tr, te
  if c.labels then tr, te = S.io.stratified_split(c.labels, { seed = seed, test_pct = pct, texts = c.texts })
  else tr, te = S.io.split(c.n, { seed = seed, test_pct = pct, texts = c.texts }) end
  note(("holdout: %g %% of %s held out (%s split, seed %d): %d rows %s, %d held out"):format(pct, a.data,
    c.labels and "stratified" or "hashed", seed, #tr, cmd == "train" and "to train on" or "not scored", #te))
  if cmd == "train" then return S.io.subset(c, tr), S.io.subset(c, te) end
  return S.io.subset(c, te), te
end

--- report(q, what): one line of metrics with a 95 % Wilson interval for the accuracy.
function M.report(q, what)
  local n, p, z = q.n, q.accuracy, 1.959964
  local mid, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
  print(("%sn=%d accuracy=%.4f [95%% %.4f, %.4f] precision=%.4f recall=%.4f f1=%.4f auc=%.4f"):format(
    what ~= "" and (what .. " ") or "", n, p, mid - half, mid + half, q.precision, q.recall, q.f1, q.auc))
end

return M
