-- tide.sentiment.aggregate — review sentiment into E: time-decayed sentiment per (user, item)
-- and per item, as columnar tables ready to join to interest and activation features.
--
-- A review with score s at time t counts at time `now` with weight w = S(now - t), the
-- survival curve of a decay law from tide.decay evaluated in C (tide.sentiment.law): by
-- default exponential with half-life h, w = 2^(-(now - t) / h); or opts.law = a
-- tide.decay.fit result or {family = ..., parameters} (power law, Weibull, mixture ...).
-- Reviews after `now` are ignored (no leakage). The aggregate is the weighted mean
-- sum(w s) / (sum(w) + prior), where prior >= 0 shrinks sparse keys towards 0 (neutral),
-- plus the total weight and count.
local lawmod = require "tide.sentiment.law"
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
  if type(opts) ~= "table" then error("sentiment.aggregate: opts must be a table", 3) end
  local law = lawmod.resolve(opts, "sentiment.aggregate")
  for i = 1, n do
    if type(score[i]) ~= "number" or score[i] ~= score[i] then
      error(("sentiment.aggregate: score[%d] is not a number"):format(i), 3)
    end
    if type(r.time[i]) ~= "number" or r.time[i] ~= r.time[i] then
      error(("sentiment.aggregate: time[%d] is not a number"):format(i), 3)
    end
  end
  return r, law
end

-- w[i] = S(now - time[i]) for the reviews at or before now (one C call), nil after now.
local function review_weights(r, law, now)
  local ages, idx = {}, {}
  for i = 1, r.n do
    local t = r.time[i]
    if t <= now then ages[#ages + 1], idx[#idx + 1] = now - t, i end
  end
  local w, out = lawmod.weights(law, ages), {}
  for j = 1, #idx do out[idx[j]] = w[j] end
  return out
end

local function group(r, w, prior, keyf)
  local acc, order = {}, {}
  for i = 1, r.n do
    if w[i] then
      local t = r.time[i]
      local k = keyf(i)
      local a = acc[k]
      if not a then a = { i = i, sw = 0, sws = 0, n = 0, last = t }; acc[k] = a; order[#order + 1] = k end
      a.sw, a.sws, a.n = a.sw + w[i], a.sws + w[i] * r.score[i], a.n + 1
      if t > a.last then a.last = t end
    end
  end
  return acc, order
end

-- aggregate(records, {half_life = seconds (30 days) | law = (see tide.sentiment.law),
--                     series = s (row of a per-user/... fit, default 1),
--                     now = time (latest review), prior = 0})
-- records = {user = ..., item = ..., time = ..., score = ...} (arrays or tensors; user optional).
-- Returns {user_item = {user, item, sentiment, weight, n, last_time} (when users are given),
--          item = {item, sentiment, weight, n, last_time}, now, half_life (seconds), law};
-- rows in first-seen order.
function M.aggregate(records, opts)
  opts = opts or {}
  local r, law = check(records, opts)
  local now = opts.now
  if now == nil then now = -math.huge; for i = 1, r.n do if r.time[i] > now then now = r.time[i] end end end
  if type(now) ~= "number" or now ~= now then error("sentiment.aggregate: now must be a number", 2) end
  local prior = opts.prior or 0
  local w = review_weights(r, law, now)
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
  local res = { now = now, half_life = lawmod.half_life(law), law = law }
  if r.user then
    local acc, order = group(r, w, prior, function(i) return tostring(r.user[i]) .. "\0" .. tostring(r.item[i]) end)
    res.user_item = build(acc, order, true)
  end
  local acc, order = group(r, w, prior, function(i) return r.item[i] end)
  res.item = build(acc, order, false)
  return res
end

-- Decayed per-item sentiment at each query time (a series without leakage): for item it and
-- time q, uses reviews of it with time <= q. queries = {item = {...}, time = {...}}.
-- opts as for aggregate (half_life or law). An exponential law is memoryless, so the
-- recursion S(t') = S(t) d(t' - t) + s over time-sorted events is exact: O((n + q) log).
-- Other laws are summed directly over each query's earlier reviews: O(q x reviews per item).
-- All decay factors are evaluated in C in one call.
function M.item_series(records, queries, opts)
  opts = opts or {}
  local r, law = check(records, opts)
  if type(queries) ~= "table" or type(queries.time) ~= "table" or type(queries.item) ~= "table"
    or #queries.time ~= #queries.item then
    error("sentiment.item_series: queries must be {item = {...}, time = {...}} of equal length", 2)
  end
  local prior = opts.prior or 0
  local ev = {}
  for i = 1, r.n do ev[#ev + 1] = { r.time[i], 0, i } end          -- kind 0: review
  for j = 1, #queries.time do ev[#ev + 1] = { queries.time[j], 1, j } end -- kind 1: query
  table.sort(ev, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[3] < b[3]
  end)
  local out = {}
  if lawmod.is_exponential(law) then
    -- pass 1: the gap since the item's previous event, for every event that has one
    local last, gaps, at = {}, {}, {}
    for e = 1, #ev do
      local t, kind, idx = ev[e][1], ev[e][2], ev[e][3]
      local it = kind == 0 and r.item[idx] or queries.item[idx]
      if last[it] then gaps[#gaps + 1] = t - last[it]; at[e] = #gaps; last[it] = t
      elseif kind == 0 then last[it] = t end
    end
    local d = lawmod.weights(law, gaps)
    local st = {}
    for e = 1, #ev do
      local kind, idx = ev[e][2], ev[e][3]
      local it = kind == 0 and r.item[idx] or queries.item[idx]
      local s = st[it]
      if s then s.sw, s.sws = s.sw * d[at[e]], s.sws * d[at[e]] end
      if kind == 0 then
        if not s then s = { sw = 0, sws = 0 }; st[it] = s end
        s.sw, s.sws = s.sw + 1, s.sws + r.score[idx]
      else
        out[idx] = (s and s.sw > 0) and s.sws / (s.sw + prior) or 0
      end
    end
    return out
  end
  -- general law: each query sums S(q - t) over the item's reviews so far
  local seen, ages, seg = {}, {}, {}
  for e = 1, #ev do
    local t, kind, idx = ev[e][1], ev[e][2], ev[e][3]
    if kind == 0 then
      local it = r.item[idx]
      seen[it] = seen[it] or {}
      seen[it][#seen[it] + 1] = idx
    else
      local list = seen[queries.item[idx]] or {}
      seg[idx] = { #ages + 1, list, #list } -- list keeps growing: remember its length now
      for k = 1, #list do ages[#ages + 1] = t - r.time[list[k]] end
    end
  end
  local w = lawmod.weights(law, ages)
  for j = 1, #queries.time do
    local from, list, m = seg[j][1], seg[j][2], seg[j][3]
    local sw, sws = 0, 0
    for k = 1, m do
      local wk = w[from + k - 1]
      sw, sws = sw + wk, sws + wk * r.score[list[k]]
    end
    out[j] = sw > 0 and sws / (sw + prior) or 0
  end
  return out
end

return M
