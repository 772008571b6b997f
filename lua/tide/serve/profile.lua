-- tide.serve.profile — the decayed interest profile of the scoring service, shared by all nginx
-- workers through a lua_shared_dict and updated by atomic additions only.
--
-- Under the exponential law interest(u, x, t) = Σ_e w_e · exp(−r (t − t_e)) (r = λ / unit per
-- second, the quantity tide.decay.online and tide.decay.profile compute). Factoring out a fixed
-- reference time t0, interest(u, x, t) = exp(−r (t − t0)) · V(u, x) with V = Σ_e w_e exp(r (t_e
-- − t0)). Adding an event is then one dict:incr(V, w·exp(r (t_e − t0))) — atomic across workers,
-- independent of event order, and the profile equals a batch recompute over the same events
-- (to rounding) at any query time t (events after t count with a factor > 1: the service
-- assumes events arrive no later than they are queried). |r (t − t0)| must stay below ~700
-- (doubles); at a 7-day half-life that is 19 years around t0 (add refuses beyond).
--   local P = profile.new(ngx.shared.tide_profile, {half_life = 7, unit = 86400, t0 = t_end,
--                          weights = {browse = 1, cart = 3, ...}})
--   P:add(user, key, "cart", t) ; P:value(user, key, t) ; P:values(user, keys, t)
-- The dict may be any object with get/incr(key, v, init)/set (tests use a table-backed one).
local M = {}
local P = {}
P.__index = P

local MAX_EXP = 700

--- new(dict, opts) -> profile. opts: half_life (days of `unit`, > 0) or lambda (per unit, > 0),
--- unit (seconds, default 86400), t0 (reference time, epoch seconds; required), weights
--- ({name = w} over tide.data.schema event names; default every type 1; with any weight given,
--- the others are 0, as in tide.decay.online).
function M.new(dict, opts)
  opts = opts or {}
  if type(dict) ~= "table" and type(dict) ~= "userdata" then error("serve.profile: dict must be a shared dict", 2) end
  local unit = opts.unit or 86400
  if type(unit) ~= "number" or not (unit > 0) then error("serve.profile: unit must be a number of seconds > 0", 2) end
  local lambda = opts.lambda
  if lambda == nil then
    local hl = opts.half_life or 7
    if type(hl) ~= "number" or not (hl > 0) then error("serve.profile: half_life must be a number > 0", 2) end
    lambda = math.log(2) / hl
  elseif type(lambda) ~= "number" or not (lambda > 0) then
    error("serve.profile: lambda must be a number > 0", 2)
  end
  if type(opts.t0) ~= "number" or opts.t0 ~= opts.t0 then error("serve.profile: t0 (reference time) must be a number", 2) end
  local schema = require("tide.data.schema")
  local w, given = {}, opts.weights or {}
  for name, code in pairs(schema.EVENT) do
    local v = given[name]
    if v ~= nil and type(v) ~= "number" then error("serve.profile: weights." .. name .. " must be a number", 2) end
    w[code] = v or (next(given) and 0 or 1)
  end
  for name in pairs(given) do
    if not schema.EVENT[name] then error("serve.profile: unknown event type '" .. tostring(name) .. "' in weights", 2) end
  end
  return setmetatable({ dict = dict, rate = lambda / unit, lambda = lambda, unit = unit, t0 = opts.t0, weights = w }, P)
end

--- signature() -> string naming the law and reference time (a reload with another law must
--- rebuild the dict, since stored sums are only meaningful for one rate and t0).
function P:signature() return ("exp:%.17g:%.17g"):format(self.rate, self.t0) end

local function key_of(user, key) return "p:" .. user .. ":" .. key end

--- code(ev_type) -> 1..5 or nil, error message (names as tide.data.schema.ALIASES, or codes).
function P:code(ev_type)
  local schema = require("tide.data.schema")
  local c = type(ev_type) == "number" and ev_type or schema.ALIASES[ev_type]
  if not c or not self.weights[c] then return nil, ("unknown event type '%s'"):format(tostring(ev_type)) end
  return c
end

--- check_time(t) -> true | nil, message: t can be added (a number near enough to t0).
function P:check_time(t)
  if type(t) ~= "number" or t ~= t then return nil, "time must be a number" end
  local x = self.rate * (t - self.t0)
  if x > MAX_EXP or x < -MAX_EXP then return nil, ("time %.17g is too far from the profile's reference time %.17g"):format(t, self.t0) end
  return true
end

--- add(user, key, type, t) -> true | nil, message: one event folded into the shared sum.
function P:add(user, key, ev_type, t)
  local c, err = self:code(ev_type)
  if not c then return nil, err end
  local okt, terr = self:check_time(t)
  if not okt then return nil, terr end
  local x = self.rate * (t - self.t0)
  local w = self.weights[c]
  if w == 0 then return true end
  local ok, e = self.dict:incr(key_of(user, key), w * math.exp(x), 0)
  if not ok then return nil, "profile store: " .. tostring(e) end
  return true
end

--- value(user, key, t) -> decayed interest at time t (0 without events).
function P:value(user, key, t)
  local v = self.dict:get(key_of(user, key))
  if not v then return 0 end
  return v * math.exp(-self.rate * (t - self.t0))
end

--- values(user, keys, t) -> {[key] = interest} for the keys of a list (one exp for all).
function P:values(user, keys, t)
  local f, out = math.exp(-self.rate * (t - self.t0)), {}
  for _, k in ipairs(keys) do out[k] = (self.dict:get(key_of(user, k)) or 0) * f end
  return out
end

--- table_dict() -> a dict over a Lua table with the shared-dict calls this module uses (for
--- tests and offline use).
function M.table_dict()
  local d = { data = {} }
  function d:get(k) return self.data[k] end
  function d:set(k, v) self.data[k] = v; return true end
  function d:incr(k, v, init)
    local cur = self.data[k]
    if cur == nil then
      if init == nil then return nil, "not found" end
      cur = init
    end
    self.data[k] = cur + v
    return self.data[k]
  end
  function d:flush_all() self.data = {} end
  return d
end

M.Profile = P
return M
