-- tide.decay.seq — per-user time-sorted CSR sequences from an event table, built in C
-- (core.decay.group) and cached per table. Independent of tide.data.sequences so the decay
-- code also works on hand-made tables {user=, item=, time=, event=, n_users=, n_items=}.
local M = {}
-- weak keys AND values: an entry never outlives its event table, and a dropped entry is only
-- recomputed (keys-only weakness would keep the tensors alive one GC cycle past the table)
local cache = setmetatable({}, { __mode = "kv" })

local function core() return require("tide").core.decay end

local function max_of(t)
  local T = require("tide").tensor
  if t:numel() == 0 then return 0 end
  return t:cast("f32"):max():item()
end

-- Returns {off = i64 [U+1], item, time, event, category (if present), n_users, n_items, n}.
function M.of(ev)
  assert(type(ev) == "table" and ev.user and ev.time, "decay: expected an event table with user and time columns")
  local s = cache[ev]
  if s then return s end
  local T = require("tide").tensor
  local n_users = ev.n_users or math.floor(max_of(ev.user))
  local off, perm = core().group(ev.user, ev.time, n_users)
  s = { off = off, n_users = n_users, n = ev.user:numel(),
        n_items = ev.n_items or (ev.item and math.floor(max_of(ev.item))) or 0,
        n_categories = ev.n_categories or (ev.category and math.floor(max_of(ev.category))) or 0,
        time = ev.time:index_select(1, perm), user = ev.user:index_select(1, perm) }
  if ev.item then s.item = ev.item:index_select(1, perm) end
  if ev.event then s.event = ev.event:index_select(1, perm) end
  if ev.category then s.category = ev.category:index_select(1, perm) end
  cache[ev] = s
  return s
end

-- Largest timestamp of the table (the default end of the observation window).
function M.t_end(ev)
  local s = M.of(ev)
  if s.n == 0 then return 0 end
  local best = -math.huge
  -- times are i64; the max over the per-user last events is cheap and exact
  local off, time = s.off, s.time
  for u = 1, s.n_users do
    local b = off:get(u + 1)
    if b > off:get(u) then
      local t = time:get(b)
      if t > best then best = t end
    end
  end
  return best
end

-- i64 tensor [U]: each user's last event time (0 for users without events). The reference
-- "now" of per-user decay when the log has no global clock (e.g. order indices as time).
function M.last_times(ev)
  local s = M.of(ev)
  if s.last then return s.last end
  local out = {}
  for u = 1, s.n_users do
    local b = s.off:get(u + 1)
    out[u] = b > s.off:get(u) and s.time:get(b) or 0
  end
  s.last = require("tide").tensor.fromtable(out, "i64")
  return s.last
end

-- Per-row CSR of each user's items (for seen-item exclusion): off, item.
function M.seen(ev)
  local s = M.of(ev)
  return s.off, s.item
end

return M
