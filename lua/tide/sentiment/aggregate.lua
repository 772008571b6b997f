-- tide.sentiment.aggregate — review sentiment into E: time-decayed sentiment per (user, item)
-- and per item, as columnar tables ready to join to interest and activation features.
--
-- A review with score s at time t counts at time `now` with weight w = 2^(-(now - t) / h)
-- (exponential decay with half-life h, i.e. lambda = ln 2 / h); reviews after `now` are
-- ignored (no leakage). The aggregate is the weighted mean sum(w s) / (sum(w) + prior), where
-- prior >= 0 shrinks sparse keys towards 0 (neutral), plus the total weight and count.
local M = {}

local function column(x, n, name)
  if type(x) ~= "table" and type(x) ~= "userdata" then
    error(("sentiment.aggregate: records.%s must be an array or tensor"):format(name), 3)
  end
  if type(x) == "userdata" then x = x:totable() end
  if #x ~= n then error(("sentiment.aggregate: records.%s has %d entries, expected %d"):format(name, #x, n), 3) end
  return x
end

local function check(records, opts)
  if type(records) ~= "table" then error("sentiment.aggregate: records must be a table", 3) end
  local score = records.score or records.intensity
  if score == nil then error("sentiment.aggregate: records.score is missing", 3) end
  if type(score) == "userdata" then score = score:totable() end
  local n = #score
  local r = { n = n, score = score, time = column(records.time, n, "time") }
  if records.user ~= nil then r.user = column(records.user, n, "user") end
  r.item = column(records.item, n, "item")
  local h = opts.half_life or 30 * 86400
  if type(h) ~= "number" or not (h > 0) then error("sentiment.aggregate: half_life must be > 0 (seconds)", 3) end
  for i = 1, n do
    if type(score[i]) ~= "number" or score[i] ~= score[i] then
      error(("sentiment.aggregate: score[%d] is not a number"):format(i), 3)
    end
  end
  return r, h
end

local function group(r, h, now, prior, keyf)
  local acc, order = {}, {}
  for i = 1, r.n do
    local t = r.time[i]
    if t <= now then
      local k = keyf(i)
      local a = acc[k]
      if not a then a = { i = i, sw = 0, sws = 0, n = 0, last = t }; acc[k] = a; order[#order + 1] = k end
      local w = 2 ^ (-(now - t) / h)
      a.sw, a.sws, a.n = a.sw + w, a.sws + w * r.score[i], a.n + 1
      if t > a.last then a.last = t end
    end
  end
  return acc, order
end

-- aggregate(records, {half_life = seconds (30 days), now = time (latest review), prior = 0})
-- records = {user = ..., item = ..., time = ..., score = ...} (arrays or tensors; user optional).
-- Returns {user_item = {user, item, sentiment, weight, n, last_time} (when users are given),
--          item = {item, sentiment, weight, n, last_time}, now, half_life}; rows in first-seen
-- order.
function M.aggregate(records, opts)
  opts = opts or {}
  local r, h = check(records, opts)
  local now = opts.now
  if now == nil then now = -math.huge; for i = 1, r.n do if r.time[i] > now then now = r.time[i] end end end
  local prior = opts.prior or 0
  local function build(acc, order, with_user)
    local out = { item = {}, sentiment = {}, weight = {}, n = {}, last_time = {} }
    if with_user then out.user = {} end
    for j, k in ipairs(order) do
      local a = acc[k]
      if with_user then out.user[j] = r.user[a.i] end
      out.item[j] = r.item[a.i]
      out.sentiment[j] = a.sws / (a.sw + prior)
      out.weight[j], out.n[j], out.last_time[j] = a.sw, a.n, a.last
    end
    return out
  end
  local res = { now = now, half_life = h }
  if r.user then
    local acc, order = group(r, h, now, prior, function(i) return tostring(r.user[i]) .. "\0" .. tostring(r.item[i]) end)
    res.user_item = build(acc, order, true)
  end
  local acc, order = group(r, h, now, prior, function(i) return r.item[i] end)
  res.item = build(acc, order, false)
  return res
end

-- Decayed per-item sentiment at each query time (a series without leakage): for item it and
-- time q, uses reviews of it with time <= q. queries = {item = {...}, time = {...}}.
-- O((n + q) log) via the recursion S(t') = S(t) 2^(-(t'-t)/h) + s on time-sorted reviews.
function M.item_series(records, queries, opts)
  opts = opts or {}
  local r, h = check(records, opts)
  local prior = opts.prior or 0
  local ev = {}
  for i = 1, r.n do ev[#ev + 1] = { r.time[i], 0, i } end          -- kind 0: review
  for j = 1, #queries.time do ev[#ev + 1] = { queries.time[j], 1, j } end -- kind 1: query
  table.sort(ev, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[3] < b[3]
  end)
  local st, out = {}, {}
  for _, e in ipairs(ev) do
    local t, kind, idx = e[1], e[2], e[3]
    local it = kind == 0 and r.item[idx] or queries.item[idx]
    local s = st[it]
    if s then
      local d = 2 ^ (-(t - s.t) / h)
      s.sw, s.sws, s.t = s.sw * d, s.sws * d, t
    end
    if kind == 0 then
      if not s then s = { sw = 0, sws = 0, t = t }; st[it] = s end
      s.sw, s.sws = s.sw + 1, s.sws + r.score[idx]
    else
      out[idx] = (s and s.sw > 0) and s.sws / (s.sw + prior) or 0
    end
  end
  return out
end

return M
