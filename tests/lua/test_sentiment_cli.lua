-- test_sentiment_cli.lua — `tide sentiment` as a user meets it (issue 17): a file given to
-- train is trained on whole and one given to eval is evaluated whole; --holdout is opt-in and
-- printed; predict does not explain unless asked; labels other than 0/1, a header-only file,
-- --test-pct 150, --epochs 0 and unknown options are errors naming the line / value / option;
-- invalid UTF-8 replacements are counted on stderr. Runs scripts/tide in a subprocess.
local check = require "check"
local T = {}

local POS, NEG = { "great", "good", "love", "fine" }, { "awful", "bad", "hate", "poor" }
local function write_csv(path, n, seed, label_of)
  local x = seed
  local function rnd(k) x = (x * 1103515245 + 12345) % 2147483648; return math.floor(x / 65536) % k + 1 end
  local f = assert(io.open(path, "w"))
  f:write("label,review\n")
  for i = 1, n do
    local y = rnd(2) - 1
    local w = {}
    for j = 1, 4 do w[j] = "f" .. rnd(30) end
    w[rnd(4)] = (y == 1 and POS or NEG)[rnd(4)]
    f:write(label_of and label_of(i, y) or y, ",", table.concat(w, " "), "\n")
  end
  f:close()
end

local function run(args)
  local err = os.tmpname()
  local p = io.popen("luajit scripts/tide sentiment " .. args .. " 2>" .. err .. "; echo rc=$?")
  local out = p:read("*a")
  p:close()
  local e = assert(io.open(err)):read("*a")
  os.remove(err)
  return out, e
end

local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)
local train, model = dir .. "/train.csv", dir .. "/m.bin"
write_csv(train, 300, 1)

function T.train_and_eval_use_whole_files()
  local out = run(("train --data %s --out %s"):format(train, model))
  check.truthy(out:find("trained default on 300 reviews", 1, true) and out:find("rc=0", 1, true), out)
  check.truthy(not out:find("holdout"), "no split unless asked: " .. out)
  out = run(("eval --data %s --model %s"):format(train, model))
  check.truthy(out:find("n=300 accuracy=", 1, true), "eval scores the whole file: " .. out)
  -- opt-in holdout: printed, stratified, and reported
  out = run(("train --model linear --data %s --out %s --holdout 25"):format(train, model))
  check.truthy(out:find("holdout: 25 % of " .. train .. " held out (stratified split, seed 20261123): 225 rows to train on, 75 held out", 1, true), out)
  check.truthy(out:find("trained linear on 225 reviews", 1, true) and out:find("held-out n=75 accuracy=", 1, true), out)
  out = run(("eval --data %s --model %s --holdout 25"):format(train, model))
  check.truthy(out:find("n=75 accuracy=", 1, true) and out:find("holdout: 25 %", 1, true), out)
end

function T.predict_explains_only_when_asked()
  run(("train --model linear --data %s --out %s"):format(train, model))
  local out = run(("predict --data %s --model %s"):format(train, model))
  local first = out:match("^[^\n]*")
  check.eq(first, "row,p_positive,intensity", "header without tokens")
  local n = select(2, out:gsub("\n", "\n"))
  check.eq(n, 302, "header + 300 rows + rc line")
  out = run(("predict --data %s --model %s --explain 2"):format(train, model))
  check.eq(out:match("^[^\n]*"), "row,p_positive,intensity,tokens", "with --explain")
  check.truthy(out:match("\n1,[%d.]+,[-%d.]+,%S+:[-%d.]+ %S+:[-%d.]+\n"), "two tokens: " .. out:sub(1, 200))
end

function T.bad_labels_are_errors_naming_the_line()
  run(("train --model linear --data %s --out %s"):format(train, model))
  for _, bad in ipairs({ "2", "0.5", "-1", "5" }) do
    local path = dir .. "/bad.csv"
    write_csv(path, 20, 2, function(i, y) return i == 7 and bad or y end)
    local out, err = run(("eval --data %s --model %s"):format(path, model))
    check.truthy(out:find("rc=1", 1, true), "exit 1 for label " .. bad)
    check.truthy(err:find(path .. ":8: label " .. bad .. " is not 0 or 1", 1, true), err)
    out, err = run(("train --model linear --data %s --out %s"):format(path, dir .. "/x.bin"))
    check.truthy(err:find(path .. ":8: label " .. bad, 1, true), "train checks labels too: " .. err)
  end
end

function T.empty_and_out_of_range_options_are_errors()
  local hdr = dir .. "/hdr.csv"
  local f = assert(io.open(hdr, "w")); f:write("label,review\n"); f:close()
  run(("train --model linear --data %s --out %s"):format(train, model))
  local cases = {
    { ("eval --data %s --model %s"):format(hdr, model), hdr .. ": no reviews (the file holds a header only)" },
    { ("eval --data %s --model %s --test-pct 150"):format(train, model), "--test-pct must be a percentage with 0 < PCT < 100, got 150" },
    { ("eval --data %s --model %s --holdout 0"):format(train, model), "--holdout must be a percentage" },
    { ("train --model fasttext --data %s --out %s --epochs 0"):format(train, dir .. "/y.bin"), "--epochs must be an integer >= 1, got 0" },
    { ("train --model linear --data %s --out %s --epochs 3"):format(train, dir .. "/y.bin"), "--epochs: not an option of --model linear" },
    { ("eval --data %s --model %s --split test"):format(train, model), "unknown option --split" },
    { ("predict --data %s --model %s --explain -1"):format(train, model), "--explain must be an integer >= 0" },
    { ("train --model linear --data %s --out %s --C abc"):format(train, dir .. "/y.bin"), "--C must be a number, got 'abc'" },
  }
  for _, c in ipairs(cases) do
    local out, err = run(c[1])
    check.truthy(out:find("rc=1", 1, true) and err:find(c[2], 1, true), c[1] .. " -> " .. err)
  end
  check.truthy(not io.open(dir .. "/y.bin"), "no model written by a failed train")
end

function T.invalid_utf8_is_reported()
  run(("train --model linear --data %s --out %s"):format(train, model))
  local path = dir .. "/u8.csv"
  local f = assert(io.open(path, "wb"))
  f:write('label,review\n1,"good \255\254 great"\n0,"bad \192 awful"\n1,fine\n')
  f:close()
  local out, err = run(("eval --data %s --model %s"):format(path, model))
  check.truthy(out:find("n=3 ", 1, true), out)
  check.truthy(err:find(path .. ": 3 invalid UTF-8 byte sequence(s) in 2 review(s) replaced by U+FFFD", 1, true), err)
  _, err = run(("eval --data %s --model %s"):format(train, model))
  check.truthy(not err:find("invalid UTF%-8"), "silent on valid files: " .. err)
end

function T.zz_cleanup() os.execute("rm -rf " .. dir) end

return T
