-- tide.abtest.population — what a strategy may see before the decision: the simulator's
-- observable history of each user up to the log's end (the decision time), as features, and
-- the conversion of a strategy's answer (ids, a set, a mask, or per-user doses) into one dose
-- per user. Nothing here reads the simulator's hidden truth (rates, churn state).
local M = {}

M.FEATURES = { "recency", "frequency", "tenure", "recent" }

--- population.build(s, opts) -> pop: {users = {ids}, recency, frequency, tenure, recent (Lua
---   arrays aligned with users), X = rows {recency, frequency, tenure, recent}, horizon,
---   visits = function(id) -> visit times (days)}
--- s: a tide.sim object; opts.recent_days (default 30) sets the `recent` window;
--- opts.filter: nil | function(row) -> bool | {min_recency=, max_recency=, min_frequency=}
--- (row: {id, recency, frequency, tenure, recent}) picks the population. Users without any
--- visit before the decision are left out (nothing about them is observable).
function M.build(s, opts)
  local conf = s:config()
  local H, win = conf.horizon, opts.recent_days or 30
  local filter = opts.filter
  local pop = { users = {}, recency = {}, frequency = {}, tenure = {}, recent = {}, X = {}, horizon = H }
  for u = 1, conf.users do
    local t = s:visits(u)
    local n = #t
    local row = { id = u, frequency = n, recency = n > 0 and H - t[n] or math.huge,
                  tenure = n > 0 and H - t[1] or 0, recent = 0 }
    for k = n, 1, -1 do
      if t[k] < H - win then break end
      row.recent = row.recent + 1
    end
    local keep = true
    if type(filter) == "function" then keep = filter(row) and true or false
    elseif type(filter) == "table" then
      keep = row.recency >= (filter.min_recency or -math.huge) and row.recency <= (filter.max_recency or math.huge)
        and row.frequency >= (filter.min_frequency or 0)
    end
    if keep and n > 0 then
      local i = #pop.users + 1
      pop.users[i] = u
      for _, f in ipairs(M.FEATURES) do pop[f][i] = row[f] end
      pop.X[i] = { row.recency, row.frequency, row.tenure, row.recent }
    end
  end
  pop.visits = function(id) return (s:visits(id)) end
  return pop
end

local function dose_value(v, where)
  if v == true then return 1 elseif v == false or v == nil then return 0 end
  -- a per-user action (tide.strategy: {action = "coupon", value = 5, ...}) is the standard
  -- incentive, or `dose` times it when the action says so
  if type(v) == "table" and not require("tide").tensor.is_tensor(v) then
    if type(v.action) ~= "string" then error(("%s: a per-user action needs a string 'action' field"):format(where), 0) end
    v = v.dose == nil and 1 or v.dose
  end
  if type(v) ~= "number" or v ~= v or v < 0 or v == math.huge then
    error(("%s: a dose must be true/false or a finite number >= 0, got %s"):format(where, tostring(v)), 0)
  end
  return v
end

--- population.doses(answer, users, where) -> Lua array of doses aligned with users (0 = not
--- treated, 1 = the standard incentive, other numbers scale it).
--- answer: a list of ids {7, 3, ...}; a set {[7] = true} or {[7] = dose} or {[7] = {action = ...,
--- dose = 1}} (tide.strategy actions; any action counts as the incentive); a mask aligned with
--- users (a tensor, or a list of booleans of the same length); or {treated = any of these}.
--- A list of numbers is read as ids; a table with non-sequence keys as a set.
function M.doses(answer, users, where)
  local T = require("tide").tensor
  local n = #users
  local out = {}
  for i = 1, n do out[i] = 0 end
  if type(answer) == "table" and not T.is_tensor(answer) and answer.treated ~= nil then answer = answer.treated end
  if T.is_tensor(answer) then
    if answer:numel() ~= n then
      error(("%s: a mask tensor must have one entry per user (%d), got %d"):format(where, n, answer:numel()), 0)
    end
    local v = answer:contiguous():view(-1):totable()
    for i = 1, n do out[i] = dose_value(v[i], where) end
    return out
  end
  if type(answer) ~= "table" then
    error(("%s: select must return ids, a set, a mask or {treated = ...}, got %s"):format(where, type(answer)), 0)
  end
  local pos = {}
  for i, u in ipairs(users) do pos[u] = i end
  local len, count = #answer, 0
  for _ in pairs(answer) do count = count + 1 end
  if len == count and len > 0 and type(answer[1]) == "boolean" then
    if len ~= n then error(("%s: a boolean mask must have one entry per user (%d), got %d"):format(where, n, len), 0) end
    for i = 1, n do out[i] = dose_value(answer[i], where) end
  elseif len == count then
    for k, id in ipairs(answer) do
      if not pos[id] then error(("%s: selected id %s (entry %d) is not in the population"):format(where, tostring(id), k), 0) end
      out[pos[id]] = 1
    end
  else
    for id, v in pairs(answer) do
      if not pos[id] then error(("%s: selected id %s is not in the population"):format(where, tostring(id)), 0) end
      out[pos[id]] = dose_value(v, where)
    end
  end
  return out
end

return M
