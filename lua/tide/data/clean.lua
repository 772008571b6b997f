-- tide.data.clean — drops the rows a model should not see, counting each reason:
--   out_of_range  time outside opts.time = {t0, t1}, or a value outside opts.ranges[col]
--   missing_value NaN in a column named by opts.require (or limited by opts.ranges)
--   duplicate     exact repeats: same user, item, event, second and every other column
--                 (opts.dedupe ~= false)
--   burst         repeats of the same (user, item, event) within opts.burst seconds of the
--                 last kept one (near-duplicate bursts: double clicks, page reloads)
--   bot           users above the opts.bots.quantile of events per user (or opts.bots.max)
--   kcore         rows removed by iterative k-core filtering, opts.kcore = k or {user=, item=}
-- Rows the reader skipped (malformed) are carried over from ev.stats.dropped.
-- Returns the cleaned table (sorted by user, time; ids re-densified unless compact = false)
-- and a report {input, kept, dropped = {reason = count}, kcore_passes}.
local tide = require "tide"
local D = tide.core.data
local T = tide.tensor
local data = require "tide.data"

local M = {}

local function step(ev, idx, report, reason)
  local dropped = ev.n - idx:numel()
  report.dropped[reason] = (report.dropped[reason] or 0) + dropped
  if dropped == 0 then return ev end
  local out = data.take0(ev, idx)
  out.sorted = ev.sorted
  return out
end

-- Rows whose user flag (Lua array over user ids) is 1.
local function rows_of_users(ev, flags)
  return D.nonzero(D.lut(ev.user, T.fromtable(#flags > 0 and flags or { 0 }, "i32")))
end

--- compact(ev): re-numbers user/item/category ids to 1..m over the ids still present.
function M.compact(ev)
  local out = {}
  for k, v in pairs(ev) do out[k] = v end
  for _, f in ipairs({ { "user", "users", "n_users" }, { "item", "items", "n_items" },
                       { "category", "categories", "n_categories" } }) do
    local col, names, count = f[1], f[2], f[3]
    if ev[col] then
      local ids, map, m = D.compact(ev[col], ev[count])
      if m ~= ev[count] then
        out[col], out[names], out[count] = ids, D.interner_remap(ev[names], map), m
      end
    end
  end
  return setmetatable(out, getmetatable(ev))
end

function M.clean(ev, opts)
  if type(ev) ~= "table" or not ev.user then error("clean: expected an event table", 2) end
  opts = opts or {}
  local report = { input = ev.n, dropped = {} }
  if ev.stats and ev.stats.dropped then
    for k, v in pairs(ev.stats.dropped) do report.dropped[k] = v end
    report.read = ev.stats.lines
  end
  if opts.time then
    ev = step(ev, D.range_idx(ev.time, opts.time[1], opts.time[2]), report, "out_of_range")
  end
  local ranges = opts.ranges or {}
  for _, col in ipairs(opts.require or {}) do
    if not ev[col] then error("clean: required column '" .. col .. "' is absent", 2) end
    ev = step(ev, D.range_idx(ev[col]), report, "missing_value") -- NaN fails every range test
  end
  for col, r in pairs(ranges) do
    if not ev[col] then error("clean: range given for absent column '" .. col .. "'", 2) end
    ev = step(ev, D.range_idx(ev[col]), report, "missing_value")
    ev = step(ev, D.range_idx(ev[col], r[1], r[2]), report, "out_of_range")
  end
  ev = data.sort(ev)
  local _, offsets = D.seq_order(ev.user, ev.time, ev.n_users)
  if opts.dedupe ~= false then
    -- exact duplicates agree on every column, not only (user, item, event, second): two
    -- same-day CDNOW purchases with different amounts are two transactions
    local extra = {}
    for _, f in ipairs({ "category", "price", "dwell", "rating", "value" }) do
      if ev[f] then extra[#extra + 1] = ev[f] end
    end
    local key = #extra > 0 and D.row_hash(extra) or nil
    ev = step(ev, D.dedupe(offsets, ev.item, ev.event, ev.time, 0, key), report, "duplicate")
    _, offsets = D.seq_order(ev.user, ev.time, ev.n_users)
  end
  if opts.burst and opts.burst > 0 then
    ev = step(ev, D.dedupe(offsets, ev.item, ev.event, ev.time, opts.burst), report, "burst")
  end
  if opts.bots then
    local b = type(opts.bots) == "table" and opts.bots or { quantile = opts.bots }
    local cnt = D.counts(ev.user, ev.n_users):totable()
    local limit = b.max
    if not limit then
      local active = {}
      for u = 1, #cnt do if cnt[u] > 0 then active[#active + 1] = cnt[u] end end
      table.sort(active)
      limit = active[math.max(1, math.ceil((b.quantile or 0.999) * #active))] or math.huge
    end
    local flags, nb = {}, 0
    for u = 1, #cnt do
      flags[u] = cnt[u] <= limit and 1 or 0
      if cnt[u] > limit then nb = nb + 1 end
    end
    report.bot_users, report.bot_limit = nb, limit
    ev = step(ev, rows_of_users(ev, flags), report, "bot")
  end
  if opts.kcore then
    local k = type(opts.kcore) == "table" and opts.kcore or { user = opts.kcore, item = opts.kcore }
    local idx, passes = D.kcore(ev.user, ev.item, ev.n_users, ev.n_items, k.user or 1, k.item or 1)
    report.kcore_passes = passes
    ev = step(ev, idx, report, "kcore")
  end
  if opts.compact ~= false then ev = M.compact(ev) end
  ev.n = ev.user:numel()
  report.kept = ev.n
  ev.clean_report = report
  return ev, report
end

return M
