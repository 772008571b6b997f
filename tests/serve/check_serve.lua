-- check_serve.lua <port> <data dir> <prefix> — drives a running Tide scoring service
-- (tests/serve/run.sh starts it) over HTTP with curl, and checks every endpoint against an
-- independent offline computation: the model's scores read from the saved model file,
-- decayed interest as the explicit sum Σ w·2^(−age/half_life) over the log's events, the
-- documented combination, top-K with seen items excluded. Also: two requests an hour apart
-- differ by the interest's decay; POST /events equals a batch recompute; bad requests get 4xx
-- with a message; a graceful model reload under load drops no request.
local root = arg[0]:match("^(.*)/tests/serve/") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/tests/lua/?.lua;" .. package.path
package.cpath = root .. "/lua/?.so;" .. package.cpath
local tide = require "tide"
local check = require "check"
local json = require "tide.data.json"
local port, dir, prefix = arg[1], arg[2], arg[3]
local base = "http://127.0.0.1:" .. port
local tmp = dir .. "/_body"

local function sh(cmd)
  local p = io.popen(cmd)
  local out = p:read("*a")
  p:close()
  return out
end

-- (status, decoded JSON body)
local function http(method, path, body)
  local data = ""
  if body then
    local f = assert(io.open(tmp .. ".in", "wb")); f:write(body); f:close()
    data = "--data-binary @" .. tmp .. ".in -H 'Content-Type: application/json'"
  end
  local code = sh(("curl -s -o %s.out -w '%%{http_code}' -X %s %s '%s%s'"):format(tmp, method, data, base, path))
  local f = assert(io.open(tmp .. ".out", "rb"))
  local text = f:read("*a")
  f:close()
  local ok, v = pcall(json.decode, text)
  return tonumber(code), ok and v or text
end

local conf = dofile(dir .. "/serve.lua")
conf.model = dir .. "/" .. conf.model
local ev = tide.data.read_events(dir .. "/history.csv", "sim")
local HL, UNIT = conf.half_life, 86400
local W = { conf.weights.browse, conf.weights.click, conf.weights.cart, conf.weights.fav, conf.weights.buy }

-- decayed interest per category of dense user u at time t, by the explicit batch sum
local extra = {} -- events POSTed during the test: {u, item, code, t}
local function interest(u, t)
  local out = {}
  local us, it, cs, es, ts = ev.user:totable(), ev.item:totable(), ev.category:totable(), ev.event:totable(), ev.time:totable()
  local cat_of = {}
  for i = 1, #us do if not cat_of[it[i]] then cat_of[it[i]] = cs[i] end end
  local function add(c, code, te) out[c] = (out[c] or 0) + W[code] * 2 ^ (-(t - te) / (HL * UNIT)) end
  for i = 1, #us do if us[i] == u then add(cs[i], es[i], ts[i]) end end
  for _, e in ipairs(extra) do if e[1] == u then add(cat_of[e[2]], e[3], e[4]) end end
  return out, cat_of
end

-- expected top-k of dense user u at time t for the model in file `mpath`
local function expected(mpath, u, k, t)
  local model = tide.models.load(mpath)
  local s = model:score(tide.tensor.fromtable({ u }, "i32")):view({ -1 }):totable()
  local seen = {}
  for i = 1, ev.n do if ev.user:get(i) == u then seen[ev.item:get(i)] = true end end
  local lo, hi = math.huge, -math.huge
  for i = 1, #s do if not seen[i] then lo, hi = math.min(lo, s[i]), math.max(hi, s[i]) end end
  local intr, cat_of = interest(u, t)
  local rows = {}
  for i = 1, #s do
    if not seen[i] then
      local m = hi > lo and (s[i] - lo) / (hi - lo) or 1
      local x = intr[cat_of[i]] or 0
      rows[#rows + 1] = { item = ev.items:name(i), score = conf.model_weight * m + conf.interest_weight * x, interest = x, model = m }
    end
  end
  table.sort(rows, function(a, b) return a.score > b.score end)
  return { unpack(rows, 1, k) }
end

local function same_list(got, want, what)
  check.eq(#got, #want, what .. ": length")
  for i = 1, #want do
    check.near(got[i].score, want[i].score, 1e-9, what .. ": score " .. i)
    check.near(got[i].interest, want[i].interest, 1e-9, what .. ": interest " .. i)
    -- equal scores may come in either order offline; the service breaks ties by item id
    if math.abs(got[i].score - (want[i + 1] and want[i + 1].score or -1)) > 1e-12
       and math.abs(got[i].score - (want[i - 1] and want[i - 1].score or -1)) > 1e-12 then
      check.eq(got[i].item, want[i].item, what .. ": item " .. i)
    end
  end
end

local n = 0
local function ok(what) n = n + 1; io.write("  ok ", what, "\n") end

-- health: ready, and the embedded LuaJIT runs tide's core.so
local st, h = http("GET", "/health")
check.eq(st, 200, "health status"); check.eq(h.status, "ok", "health body")
check.truthy(tostring(h.luajit):find("^LuaJIT 2%.1"), "nginx embeds LuaJIT 2.1, got " .. tostring(h.luajit))
ok("GET /health (" .. h.luajit .. ")")

-- recommend: equals the offline computation; an hour later the interest term has decayed
local T1 = ev.time:cast("f32"):max():item() + 2 * 86400
local raw_user = "7"
local u = ev.users:id(raw_user)
local st1, r1 = http("GET", ("/recommend?user=%s&k=8&now=%d"):format(raw_user, T1))
check.eq(st1, 200, "recommend status")
same_list(r1.items, expected(conf.model, u, 8, T1), "recommend")
ok("GET /recommend matches the offline re-ranking")
local st2, r2 = http("GET", ("/recommend?user=%s&k=8&now=%d"):format(raw_user, T1 + 3600))
check.eq(st2, 200, "recommend +1h")
same_list(r2.items, expected(conf.model, u, 8, T1 + 3600), "recommend +1h")
local f = 2 ^ (-3600 / (HL * UNIT))
for i, it in ipairs(r2.items) do
  for _, j in ipairs(r1.items) do
    if j.item == it.item then check.near(it.interest, j.interest * f, 1e-9, "interest decays by 2^(-1h/half-life)") end
  end
  check.truthy(i == 1 or r2.items[i - 1].score >= it.score, "sorted by score")
end
check.truthy(r1.items[1].score ~= r2.items[1].score, "an hour later the scores differ")
ok("two requests an hour apart differ by the decay of the interest term")

-- POST /events: the profile equals a batch recompute over log + posted events
local items = { ev.items:name(3), ev.items:name(40), ev.items:name(3) }
local posted = { { user = raw_user, item = items[1], event = "cart", time = T1 - 600 },
                 { user = tonumber(raw_user), item = tonumber(items[2]), event = "buy", time = T1 - 300 },
                 { user = raw_user, item = items[3], event = "pv", time = T1 - 7200 } }
local stp, rp = http("POST", "/events", json.encode(posted))
check.eq(stp, 200, "post status " .. tostring(rp and rp.error)); check.eq(rp.added, 3, "added")
local stq, rq = http("POST", "/events", json.encode({ user = raw_user, item = items[2], event = "click", time = T1 - 60 }))
check.eq(stq, 200, "post one object")
for _, e in ipairs(posted) do extra[#extra + 1] = { u, ev.items:id(tostring(e.item)), ({ cart = 3, buy = 5, pv = 1 })[e.event], e.time } end
extra[#extra + 1] = { u, ev.items:id(items[2]), 2, T1 - 60 }
local function check_profile(t, what)
  local stf, pf = http("GET", ("/profile?user=%s&now=%d"):format(raw_user, t))
  check.eq(stf, 200, what .. " status")
  local want = interest(u, t)
  local nkeys = 0
  for c, v in pairs(want) do
    nkeys = nkeys + 1
    check.near(pf.interest[ev.categories:name(c)] or 0, v, 1e-9, what .. ": category " .. ev.categories:name(c))
  end
  for _ in pairs(pf.interest) do nkeys = nkeys - 1 end
  check.eq(nkeys, 0, what .. ": same categories")
end
check_profile(T1, "profile after POST")
check_profile(T1 + 86400 * 3, "profile 3 days later")
local st3, r3 = http("GET", ("/recommend?user=%s&k=8&now=%d"):format(raw_user, T1))
check.eq(st3, 200, "recommend after POST")
same_list(r3.items, expected(conf.model, u, 8, T1), "recommend after POST")
ok("POST /events == batch recompute (profile and re-ranking)")

-- bad requests: 4xx with a message, and the workers live on
local bads = {
  { "GET", "/recommend?user=no-such-user&k=5", nil, 404, "unknown user" },
  { "GET", "/recommend?k=5", nil, 400, "missing query argument 'user'" },
  { "GET", "/recommend?user=7&k=0", nil, 400, "k must be an integer in 1..100" },
  { "GET", "/recommend?user=7&k=101", nil, 400, "k must be" },
  { "GET", "/recommend?user=7&k=2.5", nil, 400, "k must be" },
  { "GET", "/recommend?user=7&k=abc", nil, 400, "k must be" },
  { "GET", "/recommend?user=7&user=8", nil, 400, "'user' (once)" },
  { "GET", "/recommend?user=7&now=yesterday", nil, 400, "now must be a number" },
  { "GET", ("/recommend?user=7&now=%d"):format(T1 - 30 * 86400), nil, 400, "precedes the end of the served history" },
  { "POST", "/events", "{\"user\": 7, \"item\": ", 400, "malformed JSON" },
  { "POST", "/events", "42", 400, "expected a JSON object or array" },
  { "POST", "/events", "[1, 2]", 400, "event 1 is not an object" },
  { "POST", "/events", "{\"user\": \"7\", \"item\": \"nope\"}", 422, "unknown item" },
  { "POST", "/events", "{\"user\": \"nobody\", \"item\": \"" .. items[1] .. "\"}", 422, "unknown user" },
  { "POST", "/events", "{\"user\": \"7\", \"item\": \"" .. items[1] .. "\", \"event\": \"teleport\"}", 422, "unknown event type" },
  { "POST", "/events", "{\"user\": \"7\", \"item\": \"" .. items[1] .. "\", \"time\": \"noon\"}", 400, "time must be a number" },
  { "POST", "/events", "{\"user\": \"7\", \"item\": \"" .. items[1] .. "\", \"time\": 1e300}", 422, "too far" },
  { "GET", "/events", nil, 405, "needs POST" },
  { "POST", "/recommend?user=7", "{}", 405, "needs GET" },
  { "GET", "/nope", nil, 404, "no endpoint /nope" },
}
for _, b in ipairs(bads) do
  local s, body = http(b[1], b[2], b[3])
  check.eq(s, b[4], b[1] .. " " .. b[2] .. " status")
  check.truthy(type(body) == "table" and tostring(body.error):find(b[5], 1, true), b[2] .. ": message '" .. b[5] .. "' in " .. tostring(type(body) == "table" and body.error or body))
end
check_profile(T1, "profile unchanged by rejected events")
check.eq((http("GET", "/health")), 200, "healthy after bad requests")
ok(#bads .. " bad requests answered 4xx with a message")

-- graceful reload: a new model file, reloaded under load, no request dropped
local before = select(2, http("GET", "/health"))
local m2 = tide.models.pop{ mode = "all" }
m2:fit(ev)
m2:save(conf.model)
local lg = io.popen(("%s/build/loadgen -p %s -c 4 -n 600 -t 20 -u %d -k 10 2>&1; echo rc=$?"):format(root, port, ev.n_users))
os.execute(("PREFIX=%s sh %s/scripts/serve/reload.sh >/dev/null"):format(prefix, root))
local out = lg:read("*a")
lg:close()
check.truthy(out:find("errors 0") and out:find("rc=0"), "load during reload: " .. out)
local after
for _ = 1, 50 do
  after = select(2, http("GET", "/health"))
  if type(after) == "table" and after.loaded_at and after.loaded_at > before.loaded_at then break end
  os.execute("sleep 0.1")
end
check.truthy(after.loaded_at > before.loaded_at, "new workers loaded the model")
local st4, r4 = http("GET", ("/recommend?user=%s&k=8&now=%d"):format(raw_user, T1))
check.eq(st4, 200, "recommend after reload")
same_list(r4.items, expected(conf.model, u, 8, T1), "recommend with the reloaded model")
check_profile(T1, "posted events survive the reload")
ok("graceful reload under load: 0 errors, new model served, profile kept")

-- full restart: the shared dict is gone, worker 0 rebuilds it from the history and the
-- appended log of POSTed events
os.execute(("PREFIX=%s sh %s/scripts/serve/stop.sh >/dev/null && PREFIX=%s PORT=%s CONFIG=%s/serve.lua sh %s/scripts/serve/start.sh >/dev/null")
  :format(prefix, root, prefix, port, dir, root))
check_profile(T1, "posted events survive a restart (replayed from the appended log)")
ok("restart: profile rebuilt from history + appended events")
print(("check_serve: %d checks passed"):format(n))
