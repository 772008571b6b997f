-- tide.decay.response — the interest-response kernel: how the chance that a user acts (buys)
-- on a key (item, category) falls with the age of each past interaction with that key, by
-- event type. Model and likelihood: engine/decay_response.h
--     λ_{u,k}(t) = μ + Σ_i w[type_i] · g(t − t_i),   g the density of a tide.decay family.
--   local R = tide.decay.response
--   local c = R.curve(ev, {key = "item", target = "buy", edges = {0, 1, 2, 4, 7, 14, 30}})
--   local f = R.fit(ev, {key = "item", target = "buy", family = "exponential"})
--   f.weights.cart, f.half_life, f:expected(ev, t, 14)     -- expected buys per pair in 14 days
--   local ranked = R.select(ev, {families = {"exponential", "power"}, holdout = 14})
--   local m = R.fit_marked(ev, {key = "item"})   -- λ_{u,k} = λ_u · π_{u,k}: response_marked.lua
local M = {}
local Fit = {}
Fit.__index = Fit
M.Fit = Fit

local function tide() return require("tide") end
local function core() return tide().core.decay end
local UNITS = { second = 1, hour = 3600, day = 86400, week = 7 * 86400 }

-- seconds per time unit of opts.unit (default day); an error at the caller's caller
local function unit_of(opts, fn)
  local u = opts.unit or "day"
  local s = UNITS[u] or (type(u) == "number" and u > 0 and u) or nil
  if not s then error(("%s: unit must be second|hour|day|week or seconds > 0, got %s"):format(fn, tostring(u)), 3) end
  return s
end
M.unit_of = unit_of

--- pairs(ev, {key = "item"|"category", target = "buy", unit = "day", origin =,
--- need_target = true (refuse a table without target actions)}) -> the events
--- grouped by (user, key), sorted by time: {off, time, type, target, n_types = 5, user, key,
--- n_pairs, origin, unit}. time is in `unit` from `origin` (default: the first event).
function M.pairs(ev, opts)
  opts = opts or {}
  local fn = opts.fn or "decay.response"
  local T = tide().tensor
  local key = opts.key or "item"
  if type(ev) ~= "table" or not ev.user then error(fn .. ": argument #1 must be an event table", 2) end
  local kcol = ev[key]
  if not T.is_tensor(kcol) then error(("%s: the event table has no '%s' column (opts.key)"):format(fn, key), 2) end
  local S = require("tide.data.schema")
  local target = S.EVENT[opts.target or "buy"]
  if not target then
    error(("%s: unknown target event '%s' (browse, click, cart, fav, buy)"):format(fn, tostring(opts.target)), 2)
  end
  if ev.n == 0 then error(fn .. ": the event table is empty", 2) end
  local perm, off = core().response_pairs(ev.user, kcol, ev.time)
  local unit = unit_of(opts, fn)
  local time = ev.time:index_select(1, perm)
  local origin = opts.origin or ev.time:min():item()
  -- event types are renumbered densely over the types present, so every weight is identified
  local codes, present, names = ev.event:index_select(1, perm):totable(), {}, {}
  for _, c in ipairs(codes) do present[c] = true end
  local dense = {}
  for c = 1, #S.EVENT_NAMES do
    if present[c] then names[#names + 1] = S.EVENT_NAMES[c]; dense[c] = #names end
  end
  if opts.need_target ~= false and not present[target] then error(("%s: no '%s' events in the table"):format(fn, opts.target or "buy"), 2) end
  local ty, tg, tm, raw = {}, {}, {}, time:totable()
  for i, c in ipairs(codes) do
    ty[i], tg[i], tm[i] = dense[c], c == target and 1 or 0, (raw[i] - origin) / unit
  end
  return { off = off, time = tm, raw_time = time, type = T.fromtable(ty, "i32"), target = T.fromtable(tg, "i32"),
           n_types = #names, type_names = names, user = ev.user:index_select(1, perm),
           key = kcol:index_select(1, perm), n_pairs = off:numel() - 1, origin = origin, unit = unit,
           key_name = key, target_name = opts.target or "buy", perm = perm }
end

-- the frailty units of frailty = "user": one run of pairs per user (pairs are grouped by user
-- first, tide_response_group), as i64 offsets over pairs; cached on p
local function user_units(p)
  if not p.units then
    local first = p.off:narrow(1, 1, p.n_pairs) + 1
    local u = p.n_pairs > 0 and p.user:index_select(1, first):totable() or {}
    local off = { 0 }
    for q = 2, #u do if u[q] ~= u[q - 1] then off[#off + 1] = q - 1 end end
    if #u > 0 then off[#off + 1] = #u end
    p.units = tide().tensor.fromtable(off, "i64")
  end
  return p.units
end

-- frailty: false | true (one per pair) | "user" (shared by a user's pairs)
local function data(p, t0, t1, max_hist, delay, frailty)
  return { off = p.off, time = p.time, type = p.type, target = p.target, n_types = p.n_types,
           t0 = t0, t1 = t1, max_hist = max_hist or 0, delay = delay or 0, frailty = frailty and true or false,
           units = frailty == "user" and user_units(p) or nil }
end

-- the fitted window in model time: opts.window = {t0, t1} in the log's time (default: all)
local function window(p, opts)
  local t_end = (p.raw_time:max():item() - p.origin) / p.unit
  local w = opts.window or {}
  local t0 = w[1] and (w[1] - p.origin) / p.unit or 0
  local t1 = w[2] and (w[2] - p.origin) / p.unit or t_end + 1e-9
  return t0, t1
end

-- Poisson interval for a count (Byar's approximation, Rothman & Boice 1979; exact at k = 0)
local function poisson_ci(k, z)
  if k == 0 then return 0, -math.log(0.025) end
  local lo = k * (1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ^ 3
  local k1 = k + 1
  return lo, k1 * (1 - 1 / (9 * k1) + z / (3 * math.sqrt(k1))) ^ 3
end

--- curve(ev, {key, target, edges = {0, 1, 2, 4, 7, 14, 30, 60}, unit = "day", window = {t0, t1}})
--- -> {edges, [type name] = {rate = {}, lo = {}, hi = {}, count = {}, exposure = {}}}: target
--- actions per pair per unit of time while the pair's latest interaction has that type and an
--- age in each bin (occurrence / exposure; 95 % Poisson intervals). Types never seen are omitted.
function M.curve(ev, opts)
  opts = opts or {}
  opts.fn = "decay.response_curve"
  local p = M.pairs(ev, opts)
  local edges = opts.edges or { 0, 1, 2, 4, 7, 14, 30, 60 }
  local t0, t1 = window(p, opts)
  local cnt, ex = core().response_curve(data(p, t0, t1), edges)
  cnt, ex = cnt:totable(), ex:totable()
  local out = { edges = edges, unit = opts.unit or "day" }
  for c, name in ipairs(p.type_names) do
    local tot = 0
    for b = 1, #edges - 1 do tot = tot + ex[c][b] end
    if tot > 0 then
      local r = { rate = {}, lo = {}, hi = {}, count = cnt[c], exposure = ex[c] }
      for b = 1, #edges - 1 do
        local e, k = ex[c][b], cnt[c][b]
        local lo, hi = poisson_ci(k, 1.959964)
        r.rate[b], r.lo[b], r.hi[b] = e > 0 and k / e or 0 / 0, e > 0 and lo / e or 0 / 0, e > 0 and hi / e or 0 / 0
      end
      out[name] = r
    end
  end
  return out
end

--- fit_marked(ev, opts) -> the response kernel split into when a user acts (per-user kernel)
--- and on which key (a decayed preference): tide.decay.response_marked
function M.fit_marked(ev, opts) return require("tide.decay.response_marked").fit(ev, opts) end

--- fit_stacked(ev, opts) -> the marked kernel's parts and pair / user / key statistics weighed
--- by gradient-boosted trees learned on the log's last horizon: tide.decay.response_stacked
function M.fit_stacked(ev, opts) return require("tide.decay.response_stacked").fit(ev, opts) end

return require("tide.decay.response_fit")(M, Fit, { core = core, pairs = M.pairs, data = data, window = window })
