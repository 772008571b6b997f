-- test_decay_cli.lua — `tide decay response` (also --marked) and `tide decay response-eval` end
-- to end on a small CSV: the printed weights are the library's, the saved fit reloads exactly, the
-- evaluation prints one row per method, bad invocations name the problem.
local tide = require "tide"
local check = require "check"
local cmd = require "tide.cli.decay"
local t = {}
local DAY = 86400

local base = os.tmpname()
os.remove(base)

-- 80 users × 3 items over 70 days in the sim schema; carts are followed by buys more often
local function make_csv()
  local path = base .. "_log.csv"
  math.randomseed(4)
  local rows = {}
  for u = 1, 80 do
    for i = 1, 3 do
      local tm = math.random() * 20
      while tm < 70 do
        local r = math.random()
        local b = r < 0.6 and "pv" or (r < 0.85 and "cart" or "buy")
        rows[#rows + 1] = { 1700000000 + math.floor(tm * DAY), ("%d,%d,%d,%s,%d,1.5,10"):format(u, i + 3 * (u % 5), i, b, 1700000000 + math.floor(tm * DAY)) }
        tm = tm + (b == "cart" and 0.5 or 4) * math.random()
      end
    end
  end
  table.sort(rows, function(a, b) return a[1] < b[1] end)
  local f = assert(io.open(path, "w"))
  f:write("user_id,item_id,category_id,behavior,timestamp,price,dwell\n")
  for _, r in ipairs(rows) do f:write(r[2], "\n") end
  f:close()
  return path
end

local function capture(fn)
  local lines, old = {}, print
  print = function(...) local p = {} for i = 1, select("#", ...) do p[i] = tostring(select(i, ...)) end lines[#lines + 1] = table.concat(p, "\t") end
  local ok, rc = pcall(fn)
  print = old
  if not ok then error(rc, 0) end
  return rc, lines
end

function t.response_prints_weights_and_saves_the_fit()
  local csv, out = make_csv(), base .. "_fit.tm"
  local rc, lines = capture(function()
    return cmd.run({ "response", "--data", csv, "--schema", "sim", "--family", "exponential", "--out", out })
  end)
  check.eq(rc, 0)
  local f = tide.decay.load(out)
  os.remove(out)
  local ev = tide.data.read_events(csv, "sim")
  local g = tide.decay.response.fit(ev, { key = "item", target = "buy", family = "exponential" })
  check.eq(f.weights.cart, g.weights.cart, "saved = library fit")
  local text = table.concat(lines, "\n")
  check.truthy(text:find(("cart%s+" .. ("%.5g"):format(g.weights.cart):gsub("%.", "%%.")), 1) ~= nil, "cart weight printed")
  check.truthy(text:find("nonparametric curve", 1, true) ~= nil, "curve table printed")
  check.truthy(text:find("[0, 1)", 1, true) ~= nil, "first age bin")
  check.truthy(text:find("half-life", 1, true) ~= nil)
  os.remove(csv)
end

function t.marked_response_prints_both_parts_and_saves()
  local csv, out = make_csv(), base .. "_marked.tm"
  local rc, lines = capture(function()
    return cmd.run({ "response", csv, "--marked", "--family", "exponential", "--out", out })
  end)
  check.eq(rc, 0)
  local f = tide.decay.load(out)
  os.remove(out)
  local ev = tide.data.read_events(csv, "sim")
  local g = tide.decay.response.fit_marked(ev, { family = "exponential", se = true })
  check.eq(f.half_life, g.half_life, "saved = library fit")
  check.eq(f.ground.mu, g.ground.mu, "ground saved")
  local text = table.concat(lines, "\n")
  check.truthy(text:find(("half-life %.4g"):format(g.half_life), 1, true) ~= nil, "preference half-life printed: " .. text)
  check.truthy(text:find(("mu %.4g"):format(g.ground.mu), 1, true) ~= nil, "ground rate printed")
  check.truthy(text:find("cart", 1, true) ~= nil, "type weights printed")
  local c = g:expected(ev, ev.time:max():item() + 1, 14).calibration
  local want = c and ("log E' = %.3f + %.3f log E + %.3f log r"):format(c.c, c.a, c.b) or "the kernel's own"
  check.truthy(text:find(want, 1, true) ~= nil, "the recalibration printed: " .. want)
  os.remove(csv)
end

function t.stacked_response_prints_the_features_and_saves()
  local csv, out = make_csv(), base .. "_stacked.tm"
  local rc, lines = capture(function()
    return cmd.run({ "response", csv, "--stacked", "--horizon", "10", "--out", out })
  end)
  check.eq(rc, 0)
  local f = tide.decay.load(out)
  os.remove(out)
  check.eq(f.horizon, 10, "the horizon asked for")
  local text = table.concat(lines, "\n")
  check.truthy(text:find(("%d candidate pairs, %d of them acted"):format(f.n_train, f.n_positive), 1, true) ~= nil,
    "training rows printed: " .. text)
  check.truthy(text:find(f:importance()[1].name, 1, true) ~= nil, "the features' gain printed")
  check.errors(function() cmd.run({ "response", csv, "--stacked", "--horizon", "100" }) end, "no events before at − horizon")
  os.remove(csv)
end

function t.response_eval_prints_a_row_per_method()
  local csv = make_csv()
  local rc, lines = capture(function()
    return cmd.run({ "response-eval", csv, "--schema", "sim", "--methods", "none,response", "--horizon", "14" })
  end)
  check.eq(rc, 0)
  local found = {}
  for _, l in ipairs(lines) do
    local m, f1 = l:match("^(%a+)%s+.-%s(%d%.%d+)%s+%d%.%d+%s+%d%.%d+%s*$")
    if m then found[m] = tonumber(f1) end
  end
  check.truthy(found.none and found.response, "rows for none and response: " .. table.concat(lines, "\n"))
  local plain = table.concat(lines, "\n")
  check.truthy(plain:find("add --bootstrap", 1, true) ~= nil, "says how to get the interval: " .. plain)
  check.truthy(plain:find("95 %", 1, true) == plain:find("95 % interval", 1, true), "no empty interval column")
  rc, lines = capture(function()
    return cmd.run({ "response-eval", csv, "--schema", "sim", "--methods", "none,response", "--frailty", "user",
                     "--bootstrap", "50" })
  end)
  check.eq(rc, 0)
  local text = table.concat(lines, "\n")
  check.truthy(text:find("\nresponse .-%[[-+]%d%.%d+, [-+]%d%.%d+%]") ~= nil, "an interval on the response row: " .. text)
  check.truthy(text:find("F1 − none, 95 %", 1, true) ~= nil and not text:find("add --bootstrap", 1, true),
    "the interval column, no hint")
  check.errors(function() cmd.run({ "response-eval", csv, "--schema", "sim", "--frailty", "both" }) end,
    "--frailty must be pair or user")
  check.errors(function() cmd.run({ "response-eval", csv, "--schema", "sim", "--methods", "magic" }) end, "unknown method 'magic'")
  check.errors(function() cmd.run({ "response-eval", csv, "--schema", "sim", "--horizon", "400" }) end, "shorter than two horizons")
  rc, lines = capture(function()
    return cmd.run({ "response-eval", csv, "--schema", "sim", "--methods", "none", "--horizon", "7", "--origins", "2" })
  end)
  check.eq(rc, 0)
  check.truthy(table.concat(lines, "\n"):find("each of the last 2 windows of 7 days, pooled", 1, true) ~= nil,
    "says the windows are pooled: " .. table.concat(lines, "\n"))
  check.errors(function() cmd.run({ "response-eval", csv, "--schema", "sim", "--origins", "x" }) end,
    "--origins must be a number")
  os.remove(csv)
end

function t.bad_invocations()
  check.errors(function() cmd.run({ "response" }) end, "missing DATA path")
  check.errors(function() cmd.run({ "response", "/nonexistent/x.csv" }) end, "x.csv")
  local csv = make_csv()
  check.errors(function() capture(function() return cmd.run({ "response", csv, "--schema", "sim", "--family", "linear" }) end) end,
    "bounded support")
  check.errors(function() capture(function() return cmd.run({ "response", csv, "--schema", "sim", "--target", "purchase" }) end) end,
    "unknown target event 'purchase'")
  os.remove(csv)
end

return t
