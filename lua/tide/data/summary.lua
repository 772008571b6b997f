-- tide.data.summary — the JSON-ready description of an event table written by `tide prep`:
-- rows kept and dropped by reason, users, items, categories, events by type, time span,
-- density.
local tide = require "tide"
local D = tide.core.data
local S = require "tide.data.schema"

local M = {}

local function iso(t)
  if not t then return nil end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function M.summary(ev, report)
  local by_type = {}
  local cnt = D.counts(ev.event, 5):totable()
  for k, name in ipairs(S.EVENT_NAMES) do by_type[name] = cnt[k] end
  local t0, t1 = D.minmax(ev.time)
  local dropped, nd = {}, 0
  local src = report and report.dropped or (ev.stats and ev.stats.dropped) or {}
  for k, v in pairs(src) do
    if v > 0 then dropped[k] = v; nd = nd + v end
  end
  local s = {
    rows = ev.n, rows_dropped = nd, dropped = dropped,
    users = ev.n_users, items = ev.n_items, categories = ev.n_categories,
    events_by_type = by_type,
    time_min = t0, time_max = t1, time_min_iso = iso(t0), time_max_iso = iso(t1),
    span_days = t0 and (t1 - t0) / 86400 or 0,
    density = (ev.n_users > 0 and ev.n_items > 0) and ev.n / (ev.n_users * ev.n_items) or 0,
    events_per_user = ev.n_users > 0 and ev.n / ev.n_users or 0,
  }
  if ev.stats then
    s.source = { path = ev.stats.path, bytes = ev.stats.bytes, lines = ev.stats.lines,
                 first_bad = ev.stats.first_bad ~= "" and ev.stats.first_bad or nil }
  end
  return s
end

return M
