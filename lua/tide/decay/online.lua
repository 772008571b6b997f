-- tide.decay.online — decayed interest kept up to date event by event and queried at any time,
-- without refitting or rescanning the log: interest(u, x, t) = Σ_{e of u on x, t_e <= t}
-- w[type_e] · S((t − t_e) / unit), the same quantity tide.decay.profile computes in batch.
-- The exponential law keeps one (value, time) pair per (user, key) and updates it by the
-- recursion v(t) = v(t') · e^(−λ(t − t')/unit) + w (exact, in any event order); other laws keep
-- each key's events (optionally only the newest max_events, then the sum is over those).
--   local P = tide.decay.online.new{half_life = 7}                 -- days; or family/theta/fit
--   P:add(user, key, "cart", t); P:value(user, key, t2); P:top(user, t2, 10)
local M = {}
local P = {}
P.__index = P

local function names() return require("tide.data.schema").EVENT end

--- new{half_life = days | family =, theta = {..}, k =, | fit = a tide.decay fit or response
---   Fit, unit = 86400, weights = {browse = 1, ...} (default: all 1), max_events = nil}
function M.new(opts)
  opts = opts or {}
  local self = setmetatable({ unit = opts.unit or 86400, state = {}, max_events = opts.max_events }, P)
  local law = opts.fit or opts
  if opts.fit then self.unit = opts.fit.unit or self.unit end
  if law.family and law.theta then
    self.family, self.k = law.family, law.k or 2
    local th = law.theta
    self.theta = type(th) == "table" and th or th:reshape({ -1 }):totable()
  else
    local hl = opts.half_life or 7
    if not (type(hl) == "number" and hl > 0) then error("decay.online: half_life must be a number of days > 0", 2) end
    self.family, self.k, self.theta = "exponential", 1, { math.log(2) / hl }
  end
  self.exponential = self.family == "exponential"
  self.weights = {}
  local w = opts.weights or (opts.fit and opts.fit.weights) or {}
  for name, code in pairs(names()) do self.weights[code] = w[name] or (next(w) and 0 or 1) end
  return self
end

local function code_of(self, ev_type)
  local c = type(ev_type) == "number" and ev_type or names()[ev_type]
  if not c or not self.weights[c] then error(("decay.online: unknown event type '%s'"):format(tostring(ev_type)), 3) end
  return c
end

function P:S(age)
  if self.exponential then return math.exp(-self.theta[1] * age) end
  return require("tide").core.decay.eval(self.family, self.k, self.theta, { age }):get(1)
end

--- add(user, key, type, t): one event (type a name or code 1..5, t in seconds).
function P:add(user, key, ev_type, t)
  if type(t) ~= "number" or t ~= t then error("decay.online: time must be a number", 2) end
  local w = self.weights[code_of(self, ev_type)]
  local row = self.state[user]
  if not row then row = {}; self.state[user] = row end
  local s = row[key]
  if self.exponential then
    if not s then row[key] = { v = w, t = t }
    elseif t >= s.t then s.v = s.v * self:S((t - s.t) / self.unit) + w; s.t = t
    else s.v = s.v + w * self:S((s.t - t) / self.unit) end
  else
    if not s then s = {}; row[key] = s end
    s[#s + 1] = { t, w }
    if self.max_events and #s > self.max_events then
      table.sort(s, function(a, b) return a[1] > b[1] end)
      for i = #s, self.max_events + 1, -1 do s[i] = nil end
    end
  end
  return self
end

--- add_events(ev): every row of an event table (keys = ev[key_column], default "category").
function P:add_events(ev, key_column)
  local key = ev[key_column or "category"]
  if not key then error(("decay.online: the event table has no '%s' column"):format(key_column or "category"), 2) end
  local u, k, e, t = ev.user:totable(), key:totable(), ev.event:totable(), ev.time:totable()
  for i = 1, #u do self:add(u[i], k[i], e[i], t[i]) end
  return self
end

--- value(user, key, t) -> interest at time t (events after t do not count for non-exponential
--- laws; for the exponential law t must not precede the key's newest event).
function P:value(user, key, t)
  local s = self.state[user] and self.state[user][key]
  if not s then return 0 end
  if self.exponential then
    if t < s.t then error("decay.online: query time precedes the newest event of this key (exponential state)", 2) end
    return s.v * self:S((t - s.t) / self.unit)
  end
  local v = 0
  for _, e in ipairs(s) do if e[1] <= t then v = v + e[2] * self:S((t - e[1]) / self.unit) end end
  return v
end

--- top(user, t, k) -> {{key, value}, ...} strongest first (k = all when nil).
function P:top(user, t, k)
  local out = {}
  for key in pairs(self.state[user] or {}) do out[#out + 1] = { key, self:value(user, key, t) } end
  table.sort(out, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
  for i = #out, (k or #out) + 1, -1 do out[i] = nil end
  return out
end

M.Profile = P
return M
