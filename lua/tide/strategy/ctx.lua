-- tide.strategy.ctx — the context a strategy's select(users, ctx) reads: per-user signals at
-- the decision time t, each computed on first use (a strategy pays only for what it reads).
-- All per-user values are Lua arrays indexed by user id; times are in days unless named.
--   ctx.t, ctx.users, ctx.n_users, ctx.budget, ctx.cost, ctx.value, ctx.params, ctx.ev;
--   ctx:with(defaults) merges ctx.params over a strategy's defaults
--   ctx.p_return   P(return): opts.activation (tensor/table [U], function(users) -> probs, or a
--                  model with :predict(X), X = opts.features or a frame {X=, users=}), else the
--                  forecast's P(visit within opts.window = 30 days). Users without a value in
--                  a given table take opts.missing, or it is an error.
--   ctx.risk       1 − p_return (or opts.risk as given)
--   ctx.interest   current decayed interest Σ_c interest(u, c, t) (tide.decay.profile; opts.interest
--                  = a profile, a dense [U, C] tensor, or a decay fit giving the law; default
--                  exponential, half-life opts.half_life = 7 days)
--   ctx.uplift     opts.uplift as an array (predicted treatment effect per user)
--   ctx.idle       days since each user's last event at or before t (math.huge: none)
--   ctx:return_prob(h) / ctx:level(tau) / ctx:lapse(threshold [, horizon]) — forecasts from
--                  opts.forecast (tide.decay.hawkes.fit_events result or a per-user/global decay fit)
--   ctx:recommend(users, k [, score]) — tide.recommend lists from opts.models with the context's
--                  interest and activation as signals
local M = {}
local forecast = require("tide.strategy.forecast")

local function T() return require("tide").tensor end
local DAY = 86400

-- a per-user input (tensor, array, map, function) as a Lua array over 1..n; a user without a
-- value takes `missing` (opts.missing) or is an error naming the input
local function per_user(x, n, what, users, missing)
  if type(x) == "function" then x = x(users) end
  if T().is_tensor(x) then x = x:contiguous():view({ -1 }):cast("f32"):totable() end
  if type(x) ~= "table" then error(("strategy.ctx: %s must be a tensor, a table or a function, got %s"):format(what, type(x)), 4) end
  local out = {}
  for u = 1, n do
    local v = x[u]
    if v == nil then
      v = missing
      if v == nil then error(("strategy.ctx: %s has no value for user %d (give users 1..%d, or opts.missing)"):format(what, u, n), 4) end
    end
    if type(v) ~= "number" or v ~= v then error(("strategy.ctx: %s[%d] is not a number (%s)"):format(what, u, tostring(v)), 4) end
    out[u] = v
  end
  return out
end

-- P(return) from an activation model: opts.features is its X (one row per user 1..n) or a
-- frame {X =, users =} from tide.activation.frame (rows for those users)
local function predicted(c, m)
  local f = c.opts.features
  if f == nil then error("strategy.ctx: an activation model needs opts.features (X or a frame {X=, users=})", 4) end
  local X, rows = f, nil
  if type(f) == "table" and not T().is_tensor(f) and f.X then X, rows = f.X, f.users end
  local p = m:predict(X)
  if not rows then return p end
  p = T().is_tensor(p) and p:contiguous():view({ -1 }):totable() or p
  rows = T().is_tensor(rows) and rows:totable() or rows
  if #p ~= #rows then error(("strategy.ctx: the activation model gave %d probabilities for %d frame rows"):format(#p, #rows), 4) end
  local out = {}
  for i, u in ipairs(rows) do out[u] = p[i] end
  return out
end

local lazy = {}

function lazy.p_return(c)
  local o = c.opts
  if o.activation ~= nil then
    local a = o.activation
    if type(a) == "table" and type(a.predict) == "function" then a = predicted(c, a) end
    local p = per_user(a, c.n_users, "activation", T().fromtable(c.users, "i32"), o.missing)
    for u, v in ipairs(p) do
      if v < 0 or v > 1 then error(("strategy.ctx: activation[%d] = %g is not a probability"):format(u, v), 3) end
    end
    return p
  end
  if o.forecast then return c:return_prob(o.window or 30) end
  error("strategy.ctx: P(return) needs opts.activation (probabilities or a model) or opts.forecast", 3)
end

function lazy.risk(c)
  if c.opts.risk ~= nil then return per_user(c.opts.risk, c.n_users, "risk", T().fromtable(c.users, "i32"), c.opts.missing) end
  local out = {}
  for u, p in ipairs(c.p_return) do out[u] = 1 - p end
  return out
end

function lazy.profile(c)
  local I = c.opts.interest
  if type(I) == "table" and I.off and I.key then return I end
  local o = { at = c.t, half_life = c.opts.half_life or 7 }
  if type(I) == "table" and I.theta then o.fit = I end
  return require("tide.decay").profile(c.ev, o)
end

function lazy.interest(c)
  local I = c.opts.interest
  if T().is_tensor(I) then return per_user(I:sum(2), c.n_users, "interest") end
  local p, out = c.profile, {}
  local val = p.val:totable()
  for u = 1, c.n_users do
    local s = 0
    for q = p.off:get(u) + 1, p.off:get(u + 1) do s = s + val[q] end
    out[u] = s
  end
  return out
end

function lazy.uplift(c)
  if c.opts.uplift == nil then error("strategy.ctx: ctx.uplift needs opts.uplift", 3) end
  return per_user(c.opts.uplift, c.n_users, "uplift", T().fromtable(c.users, "i32"), c.opts.missing)
end

-- days from each user's last event at or before t to t (math.huge: no event by t); events
-- after t are the future of a decision taken at t and never count
function lazy.idle(c)
  local s, out = require("tide.decay.seq").of(c.ev), {}
  for u = 1, c.n_users do
    out[u] = math.huge
    for p = s.off:get(u + 1), s.off:get(u) + 1, -1 do
      local tt = s.time:get(p)
      if tt <= c.t then out[u] = (c.t - tt) / DAY; break end
    end
  end
  return out
end

local Ctx = {}
Ctx.__index = function(c, k)
  if Ctx[k] then return Ctx[k] end
  local f = lazy[k]
  if not f then return nil end
  local v = f(c)
  rawset(c, k, v)
  return v
end

--- ctx:with(defaults) -> a strategy's parameters: ctx.params overriding `defaults`
function Ctx:with(defaults)
  local out = {}
  for k, v in pairs(defaults) do out[k] = v end
  for k, v in pairs(self.params) do out[k] = v end
  return out
end

function Ctx:return_prob(h) return forecast.return_prob(self, h) end
function Ctx:level(tau) return forecast.level(self, tau) end
function Ctx:lapse(threshold, horizon) return forecast.lapse(self, threshold, horizon) end

function Ctx:recommend(users, k, score)
  if not self.opts.models then error("strategy.ctx: ctx:recommend needs opts.models (fitted recommenders)", 2) end
  local ev = self.ev
  local cat = ev.category and require("tide.models.common").item_category(ev, ev.n_items) or nil
  local act = {}
  for u, p in ipairs(self.p_return) do act[u] = p end
  local rec = require("tide.recommend").new{ candidates = self.opts.models, score = score, item_category = cat,
    signals = { interest = cat and self.profile or nil, activation = act }, exclude = { seen = ev } }
  return rec:topk(users, k)
end

--- ctx.new(ev, opts) -> context (fields above); opts.t = decision time (epoch seconds, default
--- the end of the log), opts.budget, opts.cost, opts.value, opts.params (free-form table)
function M.new(ev, opts)
  opts = opts or {}
  if type(ev) ~= "table" or not ev.user then error("strategy.ctx: expected an event table", 2) end
  if type(opts) ~= "table" then error("strategy.ctx: opts must be a table", 2) end
  local seq = require("tide.decay.seq")
  local s = seq.of(ev)
  local users = {}
  for u = 1, s.n_users do users[u] = u end
  local c = { ev = ev, opts = opts, t = opts.t or seq.t_end(ev), n_users = s.n_users, users = users,
              budget = opts.budget, cost = opts.cost or 1, value = opts.value or 1, params = opts.params or {} }
  if type(c.t) ~= "number" then error("strategy.ctx: opts.t must be a time in epoch seconds", 2) end
  return setmetatable(c, Ctx)
end

return M
