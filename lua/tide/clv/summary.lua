-- tide.clv.summary — per-customer (frequency, recency, T, monetary) from a transaction log,
-- with an optional calibration/holdout split, in the Fader-Hardie convention used by every
-- BG/NBD and Pareto/NBD paper (and reproduced by the CDNOW summary files):
--   * transactions are counted per distinct DAY (several orders on one day are one purchase
--     occasion, their values summed);
--   * frequency = repeat purchase days in the calibration period (the first purchase is
--     excluded); recency = time from the first to the last of them; T = time from the first
--     purchase to calibration_end; monetary = mean value of the repeat purchase days (0 when
--     frequency = 0);
--   * holdout (calibration_end, observation_end]: frequency_holdout = purchase days in it,
--     monetary_holdout = their mean value, duration_holdout = its length;
--   * customers whose first purchase falls after calibration_end are left out.
-- Times are reported in `unit` (day or week = 7 days); the calibration end day itself belongs
-- to the calibration period.
local M = {}

local DAY = 86400
local UNITS = { day = 1, week = 7 }

-- epoch seconds from a number (epoch seconds) or a date string (YYYY-MM-DD[ hh:mm:ss],
-- YYYYMMDD, ISO 8601); what names the field in errors
local function to_seconds(v, what)
  if type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error(("clv.summary: %s is not finite"):format(what), 4) end
    return v
  end
  if type(v) == "string" then
    -- 8 digits are a YYYYMMDD date (the reader's "auto" would take them for epoch seconds)
    local s = require("tide").core.data.parse_time(v, v:match("^%d%d%d%d%d%d%d%d$") and "ymd" or "auto")
    if s then return s end
    error(("clv.summary: %s '%s' is not a date (YYYY-MM-DD, YYYYMMDD, ISO 8601 or epoch seconds)"):format(what, v), 4)
  end
  error(("clv.summary: %s must be a date string or epoch seconds, got %s"):format(what, type(v)), 4)
end
M.to_seconds = to_seconds

-- Columns {customer, time (epoch s), value} as Lua arrays, from an event table or from a
-- table of arrays {customer=, date=|time=, value=}.
local function columns(tx, opts)
  if type(tx) ~= "table" then error("clv.summary: tx must be an event table or a table of columns, got " .. type(tx), 3) end
  if tx.user and tx.time and tx.n then -- tide.data event table
    local vcol = opts.value or (tx.price and "price") or (tx.value and "value")
    local val = vcol and tx[vcol]
    if opts.value and not val then error("clv.summary: the event table has no column '" .. opts.value .. "'", 3) end
    local users = tx.user:totable()
    local names = {}
    for i, u in ipairs(users) do names[i] = tx.users and tx.users:name(u) or u end
    return names, tx.time:totable(), val and val:totable() or nil
  end
  local cust, dates, val = tx.customer, tx.date or tx.time, tx.value
  if type(cust) ~= "table" then error("clv.summary: tx.customer must be an array", 3) end
  if type(dates) ~= "table" then error("clv.summary: tx.date (or tx.time) must be an array", 3) end
  if #dates ~= #cust then error(("clv.summary: %d customers but %d dates"):format(#cust, #dates), 3) end
  if val ~= nil and (type(val) ~= "table" or #val ~= #cust) then
    error("clv.summary: tx.value must be an array as long as tx.customer", 3)
  end
  local secs = {}
  for i = 1, #dates do secs[i] = to_seconds(dates[i], "date[" .. i .. "]") end
  return cust, secs, val
end

--- summary(tx, opts) -> {customer, frequency, recency, T, monetary, n, unit, calibration_end
---   [, frequency_holdout, monetary_holdout, duration_holdout, observation_end]}
--- tx: a tide.data event table (time in epoch seconds; value column opts.value, default price
--- then value) or {customer = {...}, date = {...} (strings or epoch seconds), value = {...}}.
--- opts: calibration_end (date; default the last transaction), observation_end (date; adds
--- the holdout columns), unit ("week" | "day", default "week"). Customers are sorted by id.
function M.summary(tx, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("clv.summary: opts must be a table", 2) end
  for k in pairs(opts) do
    if k ~= "calibration_end" and k ~= "observation_end" and k ~= "unit" and k ~= "value" then
      error("clv.summary: unknown option '" .. tostring(k) .. "'", 2)
    end
  end
  local unit = opts.unit or "week"
  local ud = UNITS[unit] or error("clv.summary: opts.unit must be 'day' or 'week', got " .. tostring(unit), 2)
  local cust, secs, val = columns(tx, opts)
  if #cust == 0 then error("clv.summary: no transactions", 2) end
  local cal, obs
  if opts.calibration_end ~= nil then cal = math.floor(to_seconds(opts.calibration_end, "calibration_end") / DAY) end
  if opts.observation_end ~= nil then obs = math.floor(to_seconds(opts.observation_end, "observation_end") / DAY) end
  -- per customer: day -> summed value
  local days, order = {}, {}
  local last = -math.huge
  for i = 1, #cust do
    local c = cust[i]
    if c == nil then error("clv.summary: customer[" .. i .. "] is missing", 2) end
    local v = val and tonumber(val[i]) or 0
    if v ~= v then error("clv.summary: value[" .. i .. "] is NaN", 2) end
    local d = math.floor(secs[i] / DAY)
    if d > last then last = d end
    local t = days[c]
    if not t then t = {}; days[c] = t; order[#order + 1] = c end
    t[d] = (t[d] or 0) + v
  end
  cal = cal or last
  if obs and obs < cal then error("clv.summary: observation_end is before calibration_end", 2) end
  table.sort(order, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  local out = { customer = {}, frequency = {}, recency = {}, T = {}, monetary = {}, unit = unit,
                calibration_end = cal * DAY }
  if obs then
    out.frequency_holdout, out.monetary_holdout, out.duration_holdout = {}, {}, {}
    out.observation_end = obs * DAY
  end
  for _, c in ipairs(order) do
    local ds = {}
    for d in pairs(days[c]) do ds[#ds + 1] = d end
    table.sort(ds)
    if ds[1] <= cal then
      local k = #out.customer + 1
      local f, lastd, sum, fh, sumh = 0, ds[1], 0, 0, 0
      for j = 2, #ds do
        local d = ds[j]
        if d <= cal then f, lastd, sum = f + 1, d, sum + days[c][d]
        elseif obs and d <= obs then fh, sumh = fh + 1, sumh + days[c][d] end
      end
      out.customer[k], out.frequency[k] = c, f
      out.recency[k], out.T[k] = (lastd - ds[1]) / ud, (cal - ds[1]) / ud
      out.monetary[k] = f > 0 and sum / f or 0
      if obs then
        out.frequency_holdout[k], out.duration_holdout[k] = fh, (obs - cal) / ud
        out.monetary_holdout[k] = fh > 0 and sumh / fh or 0
      end
    end
  end
  out.n = #out.customer
  if out.n == 0 then error("clv.summary: no customer made a first purchase by calibration_end", 2) end
  return out
end

return M
