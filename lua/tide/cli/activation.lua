-- tide activation — train, apply and evaluate activation (return / purchase / reactivation)
-- propensity models on an event log framed at a cut date (tide.activation.frame). The model
-- file is a bundle (tide.activation.bundle) that carries the feature names and the framing
-- options, so predict and eval reframe new data exactly as training did.
local FRAME_HELP = [[
framing:
  --data PATH        event log (csv / csv.gz)
  --schema S         preset (sim, sim_reviews, retail, taobao, cdnow, ...), a schema .lua file
                     or key=col,...
                     (default: sim; predict/eval: the schema saved with the model)
  --cut DATE         YYYY-MM-DD[THH:MM:SS] or epoch seconds; a comma list stacks cuts
  --horizon DAYS     label window [cut, cut + DAYS)                     (default 30)
  --label L          return | purchase | reactivation                   (default return)
  --dormant DAYS     reactivation: users silent >= DAYS at the cut      (default 60)
  --min-events N     users need N events before the cut                 (default 1)
  --groups a,b,...   feature groups: rfm dwell gaps mix category interest decay hawkes
                     sentiment (default: all the log's columns allow)]]

local HELP = {
  train = [[usage: tide activation train --data LOG --cut DATE --out MODEL [options]
  --model K          logistic | gbdt                                    (default logistic)
  --l2 X             logistic: L2 penalty on standardised features      (default 1)
  --params k=v,...   extra model options passed to the model's new()
  --holdout F        user share kept out and scored after the fit; 0 = fit on all (default 0.2)
  --seed N           split seed                                          (default 1)
  --out PATH         the model bundle to write
]] .. FRAME_HELP,
  predict = [[usage: tide activation predict --model MODEL --data LOG --cut DATE --out scores.csv
  Writes user,probability[,top contributions (logistic: feature:log-odds, largest |value|)].
  --top N            contributions per user (default 3)
  --schema S         override the schema saved with the model]],
  eval = [[usage: tide activation eval --model MODEL|logistic|gbdt --data LOG --cut DATE [options]
  A saved MODEL is scored on every framed row (e.g. a later cut: out-of-time); a model kind
  is trained on a user-level split and scored on its test users (--test, --seed).
  Prints AUC (Hanley-McNeil 95% interval), PR-AUC, log-loss and Brier (95% intervals), ECE
  (10 bins), lift at --k (default 0.1) with a binomial interval.
]] .. FRAME_HELP,
}

local function strip(e) return (tostring(e):gsub("^[^\n]-%.lua:%d+: ", "")) end
local function fail(fmt, ...) error(fmt:format(...), 0) end

local function number(o, key, default)
  local v = o[key]
  if v == nil then return default end
  return tonumber(v) or fail("--%s must be a number, got '%s'", key, tostring(v))
end

local function list(s)
  local out = {}
  for x in tostring(s):gmatch("[^,]+") do out[#out + 1] = x end
  return out
end

local function read(o, saved)
  local tide = require "tide"
  local path = o.data
  if type(path) ~= "string" then fail("--data LOG is required") end
  local schema = require("tide.cli").schema(o.schema or saved or "sim")
  local ok, ev = pcall(tide.data.read_events, path, schema)
  if not ok then fail("%s", strip(ev)) end
  return ev, schema
end

local function cuts(o)
  if type(o.cut) ~= "string" then fail("--cut DATE is required") end
  local c = list(o.cut)
  for i, v in ipairs(c) do c[i] = tonumber(v) or v end
  return c
end

-- framing options from the flags (train / eval with a model kind)
local function frame_opts(o)
  local f = { cut = cuts(o), horizon = number(o, "horizon", 30), label = o.label or "return",
              dormant = number(o, "dormant", 60), min_events = number(o, "min-events", 1) }
  if o.groups then f.groups = list(o.groups) end
  return f
end

local function frame(ev, fo)
  local ok, fr = pcall(require("tide").activation.frame, ev, fo)
  if not ok then fail("%s", strip(fr)) end
  return fr
end

-- Labels come from [cut, cut + horizon): a window the log does not cover is censored (a user
-- who returns after the log's end counts as not returning). Warn, and when no row is positive
-- say why instead of a model's "one class" error.
local function check_labels(fr)
  local last = fr.stats.log_end
  local iso = function(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", t) end
  for _, c in ipairs(fr.stats.censored) do
    io.stderr:write(("warning: cut %s: its label window [%s, %s) ends after the log's last event (%s): those labels are censored (a return after the log's end counts as none)\n")
      :format(iso(c), iso(c), iso(c + fr.options.horizon * 86400), iso(last)))
  end
  if fr.stats.positives == 0 then
    fail("no framed row has a positive label (label %s, horizon %g days; the log ends at %s): choose a cut at least one horizon before the log's end",
      fr.options.label, fr.options.horizon, last and iso(last) or "?")
  end
  return fr
end

local function new_model(kind, o)
  local A = require("tide").activation
  if kind ~= "logistic" and kind ~= "gbdt" then fail("--model must be logistic or gbdt, got '%s'", tostring(kind)) end
  local mo = {}
  if kind == "logistic" then mo.l2 = number(o, "l2", 1) end
  if o.params then
    for k, v in tostring(o.params):gmatch("([%w_]+)=([^,]+)") do mo[k] = tonumber(v) or (v == "true" or (v ~= "false" and v)) end
  end
  local ok, m = pcall(A.model, kind, mo)
  if not ok then fail("%s", strip(m)) end
  return m
end

-- the matrix a model sees: sign·log1p for logistic (heavy-tailed counts), raw for trees
local function inputs(kind, X) return kind == "logistic" and require("tide").activation.slog1p(X) or X end

local function fit(m, kind, fr)
  local t0 = require("tide").core.io.wall()
  local ok, err = pcall(m.fit, m, inputs(kind, fr.X), fr.y, { names = fr.names })
  if not ok then fail("%s", strip(err)) end
  return require("tide").core.io.wall() - t0
end

local function report(title, p, y)
  local ok, r = pcall(require("tide").activation.evaluate, p, y)
  if not ok then fail("%s", strip(r)) end
  print(title)
  print(require("tide.activation.evaluate").format(r))
  return r
end

local function load_bundle(o)
  if type(o.model) ~= "string" then fail("--model MODEL is required") end
  local ok, m, info = pcall(require("tide").activation.load, o.model)
  if not ok then fail("%s", strip(m)) end
  if type(info) ~= "table" or not info.frame then fail("'%s' is not a model bundle written by tide activation train", o.model) end
  return m, info
end

-- frame new data exactly as at training: saved options and column names, new cut(s)
local function reframe(o, info)
  local ev = read(o, info.schema)
  local fo = {}
  for k, v in pairs(info.frame) do fo[k] = v end
  fo.cut, fo.names = cuts(o), info.names
  return frame(ev, fo)
end

local cmds = {}

function cmds.train(o)
  if type(o.out) ~= "string" then fail("--out MODEL is required") end
  local tide = require "tide"
  local ev, schema = read(o)
  local fr = check_labels(frame(ev, frame_opts(o)))
  local kind = o.model or "logistic"
  local hold = number(o, "holdout", 0.2)
  local train, test = fr, nil
  if hold > 0 then
    local sp = tide.activation.split(fr, { valid = 0, test = hold, seed = number(o, "seed", 1) })
    train, test = sp.train, sp.test
  end
  local m = new_model(kind, o)
  local secs = fit(m, kind, train)
  print(("%s on %d rows x %d features (%d cut%s, label %s, positives %.1f%%), fit %.2f s"):format(kind, train.n,
    fr.d, #fr.cut, #fr.cut > 1 and "s" or "", fr.options.label, 100 * train.y:mean():item(), secs))
  if test and test.n > 0 then report(("held-out users (%d rows):"):format(test.n), m:predict(inputs(kind, test.X)), test.y) end
  local info = { names = fr.names, frame = fr.options, schema = schema, cuts = fr.cut, transform = kind == "logistic" and "slog1p" or "none" }
  local ok, err = pcall(tide.activation.save_bundle, o.out, m, kind, info)
  if not ok then fail("%s", strip(err)) end
  print("wrote " .. o.out)
  return 0
end

function cmds.predict(o)
  if type(o.out) ~= "string" then fail("--out scores.csv is required") end
  local m, info = load_bundle(o)
  local fr = reframe(o, info)
  local X = inputs(info.kind, fr.X)
  local p = m:predict(X):totable()
  local top = number(o, "top", 3)
  local contrib = info.kind == "logistic" and top > 0 and m.contributions and m:contributions(X):totable()
  local lines = { "user,probability" .. (contrib and ",top_contributions" or "") }
  for i = 1, fr.n do
    local line = ("%s,%.6f"):format(fr.ids and fr.ids[i] or fr.users:get(i), p[i])
    if contrib then
      local c, order = contrib[i], {}
      for j = 1, #c do order[j] = j end
      table.sort(order, function(a, b) return math.abs(c[a]) > math.abs(c[b]) end)
      local parts = {}
      for k = 1, math.min(top, #c) do parts[k] = ("%s:%+.3f"):format(fr.names[order[k]], c[order[k]]) end
      line = line .. ',"' .. table.concat(parts, " ") .. '"'
    end
    lines[#lines + 1] = line
  end
  require("tide").core.io.write_atomic(o.out, table.concat(lines, "\n") .. "\n")
  print(("scored %d users -> %s"):format(fr.n, o.out))
  return 0
end

function cmds.eval(o)
  local kind = o.model
  if kind == "logistic" or kind == "gbdt" then
    local ev = read(o)
    local fr = check_labels(frame(ev, frame_opts(o)))
    local sp = require("tide").activation.split(fr, { valid = 0, test = number(o, "test", 0.2), seed = number(o, "seed", 1) })
    local m = new_model(kind, o)
    local secs = fit(m, kind, sp.train)
    report(("%s trained on %d rows (%.2f s), test users' %d rows:"):format(kind, sp.train.n, secs, sp.test.n),
      m:predict(inputs(kind, sp.test.X)), sp.test.y)
    return 0
  end
  local m, info = load_bundle(o)
  local fr = check_labels(reframe(o, info))
  report(("%s model %s on %d rows:"):format(info.kind, o.model, fr.n), m:predict(inputs(info.kind, fr.X)), fr.y)
  return 0
end

return {
  summary = "activation propensity: frame a log at a cut, train/predict/eval logistic or GBDT",
  help = "usage: tide activation train|predict|eval [options]   (tide activation <sub> --help)\n\n" ..
         HELP.train .. "\n\n" .. HELP.predict .. "\n\n" .. HELP.eval,
  run = function(args)
    local sub = args[1]
    if not cmds[sub] then fail("unknown subcommand '%s' (train, predict, eval; see tide activation --help)", tostring(sub)) end
    local rest = { unpack(args, 2) }
    if rest[1] == "--help" or rest[1] == "-h" then print(HELP[sub]); return 0 end
    local ok, rc = pcall(cmds[sub], require("tide.cli").parse(rest))
    -- scripts/tide ends with os.exit, which skips lua_close: free the frames and models now
    -- (every native buffer is released by __gc), so leak checkers see a clean exit
    collectgarbage(); collectgarbage()
    if not ok then error(rc, 0) end
    return rc
  end,
}
