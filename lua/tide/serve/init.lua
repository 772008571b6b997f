-- tide.serve — the scoring service's handler inside nginx (libnginx-mod-http-lua, whose
-- LuaJIT loads tide and core.so like the luajit binary does). scripts/serve/nginx.conf wires:
--   init_worker_by_lua: require("tide.serve").init_worker(config_path)
--   content_by_lua:     require("tide.serve").handle()
-- Endpoints (JSON out; errors are 4xx/5xx with {"error": message}):
--   GET  /recommend?user=<raw id>&k=<1..max_k>[&now=<epoch s>]  top-K re-ranked by decayed
--        interest at `now` (default: the request time; not before the history's end)
--   GET  /profile?user=<raw id>[&now=]     the user's decayed interest per key (non-zero only)
--   POST /events   {"user":, "item":, "event": "cart", "time": epoch s} or an array of them:
--        all validated first, then folded into the shared profile and appended to the log
--   GET  /health   readiness, worker, model and load time
-- Each worker loads the model and history once (init_worker); worker 0 builds the shared
-- profile when the dict does not hold one for this law (first start, or a reload that changed
-- it). A graceful reload (`nginx -s reload`, scripts/serve/reload.sh) starts new workers on the
-- current model file while old ones finish their requests; the shared profile survives.
local json = require "tide.data.json"
local M = {}

local S, P, load_error -- this worker's state, profile, and why loading failed

local function reply(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(json.encode(body))
  return ngx.exit(status)
end

-- a client error: raised as a table so handle() answers it (and tells it from a bug)
local function bad(status, fmt, ...) error({ status = status, error = fmt:format(...) }, 0) end

-- (re)builds the shared profile from the history and the appended log, then marks it ready
local function build_profile()
  local dict = P.dict
  dict:delete("sig")
  dict:flush_all()
  local ev = S.ev
  local u, it, e, t = ev.user:totable(), ev.item:totable(), ev.event:totable(), ev.time:totable()
  for i = 1, #u do assert(P:add(u[i], S.key_of[it[i]], e[i], t[i])) end
  local f = S.conf.append and io.open(S.conf.append, "r")
  if f then
    for line in f:lines() do
      local ru, ri, et, tt = line:match("^([^,]*),([^,]*),([^,]*),([^,]*)$")
      local du, di = ru and S.users:id(ru), ri and S.items:id(ri)
      -- the log holds event codes (1..5); a line that no longer fits (unknown id) is skipped
      if du and di then P:add(du, S.key_of[di], tonumber(et) or et, tonumber(tt)) end
    end
    f:close()
  end
  dict:set("sig", P:signature())
end

--- init_worker(config_path): loads this worker's state; worker 0 builds the shared profile.
function M.init_worker(path)
  local ok, err = pcall(function()
    local state = require "tide.serve.state"
    local conf = state.read_config(path)
    S = state.load(conf)
    S.loaded_at = ngx.now()
    P = require("tide.serve.profile").new(ngx.shared.tide_profile, { lambda = S.lambda, unit = S.unit, t0 = S.t_end,
                                                                      weights = conf.weights })
    if ngx.worker.id() == 0 and ngx.shared.tide_profile:get("sig") ~= P:signature() then build_profile() end
  end)
  if not ok then
    load_error = tostring(err)
    ngx.log(ngx.ERR, "tide.serve: ", load_error)
  end
end

local function ready() return S and P and P.dict:get("sig") == P:signature() end

local function raw(v) -- a JSON / query id as the interners' string
  if type(v) == "number" and v % 1 == 0 then return ("%d"):format(v) end
  return type(v) == "string" and v or nil
end

local function user_arg(args)
  local ru = args.user
  if type(ru) ~= "string" or ru == "" then bad(400, "missing query argument 'user' (once)") end
  local u = S.users:id(ru)
  if not u then bad(404, "unknown user '%s'", ru) end
  return u
end

local function now_arg(args)
  if args.now == nil then return ngx.now() end
  local t = tonumber(args.now)
  if not t or t ~= t then bad(400, "now must be a number of epoch seconds, got '%s'", tostring(args.now)) end
  -- the shared sums hold every event up to the history's end; an earlier query time would
  -- count later events with growing weights (tide.serve.profile)
  if t < P.t0 then bad(400, "now = %.17g precedes the end of the served history (%.17g)", t, P.t0) end
  return t
end

local function recommend()
  local args = ngx.req.get_uri_args()
  local u = user_arg(args)
  local now = now_arg(args)
  local k = tonumber(args.k or 10)
  if not k or k % 1 ~= 0 or k < 1 or k > S.conf.max_k then
    bad(400, "k must be an integer in 1..%d, got '%s'", S.conf.max_k, tostring(args.k))
  end
  local list = require("tide.serve.rank").recommend(S, P, u, k, now)
  local items = {}
  for i, r in ipairs(list) do
    items[i] = { item = S.items:name(r.item), score = r.score, model = r.model, interest = r.interest }
  end
  return 200, { user = args.user, k = k, now = now, items = items }
end

local function profile()
  local args = ngx.req.get_uri_args()
  local u = user_arg(args)
  local now = now_arg(args)
  local keys = {}
  for k = 1, S.n_keys do keys[k] = k end
  local vals, out = P:values(u, keys, now), {}
  for k = 1, S.n_keys do if vals[k] ~= 0 then out[S.key_names:name(k)] = vals[k] end end
  return 200, { user = args.user, now = now, interest = out }
end

local function events()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then bad(400, "POST /events needs a JSON body (at most 1 MB)") end
  local ok, v = pcall(json.decode, body)
  if not ok then bad(400, "malformed JSON: %s", tostring(v)) end
  if type(v) ~= "table" then bad(400, "expected a JSON object or array of events") end
  local list = v[1] and v or { v }
  local rows, now = {}, ngx.now()
  for i, e in ipairs(list) do
    if type(e) ~= "table" then bad(400, "event %d is not an object", i) end
    local ru, ri = raw(e.user), raw(e.item)
    local u, it = ru and S.users:id(ru), ri and S.items:id(ri)
    if not u then bad(422, "event %d: unknown user '%s'", i, tostring(e.user)) end
    if not it then bad(422, "event %d: unknown item '%s'", i, tostring(e.item)) end
    local t = e.time == nil and now or e.time
    if type(t) ~= "number" then bad(400, "event %d: time must be a number of epoch seconds", i) end
    local tok, terr = P:check_time(t)
    if not tok then bad(422, "event %d: %s", i, terr) end
    local code, err = P:code(e.event or "browse")
    if not code then bad(422, "event %d: %s", i, err) end
    rows[i] = { u, it, code, t, ru, ri }
  end
  for _, r in ipairs(rows) do
    local added, err = P:add(r[1], S.key_of[r[2]], r[3], r[4])
    if not added then bad(422, "%s", err) end
  end
  if S.conf.append then
    local f = io.open(S.conf.append, "a")
    if f then
      local lines = {}
      for i, r in ipairs(rows) do lines[i] = ("%s,%s,%d,%.17g\n"):format(r[5], r[6], r[3], r[4]) end
      f:write(table.concat(lines)) -- one write: O_APPEND keeps workers' lines whole
      f:close()
    end
  end
  return 200, { added = #rows }
end

local function health()
  return ready() and 200 or 503, { status = ready() and "ok" or "loading", error = load_error,
    worker = ngx.worker.id(), pid = ngx.worker.pid(), luajit = jit and jit.version, model = S and S.conf.model, model_bytes = S and S.model_bytes,
    loaded_at = S and S.loaded_at, users = S and S.n_users, items = S and S.n_items }
end

local ROUTES = { ["/recommend"] = { "GET", recommend }, ["/profile"] = { "GET", profile },
                 ["/events"] = { "POST", events }, ["/health"] = { "GET", health } }

local function dispatch()
  local route = ROUTES[ngx.var.uri]
  if not route then bad(404, "no endpoint %s (try /recommend, /profile, /events, /health)", ngx.var.uri) end
  if ngx.req.get_method() ~= route[1] then bad(405, "%s needs %s", ngx.var.uri, route[1]) end
  if route[2] ~= health and not ready() then
    bad(503, "%s", load_error and ("model failed to load: " .. load_error) or "profile still loading")
  end
  return route[2]()
end

--- handle(): the content handler. Client errors answer 4xx with {"error": message}; any other
--- Lua error answers 500 with its message (logged) — the worker never dies.
function M.handle()
  local ok, status, body = pcall(dispatch)
  if not ok then
    local e = status
    if type(e) == "table" and e.status then status, body = e.status, { error = e.error }
    else
      ngx.log(ngx.ERR, "tide.serve: ", tostring(e))
      status, body = 500, { error = "internal error: " .. tostring(e) }
    end
  end
  return reply(status, body)
end

return M
