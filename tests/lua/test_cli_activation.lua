-- test_cli_activation.lua — `tide activation train|predict|eval`: the bundle carries names and
-- framing options (predict's scores equal the model applied to a frame rebuilt here from the
-- saved options), eval's numbers equal tide.metrics on the same rows, --help, and errors.
local tide = require "tide"
local check = require "check"
local A = tide.activation

local DAY = 86400
local base = os.tmpname()
local function path(name) return base .. "_" .. name end

-- runs the CLI; returns exit status and stdout+stderr
local function tide_cli(args)
  -- the shell reports the status (LuaJIT's popen:close does not, without 5.2 compat)
  local p = io.popen("luajit scripts/tide activation " .. args .. " 2>&1; echo \"rc=$?\"")
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)%s*$"))
  return rc, out
end

local log
local function sim_log()
  if log then return log end
  log = path("log.csv")
  tide.sim.generate{ users = 600, mean_pv = 1.5, seed = 8, out = log, truth = false, p_review = 0.5,
                     horizon = 120, sentiment = 1 }
  return log
end
local CUT = 1704067200 + 90 * DAY

local tests = {}

function tests.train_predict_reframe_identically()
  local data, model, scores = sim_log(), path("m.bin"), path("scores.csv")
  local rc, out = tide_cli(("train --data %s --schema sim_reviews --cut %d --horizon 20 --label return --out %s --holdout 0.25")
    :format(data, CUT, model))
  check.eq(rc, 0, "train exit status: " .. out)
  check.truthy(out:find("AUC", 1, true), "train reports held-out metrics")
  local m, info = A.load(model)
  check.eq(info.kind, "logistic"); check.eq(info.frame.label, "return"); check.eq(info.frame.horizon, 20)
  check.eq(info.schema, "sim_reviews")
  check.eq(info.names[#info.names], "sentiment_n", "names in column order")
  -- a later cut: predict reframes with the saved options and names
  local cut2 = CUT + 10 * DAY
  rc, out = tide_cli(("predict --model %s --data %s --cut %d --out %s --top 2"):format(model, data, cut2, scores))
  check.eq(rc, 0, "predict exit status: " .. out)
  local ev = tide.data.read_events(data, "sim_reviews")
  local fo = {}
  for k, v in pairs(info.frame) do fo[k] = v end
  fo.cut, fo.names = cut2, info.names
  local fr = A.frame(ev, fo)
  local want = m:predict(A.slog1p(fr.X)):totable()
  local i = 0
  for line in io.lines(scores) do
    if i == 0 then check.eq(line, "user,probability,top_contributions", "header")
    else
      local u, p, top = line:match('^(%d+),([%d.]+),"(.*)"$')
      check.truthy(u, "row format: " .. line)
      check.eq(u, fr.ids[i], "user order")
      check.near(tonumber(p), want[i], 2e-6, "probability of user " .. u)
      local k = 0
      for _ in top:gmatch("[%w_]+:[-+][%d.]+") do k = k + 1 end
      check.eq(k, 2, "two contributions")
    end
    i = i + 1
  end
  check.eq(i - 1, fr.n, "one row per framed user")
  -- eval of the bundle on that cut: the numbers equal tide.metrics on the same rows
  rc, out = tide_cli(("eval --model %s --data %s --cut %d"):format(model, data, cut2))
  check.eq(rc, 0, "eval exit status: " .. out)
  local auc = tonumber(out:match("AUC%s+([%d.]+)"))
  local p = m:predict(A.slog1p(fr.X))
  check.near(auc, tide.metrics.auc(p, fr.y), 1e-4, "eval AUC")
  check.near(tonumber(out:match("Brier%s+([%d.]+)")), tide.metrics.brier(p, fr.y), 1e-4, "eval Brier")
  os.remove(model); os.remove(scores)
end

function tests.eval_trains_a_kind_on_a_user_split()
  local rc, out = tide_cli(("eval --model logistic --data %s --schema sim_reviews --cut %d --horizon 20 --label reactivation --dormant 10 --test 0.3 --seed 2")
    :format(sim_log(), CUT))
  check.eq(rc, 0, "eval exit status: " .. out)
  for _, k in ipairs({ "AUC", "PR%-AUC", "log%-loss", "Brier", "ECE", "lift@10%%" }) do
    check.truthy(out:find(k), "eval prints " .. k)
  end
  local lo, hi = out:match("AUC%s+[%d.]+%s+%[([%d.]+), ([%d.]+)%]")
  check.truthy(tonumber(lo) < tonumber(hi), "AUC interval")
end

-- A label window past the log's last event is censored: train still runs, with a warning
function tests.censored_label_window_warns()
  local data, model = sim_log(), path("censored.bin")
  local rc, out = tide_cli(("train --data %s --schema sim_reviews --cut %d --horizon 20 --holdout 0 --out %s")
    :format(data, CUT + 25 * DAY, model))
  check.eq(rc, 0, "train exit status: " .. out)
  check.truthy(out:find("ends after the log's last event", 1, true), "censoring warned: " .. out)
  rc, out = tide_cli(("train --data %s --schema sim_reviews --cut %d --horizon 20 --holdout 0 --out %s")
    :format(data, CUT, model))
  check.truthy(not out:find("last event", 1, true), "no warning when the window is covered: " .. out)
  os.remove(model)
end

function tests.help_and_errors()
  for _, sub in ipairs({ "train", "predict", "eval" }) do
    local rc, out = tide_cli(sub .. " --help")
    check.eq(rc, 0, sub .. " --help")
    check.truthy(out:find("usage: tide activation " .. sub, 1, true), sub .. " usage")
  end
  local data = sim_log()
  local cases = {
    { "train --data " .. data .. " --out /tmp/x", "--cut DATE is required" },
    { ("train --data %s --schema sim_reviews --cut %d --label churn --out /tmp/x"):format(data, CUT), "label must be" },
    { ("train --data %s --schema sim_reviews --cut %d --model forest --out /tmp/x"):format(data, CUT), "--model must be logistic or gbdt" },
    { ("train --data %s --schema sim_reviews --cut %d --horizon soon --out /tmp/x"):format(data, CUT), "--horizon must be a number" },
    { "predict --model /nonexistent.bin --data x --cut 1 --out y", "activation.load" },
    -- a cut after the log's end: every label is 0; said so, not a model's "one class" error
    { ("eval --model logistic --data %s --schema sim_reviews --cut %d"):format(data, CUT + 40 * DAY), "no framed row has a positive label" },
    { "fly", "unknown subcommand 'fly'" },
  }
  for _, c in ipairs(cases) do
    local rc, out = tide_cli(c[1])
    check.eq(rc, 1, c[1])
    check.truthy(out:find(c[2], 1, true), ("'%s' says '%s', got: %s"):format(c[1], c[2], out))
  end
end

return tests
