-- test_seqrec_cli.lua — `tide train CONFIG.lua` and `tide eval --load` end to end on a tiny
-- SASRec-format log: the saved model reloads and scores exactly as the trained one; config
-- mistakes fail with a message naming the key.
local tide = require "tide"
local check = require "check"
local train_cmd = require "tide.cli.train"
local eval_cmd = require "tide.cli.eval"
local C = require "tide.train.config"
local t = {}

local base = os.tmpname()
os.remove(base)

local function write(path, s) local f = assert(io.open(path, "w")); f:write(s); f:close() end

local function data()
  local out = {}
  for u = 1, 30 do
    for j = 0, 5 + u % 3 do out[#out + 1] = ("%d %d"):format(u, (u + 2 * j) % 25 + 1) end
  end
  local p = base .. "_seq.txt"
  write(p, table.concat(out, "\n") .. "\n")
  return p
end

-- runs fn with print captured; returns the printed lines
local function capture(fn)
  local lines, old = {}, print
  print = function(...) lines[#lines + 1] = table.concat({ ... }, "\t") end
  local ok, err = pcall(fn)
  print = old
  if not ok then error(err, 0) end
  return lines
end

function t.train_save_then_eval_load()
  local d, cfg, ck, log = data(), base .. "_cfg.lua", base .. ".ckpt", base .. ".jsonl"
  write(cfg, ([[return { data = %q, schema = "sasrec", model = "sasrec",
    options = { dim = 8, maxlen = 6, epochs = 2, batch = 8, heads = 2 }, eval = { k = { 5 } } }]]):format(d))
  local out = capture(function() check.eq(train_cmd.run({ cfg, "--save", ck, "--log", log, "--quiet" }), 0) end)
  check.truthy(out[1]:find("sasrec on", 1, true), "summary line")
  check.truthy(out[2]:find("[full]", 1, true) and out[3]:find("[sampled-100]", 1, true), "both protocols")
  local ev = capture(function() check.eq(eval_cmd.run({ d, "--schema", "sasrec", "--load", ck, "--k", "5" }), 0) end)
  local function metrics(line) return (line:gsub(" seconds=[%d.]+", "")) end
  check.eq(metrics(ev[2]), metrics(out[2]), "tide eval --load reproduces the full-ranking line of tide train")
  local n = 0
  for _ in io.lines(log) do n = n + 1 end
  check.eq(n, 2, "one log line per epoch")
  -- the library view of the same checkpoint
  local m = require("tide.models.seq_io").load_any(ck)
  check.eq(m.name, "sasrec")
  os.remove(d); os.remove(cfg); os.remove(ck); os.remove(log)
end

function t.config_errors()
  check.errors(function() C.check({ data = "x", modle = "sasrec" }) end, "unknown key 'modle'")
  check.errors(function() C.check({ model = "sasrec" }) end, "'data'")
  check.errors(function() C.check({ data = "x", model = "transformer" }) end, "unknown model 'transformer'")
  check.errors(function() C.check({ data = "x", options = 5 }) end, "'options' must be a table")
  check.errors(function() C.load(base .. "_missing.lua") end, "train config")
  check.errors(function() train_cmd.run({}) end, "missing CONFIG")
  check.errors(function() eval_cmd.run({ "x", "--load", base .. "_none.ckpt" }) end, "checkpoint")
end

return t
