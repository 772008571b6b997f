-- test_eval_cli.lua — `tide eval LOG` (baselines): by default every baseline side by side, and
-- the comparison table's HR / NDCG equal tide.metrics on the same split, its paired difference
-- is recomputed here from each user's rank; a log without categories skips profile; one
-- --model prints its line alone.
local tide = require "tide"
local check = require "check"
local R = require "reco_util"
local cmd = require "tide.cli.eval"
local tests = {}

local function run(args)
  local out, p = {}, print
  print = function(...) out[#out + 1] = table.concat({ ... }, " ") end
  local ok, rc = pcall(cmd.run, args)
  print = p
  if not ok then error(rc, 0) end
  return rc, table.concat(out, "\n")
end

local function ndcg_per_user(r, K)
  local out = {}
  for i, rk in ipairs(r.ranks:totable()) do
    rk = tonumber(rk)
    out[i] = rk < K and math.log(2) / math.log(rk + 2) or 0
  end
  return out
end

function tests.default_compares_every_baseline()
  local ev = R.log()
  local rc, out = run({ R.path("sim.csv") })
  check.eq(rc, 0)
  local sp = tide.split.split(ev, { by = "leave_last", n_valid = 0, min_len = 2 })
  local want = {}
  for _, spec in ipairs({ { "pop", tide.models.pop.new{ mode = "all" } },
                          { "sar", tide.models.sar.new{ half_life = 7 } } }) do
    spec[2]:fit(sp.train)
    want[spec[1]] = tide.metrics.evaluate(spec[2], sp, { k = { 10, 20 }, per_user = true })
  end
  for _, name in ipairs({ "pop", "pop-recent", "pop-decay", "profile", "sar" }) do
    check.truthy(out:find("\n" .. name:gsub("%-", "%%-") .. " +[%d.]+ %["), name .. " has a row: " .. out)
  end
  local hr, nd = out:match("\nsar +([%d.]+) %[[^%]]+%] +([%d.]+) %[")
  check.near(tonumber(hr), want.sar["HR@10"], 5e-5, "HR@10 as tide.metrics")
  check.near(tonumber(nd), want.sar["NDCG@10"], 5e-5, "NDCG@10 as tide.metrics")
  local a, b = ndcg_per_user(want.pop, 10), ndcg_per_user(want.sar, 10)
  local n, s, ss = #a, 0, 0
  for i = 1, n do s = s + (b[i] - a[i]) end
  local m = s / n
  for i = 1, n do ss = ss + (b[i] - a[i] - m) ^ 2 end
  local h = 1.959964 * math.sqrt(ss / (n - 1) / n)
  local d, lo, hi = out:match("\nsar +[%d.]+ %[[^\n]- ([+-][%d.]+) %[([+-][%d.]+), ([+-][%d.]+)%]")
  check.near(tonumber(d), m, 5e-5, "paired difference")
  check.near(tonumber(lo), m - h, 5e-5, "its lower bound")
  check.near(tonumber(hi), m + h, 5e-5, "its upper bound")
end

function tests.without_categories_and_one_model()
  local log = R.path("nocat.csv")
  local lines, first = {}, true
  for l in io.lines(R.path("sim.csv")) do
    local u, i, _, b, t = l:match("^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)")
    lines[#lines + 1] = first and "user_id,item_id,behavior,timestamp" or table.concat({ u, i, b, t }, ",")
    first = false
  end
  R.spit(log, table.concat(lines, "\n") .. "\n")
  local schema = "user=user_id,item=item_id,event=behavior,time=timestamp"
  local rc, out = run({ log, "--schema", schema })
  check.eq(rc, 0)
  check.truthy(out:find("profile: skipped", 1, true), "profile skipped without categories")
  check.truthy(out:find("\npop%-decay +[%d.]+ %["), "the others still compared")
  rc, out = run({ log, "--schema", schema, "--model", "pop" })
  check.truthy(rc == 0 and not out:find("paired", 1, true), "one model: no table")
  check.errors(function() run({ log, "--schema", schema, "--model", "profile" }) end, "no category column")
  check.errors(function() run({ log, "--model", "knn" }) end, "unknown --model 'knn'") -- before reading
  os.remove(log)
end

return tests
