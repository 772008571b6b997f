-- tide recommend — top-K recommendations per user from saved models (or a baseline fitted on
-- the fly), written atomically as CSV or JSON rows user,rank,item,score,reason.
local help = [[
usage: tide recommend --data LOG [--out FILE] [--model FILE [--model2 FILE ...] | --fit sar|pop|profile]
Writes the top K items per user (tide.recommend) as rows user,rank,item,score,reason, with the
log's own user and item ids, to FILE atomically (a temporary file renamed into place), or to
standard output without --out. Without --model, a decayed SAR model is fitted on LOG (--fit).
  --data LOG          the event log the models were fitted on (ids are interned from it)
  --schema S          LOG's schema: a preset (default sim), a schema .lua file or key=col,...
  --model FILE        a model saved with m:save(FILE) (pop, sar, profile); --model2, --model3
                      ... add candidate models (their candidates are merged)
  --fit NAME          no model file: fit this baseline on LOG now (sar, pop or profile;
                      default sar: decayed item-to-item similarity, the strongest baseline)
  --half-life D       half-life in days for --fit (default: the model's own default)
  --users all|FILE    all users of LOG (default) or a file with one user id per line; ids LOG
                      has never seen come last, with the items most popular at its end
                      (decayed, half-life 7 days; reason new_user_popular)
  --k K               items per user (default 10)      --n-candidates N  (default 200)
  --format csv|json   default: from the --out extension (.json -> json), else csv
  --exclude-seen      drop items the user already interacted with in LOG
  --blocked FILE      item ids (one per line) never to recommend; --out-of-stock FILE too
  --interest D        add the decayed category interest of LOG (half-life D days) as a signal
  --score SPEC        weights "model=1,interest=0.5" or a Lua file returning function(sig)
  --mmr LAMBDA        MMR diversity re-ranking by category, LAMBDA in [0, 1] (1 = none)
The reason column names the signal with the largest contribution to the item's score.]]

local function fail(fmt, ...) error(fmt:format(...), 0) end

local function num(v, what, lo, hi)
  local n = tonumber(v)
  if not n or (lo and n < lo) or (hi and n > hi) then fail("--%s expects a number%s, got '%s'", what,
    lo and (" in [" .. lo .. ", " .. (hi or "inf") .. "]") or "", tostring(v)) end
  return n
end

-- ids listed one per line in a file, mapped through an interner; unknown ids are counted
local function read_ids(path, interner, what)
  local f, err = io.open(path, "r")
  if not f then fail("--%s: %s", what, tostring(err)) end
  local out, unknown = {}, {}
  for line in f:lines() do
    local key = line:match("^%s*(.-)%s*$")
    if key ~= "" then
      local id = interner:id(key)
      if id then out[#out + 1] = id else unknown[#unknown + 1] = key end
    end
  end
  f:close()
  return out, unknown
end

local function models_from(a, ev, tide)
  local models, used = {}, {}
  local keys = { "model" }
  for i = 2, 99 do if a["model" .. i] then keys[#keys + 1] = "model" .. i end end
  for _, key in ipairs(keys) do
    local p = a[key]
    if p then
      if p == true then fail("--%s needs a file", key) end
      local m = tide.models.load(p)
      if m.n_items ~= ev.n_items or m.n_users ~= ev.n_users then
        fail("%s (%s) was fitted on %d users x %d items, %s has %d x %d: use the log it was fitted on",
          p, m.name, m.n_users, m.n_items, a.data, ev.n_users, ev.n_items)
      end
      models[#models + 1] = m
      used[#used + 1] = ("%s (%s, loaded)"):format(p, m.name)
    end
  end
  if #models == 0 then
    local name = a.fit or "sar"
    if name ~= "sar" and name ~= "pop" and name ~= "profile" then fail("--fit must be sar, pop or profile, got '%s'", tostring(name)) end
    local o = { half_life = a["half-life"] and num(a["half-life"], "half-life", 0) or nil }
    if name == "pop" then o.mode = "decay" end
    models[1] = tide.models[name](o):fit(ev)
    used[1] = ("%s fitted now on %s"):format(models[1].name, a.data)
  elseif a.fit then
    fail("--fit and --model exclude each other")
  end
  return models, table.concat(used, ", ")
end

local function score_of(spec)
  if spec == nil then return nil end
  if spec:match("%.lua$") then return spec end
  local w = {}
  for k, v in spec:gmatch("([%w_%-]+)%s*=%s*([^,]+)") do w[k] = num(v, "score " .. k) end
  if next(w) == nil then fail("--score must be weights like model=1,interest=0.5 or a .lua file") end
  return w
end

-- Users the log has never seen get the items most popular at the log's end (decayed
-- popularity, half-life 7 days), minus blocked and out-of-stock items: reason new_user_popular.
local function cold_start_list(ev, k, exclude)
  local pop = require("tide.models.pop").new{ mode = "decay", half_life = 7, reference = "global" }:fit(ev)
  local score, drop = pop.pop:totable(), {}
  for _, set in ipairs({ exclude.blocked or {}, exclude.out_of_stock or {} }) do
    for _, i in ipairs(set) do drop[i] = true end
  end
  local order = {}
  for i = 1, #score do if not drop[i] and score[i] > 0 then order[#order + 1] = i end end
  table.sort(order, function(x, y) return score[x] > score[y] or (score[x] == score[y] and x < y) end)
  local list = {}
  for r = 1, math.min(k, #order) do list[r] = { item = order[r], score = score[order[r]], reason = "new_user_popular" } end
  return list
end

local function write(a, ev, names, lists, format)
  local rows = {}
  for b, list in ipairs(lists) do
    local u = names[b]
    for r, e in ipairs(list) do rows[#rows + 1] = { user = u, rank = r, item = ev.items:name(e.item), score = e.score, reason = e.reason } end
  end
  local text
  if format == "json" then text = require("tide.data.json").encode(rows) .. "\n"
  else
    local out = { "user,rank,item,score,reason" }
    for _, r in ipairs(rows) do out[#out + 1] = ("%s,%d,%s,%.9g,%s"):format(r.user, r.rank, r.item, r.score, r.reason) end
    text = table.concat(out, "\n") .. "\n"
  end
  if not a.out then io.stdout:write(text); return #rows end
  local ok, err = pcall(require("tide").core.io.write_atomic, a.out, text)
  if not ok then fail("%s", tostring(err)) end
  return #rows
end

local function run(args)
  local a = require("tide.cli").parse(args, { ["exclude-seen"] = true })
  if type(a.data) ~= "string" then fail("--data LOG is required (tide recommend --help)") end
  if a.out ~= nil and type(a.out) ~= "string" then fail("--out needs a file name") end
  local format = a.format or (a.out and a.out:match("%.json$") and "json" or "csv")
  if format ~= "csv" and format ~= "json" then fail("--format must be csv or json, got '%s'", tostring(format)) end
  local tide = require "tide"
  local ok, ev = pcall(tide.data.read_events, a.data, require("tide.cli").schema(a.schema or "sim"))
  if not ok then fail("%s", (tostring(ev):gsub("^[^:]*%.lua:%d+: ", ""))) end
  local models, used = models_from(a, ev, tide)
  local users, unknown = nil, {}
  if a.users == nil or a.users == "all" then
    users = {}
    for u = 1, ev.n_users do users[u] = u end
  else
    users, unknown = read_ids(a.users, ev.users, "users")
    if #unknown > 0 then
      io.stderr:write(("recommend: --users: %d ids not in %s (first: %s): they get the items most popular at its end (reason new_user_popular)\n")
        :format(#unknown, a.data, unknown[1]))
    end
  end
  local exclude = { seen = a["exclude-seen"] and ev or nil }
  if a.blocked then exclude.blocked = (read_ids(a.blocked, ev.items, "blocked")) end
  if a["out-of-stock"] then exclude.out_of_stock = (read_ids(a["out-of-stock"], ev.items, "out-of-stock")) end
  local common = require "tide.models.common"
  local cat = ev.category and common.item_category(ev, ev.n_items) or nil
  local signals = {}
  if a.interest then
    if not cat then fail("--interest needs a category column in %s", a.data) end
    signals.interest = tide.decay.profile(ev, { half_life = num(a.interest, "interest", 0) })
  end
  local mmr
  if a.mmr then
    if not cat then fail("--mmr needs a category column in %s", a.data) end
    mmr = { lambda = num(a.mmr, "mmr", 0, 1) }
  end
  local rec = tide.recommend.new{ candidates = models, n_candidates = a["n-candidates"] and num(a["n-candidates"], "n-candidates", 1) or 200,
    score = score_of(a.score), signals = signals, exclude = exclude, mmr = mmr, item_category = cat }
  local k = num(a.k or 10, "k", 1)
  local lists = #users > 0 and rec:topk(users, k) or {}
  local names = {}
  for b, u in ipairs(users) do names[b] = ev.users:name(u) end
  if #unknown > 0 then
    local cold = cold_start_list(ev, k, exclude)
    for _, key in ipairs(unknown) do names[#names + 1], lists[#lists + 1] = key, cold end
  end
  local n = write(a, ev, names, lists, format)
  -- the summary goes to stderr when the rows go to stdout, so they can be piped
  local say = a.out and print or function(m) io.stderr:write(m, "\n") end
  say(("recommend: model %s; wrote %d rows (%d users, k = %d) to %s (%s)"):format(used, n, #names, k,
    a.out or "standard output", format))
  return 0
end

return { summary = "top-K recommendations per user from saved or freshly fitted models (CSV/JSON)",
         help = help, run = run }
