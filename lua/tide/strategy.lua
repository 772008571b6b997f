-- tide.strategy — strategies as Lua scripts with one small interface. A strategy file returns
--   { name = "churn_warning", description = "...", params = {...} (optional),
--     select = function(users, ctx) -> treated users | per-user actions }
-- select gets the candidate users (an array of ids) and a context (tide.strategy.ctx: decision
-- time, risk, interest, uplift, forecasts, budget ...) and returns either
--   * the treated users: an array of ids {3, 8} or a set {[3] = true, [8] = true}, or
--   * actions per user: {[3] = {action = "coupon", value = 5}, [8] = {action = "push", at = t},
--     [9] = {action = "rerank", items = {...}}} (any action name; these three are checked).
-- strategy.run checks the result: a wrong type, an id not among `users`, or a malformed
-- action is an error naming the strategy file. Examples: examples/strategies/*.lua.
--   local s = tide.strategy.load("examples/strategies/churn_warning.lua")
--   local ctx = tide.strategy.ctx(ev, {risk = r})
--   local res = s:run(ctx.users, ctx)      -- {treated = {ids...}, actions = {[u] = action}}
local M = {}
local S = {}
S.__index = S

--- strategy.load(path) -> validated strategy (its fields, plus path and :run(users, ctx))
function M.load(path)
  if type(path) ~= "string" then error("strategy.load: path must be a string, got " .. type(path), 2) end
  local chunk, err = loadfile(path)
  if not chunk then error("strategy.load: " .. tostring(err), 2) end
  local ok, s = pcall(chunk)
  if not ok then error(("strategy %s: %s"):format(path, tostring(s)), 2) end
  local function bad(what) error(("strategy %s: %s"):format(path, what), 3) end
  if type(s) ~= "table" then bad("the file must return a table {name=, description=, select=}, got " .. type(s)) end
  if type(s.name) ~= "string" or s.name == "" then bad("'name' must be a non-empty string") end
  if type(s.description) ~= "string" then bad("'description' must be a string") end
  if type(s.select) ~= "function" then bad("'select' must be a function(users, ctx)") end
  if s.params ~= nil and type(s.params) ~= "table" then bad("'params' must be a table") end
  s.path = path
  return setmetatable(s, S)
end

--- strategy.ctx(ev, opts) -> a decision context (see tide.strategy.ctx)
function M.ctx(ev, opts) return require("tide.strategy.ctx").new(ev, opts) end

local function check_action(fail, u, a)
  if type(a.action) ~= "string" then fail(("the action for user %d has no string 'action' field"):format(u)) end
  local need = ({ coupon = "value", push = "at" })[a.action]
  if need and (type(a[need]) ~= "number" or a[need] ~= a[need]) then
    fail(("the %s action for user %d needs a number '%s'"):format(a.action, u, need))
  end
  if a.action == "rerank" and a.items ~= nil and type(a.items) ~= "table" then
    fail(("the rerank action for user %d: 'items' must be an array of item ids"):format(u))
  end
end

--- s:run(users, ctx) -> {treated = sorted ids, actions = {[u] = action} (true for a plain
--- selection), n = #treated}; errors name the strategy file
function S:run(users, ctx)
  local where = self.path or self.name
  local function fail(what) error(("strategy %s: select %s"):format(where, what), 3) end
  if type(users) ~= "table" then error(("strategy %s: run needs an array of user ids, got %s"):format(where, type(users)), 2) end
  local known = {}
  for _, u in ipairs(users) do known[u] = true end
  local ok, r = pcall(self.select, users, ctx)
  if not ok then error(("strategy %s: select failed: %s"):format(where, tostring(r)), 2) end
  if type(r) ~= "table" then
    fail("returned a " .. type(r) .. ", expected an array/set of user ids or a table user -> action")
  end
  local actions, treated = {}, {}
  local function take(u, a)
    if type(u) ~= "number" or not known[u] then fail(("returned unknown user id %s"):format(tostring(u))) end
    if actions[u] == nil then treated[#treated + 1] = u end
    actions[u] = a
  end
  local n = #r
  local array = n > 0
  for k in pairs(r) do if type(k) ~= "number" or k < 1 or k > n or k ~= math.floor(k) then array = false end end
  if array and type(r[1]) == "number" then
    for i = 1, n do
      if type(r[i]) ~= "number" then fail(("returned an array whose entry %d is a %s, not a user id"):format(i, type(r[i]))) end
      take(r[i], true)
    end
  else
    for u, v in pairs(r) do
      if v == true then take(u, true)
      elseif type(v) == "table" then take(u, v); check_action(fail, u, v)
      elseif v ~= false then fail(("returned %s for user %s: expected true, false or an action table"):format(type(v), tostring(u))) end
    end
  end
  table.sort(treated)
  return { treated = treated, actions = actions, n = #treated }
end

return M
