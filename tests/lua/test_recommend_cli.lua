-- test_recommend_cli.lua — `tide recommend`: rows from a saved model equal tide.recommend's
-- lists (in the log's own ids), seen and blocked items never appear, JSON output, on-the-fly
-- fitting, the script end to end, and option errors.
local tide = require "tide"
local check = require "check"
local R = require "reco_util"
local cmd = require "tide.cli.recommend"
local tests = {}

local function rows(path)
  local out = {}
  for line in io.lines(path) do
    local u, r, i, s, why = line:match("^([^,]+),(%d+),([^,]+),([^,]+),([%w_]+)$")
    if u then out[#out + 1] = { user = u, rank = tonumber(r), item = i, score = tonumber(s), reason = why } end
  end
  return out
end

local function quiet(f, ...)
  local p = print
  print = function() end
  local res = { pcall(f, ...) }
  print = p
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2)
end

function tests.rows_match_the_api()
  local ev = R.log()
  local sar = tide.models.sar{ half_life = 10 }:fit(ev)
  sar:save(R.path("cli_sar.tm"))
  local blocked = { ev.items:name(5), ev.items:name(9), "no-such-item" }
  R.spit(R.path("blocked.txt"), table.concat(blocked, "\n") .. "\n")
  R.spit(R.path("users.txt"), ev.users:name(3) .. "\n" .. ev.users:name(40) .. "\n")
  check.eq(quiet(cmd.run, { "--data", R.path("sim.csv"), "--model", R.path("cli_sar.tm"), "--out", R.path("r.csv"),
    "--users", R.path("users.txt"), "--k", "7", "--exclude-seen", "--blocked", R.path("blocked.txt") }), 0, "exit code")
  local got = rows(R.path("r.csv"))
  check.eq(#got, 14, "7 rows for each of 2 users")
  local rec = tide.recommend.new{ candidates = sar, exclude = { seen = ev, blocked = { 5, 9 } } }
  local want = rec:topk({ 3, 40 }, 7)
  for b, u in ipairs({ 3, 40 }) do
    for r = 1, 7 do
      local g = got[(b - 1) * 7 + r]
      check.eq(g.user, ev.users:name(u), "user id as in the log")
      check.eq(g.rank, r, "rank")
      check.eq(g.item, ev.items:name(want[b][r].item), "item as in the log")
      check.near(g.score, want[b][r].score, 1e-7, "score")
      check.eq(g.reason, want[b][r].reason, "reason")
      check.truthy(g.item ~= blocked[1] and g.item ~= blocked[2], "blocked")
    end
  end
end

function tests.json_fit_on_the_fly_and_script()
  local ev = R.log()
  quiet(cmd.run, { "--data", R.path("sim.csv"), "--fit", "pop", "--out", R.path("r.json"), "--k", "3", "--exclude-seen",
                   "--mmr", "0.5", "--interest", "7", "--score", "model=1,interest=0.5" })
  local j = require("tide.data.json").decode(R.slurp(R.path("r.json")))
  check.eq(#j, 3 * ev.n_users, "3 rows per user")
  local seen = {}
  for e = 1, ev.user:numel() do seen[ev.users:name(ev.user:get(e)) .. "/" .. ev.items:name(ev.item:get(e))] = true end
  for _, r in ipairs(j) do
    check.truthy(not seen[r.user .. "/" .. r.item], "no seen item")
    check.truthy(r.reason == "model" or r.reason == "interest", "reason is a signal")
  end
  -- the real command line: exit status and the line saying which model was used
  -- (no leak check in the child under `make sanitize`: the CLI ends with os.exit, which does not
  -- collect what is still live; memory errors are still caught)
  local p = io.popen(("env ASAN_OPTIONS=detect_leaks=0 luajit scripts/tide recommend --data %s --fit sar --k 2 --out %s"):format(R.path("sim.csv"), R.path("s.csv")))
  local said = p:read("*a")
  p:close()
  check.truthy(said:find("sar fitted now on", 1, true), "says which model was used: " .. said)
  check.eq(#rows(R.path("s.csv")), 2 * ev.n_users, "rows written by the script")
  -- what a new user types first: no model and no --out -> SAR fitted, rows on stdout, the
  -- summary on stderr
  p = io.popen(("env ASAN_OPTIONS=detect_leaks=0 luajit scripts/tide recommend --data %s --k 1 2>%s"):format(
    R.path("sim.csv"), R.path("err.txt")))
  local out = p:read("*a")
  p:close()
  local _, n = out:gsub("\n", "")
  check.eq(n, 1 + ev.n_users, "header and one row per user on stdout")
  local f = assert(io.open(R.path("err.txt")))
  check.truthy(f:read("*a"):find("sar fitted now on", 1, true), "the default model is named on stderr")
  f:close()
end

-- A user id the log has never seen gets the items most popular at the log's end (decayed
-- popularity, 7-day half-life, computed here from the rows), minus blocked items; the known
-- users' rows are unchanged, and the unknown ids are said on stderr.
function tests.new_users_get_popular_items()
  local ev, d = R.log(), R.path("sim.csv")
  R.spit(R.path("mixed.txt"), ev.users:name(3) .. "\nnobody\n")
  local blocked = {}
  local t_end, w = -math.huge, {}
  local times, items = ev.time:totable(), ev.item:totable()
  for i = 1, #times do t_end = math.max(t_end, tonumber(times[i])) end
  for i = 1, #times do w[items[i]] = (w[items[i]] or 0) + 0.5 ^ ((t_end - tonumber(times[i])) / (7 * 86400)) end
  local order = {}
  for i in pairs(w) do order[#order + 1] = i end
  table.sort(order, function(x, y) return w[x] > w[y] end)
  blocked[1] = ev.items:name(order[1]) -- the most popular item is blocked: the list starts at the second
  R.spit(R.path("block1.txt"), blocked[1] .. "\n")
  check.eq(quiet(cmd.run, { "--data", d, "--out", R.path("mixed.csv"), "--fit", "sar", "--users", R.path("mixed.txt"),
    "--k", "3", "--blocked", R.path("block1.txt") }), 0)
  local got = rows(R.path("mixed.csv"))
  check.eq(#got, 6, "three rows for each user")
  for r = 1, 3 do
    local row = got[3 + r]
    check.eq(row.user, "nobody"); check.eq(row.reason, "new_user_popular")
    check.eq(row.item, ev.items:name(order[r + 1]), "rank " .. r .. ": by decayed popularity, the blocked item left out")
    check.near(row.score, w[order[r + 1]], 1e-6 * w[order[r + 1]])
  end
  check.eq(got[1].user, ev.users:name(3)); check.eq(got[1].reason ~= "new_user_popular", true)
end

function tests.option_errors()
  local d = R.path("sim.csv")
  R.log()
  local function err(args, pattern) check.errors(function() quiet(cmd.run, args) end, pattern, table.concat(args, " ")) end
  err({ "--out", R.path("x.csv") }, "--data LOG is required")
  err({ "--data", d, "--out" }, "--out needs a file name")
  err({ "--data", d, "--out", R.path("x.csv"), "--fit", "bert" }, "--fit must be sar, pop or profile")
  err({ "--data", d, "--out", R.path("x.csv"), "--fit", "sar", "--format", "xml" }, "--format must be csv or json")
  err({ "--data", d, "--out", R.path("x.csv"), "--fit", "sar", "--k", "zero" }, "--k expects a number")
  err({ "--data", d, "--out", R.path("x.csv"), "--fit", "sar", "--mmr", "3" }, "--mmr expects a number in [0, 1]")
  err({ "--data", d, "--out", R.path("x.csv"), "--model", R.path("nope.tm") }, "nope.tm")
  -- a model fitted on another log
  local other = R.path("other.csv")
  tide.sim.generate{ users = 20, events = 500, seed = 2, out = other, truth = false }
  tide.models.pop{}:fit(tide.data.read_events(other, "sim")):save(R.path("other.tm"))
  err({ "--data", d, "--out", R.path("x.csv"), "--model", R.path("other.tm") }, "use the log it was fitted on")
end

return tests
