-- tide.split — train/validation/test splits of event tables without leakage.
--   leave_last : per user, the last event -> test, the second last -> valid, the rest ->
--                train (users with fewer than min_len = 3 events stay entirely in train)
--   time       : global cut; events before the cut -> train, after -> test (optionally a
--                validation band: valid_at). `at` is a timestamp or `quantile` in (0, 1)
--   user_ratio : per user, the first `ratio` (default 0.8) of the events -> train, the next
--                `valid` (default 0.1) -> valid, the rest -> test
-- All parts share the id space and interners of the input; features must be computed from
-- .train only (tide.features takes the table you give it, so pass split.train). Each part
-- is sorted by (user, time).
local tide = require "tide"
local D = tide.core.data
local data = require "tide.data"

local M = {}

local function quantile_time(ev, q)
  local s = ev.time:sort()
  local k = math.max(1, math.min(ev.n, math.floor(q * ev.n + 0.5)))
  return s:get(k)
end

--- split(ev, {by = "leave_last"|"time"|"user_ratio", ...}) -> {train, valid, test}
function M.split(ev, opts)
  opts = opts or {}
  if type(ev) ~= "table" or not ev.user then error("split: expected an event table", 2) end
  local by = opts.by or "leave_last"
  local s = data.sort(ev)
  local _, offsets = D.seq_order(s.user, s.time, s.n_users)
  local tr, va, te
  if by == "leave_last" then
    local n_test, n_valid = opts.n_test or 1, opts.n_valid
    if n_valid == nil then n_valid = 1 end
    tr, va, te = D.split_tail(offsets, n_valid, n_test, opts.min_len or (n_test + n_valid + 1))
  elseif by == "user_ratio" then
    tr, va, te = D.split_ratio(offsets, opts.ratio or 0.8, opts.valid or 0.1)
  elseif by == "time" then
    local at = opts.at
    local function as_time(v, what)
      if type(v) == "string" then
        local t = D.parse_time(v)
        if not t then error(("split: cannot parse %s '%s'"):format(what, v), 3) end
        return t
      end
      return v
    end
    at = as_time(at, "at")
    opts = setmetatable({ valid_at = as_time(opts.valid_at, "valid_at") }, { __index = opts })
    if at == nil then
      local q = opts.quantile or 0.8
      if not (q > 0 and q < 1) then error("split: quantile must be in (0, 1)", 2) end
      at = quantile_time(s, q)
    end
    local vat = opts.valid_at
    if vat == nil and opts.valid_quantile then vat = quantile_time(s, opts.valid_quantile) end
    if vat and vat > at then error("split: valid_at must not be after the test cut", 2) end
    -- [.., vat) train, [vat, at) valid, [at, ..] test
    tr = D.range_idx(s.time, nil, (vat or at) - 1)
    va = vat and D.range_idx(s.time, vat, at - 1) or D.range_idx(s.time, 1, 0)
    te = D.range_idx(s.time, at, nil)
  else
    error("split: unknown 'by' = " .. tostring(by) .. " (leave_last, time, user_ratio)", 2)
  end
  local out = { train = data.take0(s, tr), valid = data.take0(s, va), test = data.take0(s, te), by = by }
  for _, k in ipairs({ "train", "valid", "test" }) do out[k].sorted = true end
  return out
end

--- negatives(ev, {k = 1, seed = 1, popularity = false, per_user = false, seen = ev})
--- Seeded negative items that each user never interacted with in `seen` (default: ev
--- itself; pass the full table so that validation/test items are excluded too). Uniform over
--- the catalogue, or proportional to item popularity in `seen`. Returns i32 [rows, k]: one
--- row per user (per_user) or per event of sequences(ev) (CSR order), and the count of
--- entries left 0 because a user had seen every drawable item.
function M.negatives(ev, opts)
  opts = opts or {}
  local seen = opts.seen or ev
  if seen.n_items ~= ev.n_items or seen.n_users ~= ev.n_users then
    error("negatives: seen must share ev's id space", 2)
  end
  local k = opts.k or 1
  local w
  if opts.popularity then w = D.counts(seen.item, seen.n_items):float() end
  local ss = data.sequences(seen)
  if seen == ev then
    return D.negatives(ss.offsets, ss.item, ev.n_items, k, opts.seed or 1, w, opts.per_user)
  end
  -- draw against `seen`, then lay the rows out along ev's CSR order
  local per = D.negatives(ss.offsets, ss.item, ev.n_items, k, opts.seed or 1, w, true)
  if opts.per_user then return per, 0 end
  local se = data.sequences(ev)
  local out = per:index_select(1, se.user:long())
  return out, 0
end

return M
