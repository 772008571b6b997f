-- tide.recommend.candidates — candidate items for a block of users. Each model's score rows
-- go through the C top-K (engine/metrics.c): seen items are skipped through their CSR lists
-- and blocked / out-of-stock items through NaN scores, so no Lua code walks the catalogue.
-- Several models' lists are merged (union, first model's order first) and every model's
-- score is then read at every candidate with one gather. Lists from a candidate function are
-- checked and filtered against the same exclusions (a Lua pass over its few candidates).
local common = require("tide.models.common")
local M = {}
local function T() return require("tide").tensor end

-- union of several [b, n] id lists (0 = none) -> i32 [b, W], padded with 0
local function union(lists)
  local tabs, rows, W = {}, {}, 1
  for i, l in ipairs(lists) do tabs[i] = l:totable() end
  for r = 1, #tabs[1] do
    local have, row = {}, {}
    for i = 1, #tabs do
      for _, it in ipairs(tabs[i][r]) do
        if it > 0 and not have[it] then have[it] = true; row[#row + 1] = it end
      end
    end
    rows[r] = row
    if #row > W then W = #row end
  end
  for _, row in ipairs(rows) do for j = #row + 1, W do row[j] = 0 end end
  return T().fromtable(rows, "i32")
end

-- the set of globally excluded ids (blocked, out of stock), built once from the NaN mask
local function excluded_set(rec)
  if rec._excluded then return rec._excluded end
  local set = {}
  if rec.mask then
    local m = rec.mask:view({ -1 }):totable()
    for i, v in ipairs(m) do if v ~= v then set[i] = true end end
  end
  rec._excluded = set
  return set
end

local function from_function(rec, users)
  local b = users:numel()
  local fn = "recommend: candidates function"
  local items, vals = rec.cand_fn(users, rec.n_candidates)
  if not T().is_tensor(items) or items:dim() ~= 2 or items:shape()[1] ~= b then
    error(("%s must return an id tensor [%d, n] (0 = none), got %s"):format(fn, b,
      T().is_tensor(items) and table.concat(items:shape(), "x") or type(items)), 0)
  end
  local W = items:shape()[2]
  if vals ~= nil and (not T().is_tensor(vals) or vals:dim() ~= 2 or vals:shape()[1] ~= b or vals:shape()[2] ~= W) then
    error(("%s: scores must be a tensor [%d, %d] like the ids"):format(fn, b, W), 0)
  end
  -- without scores the list order is the model signal: 1, (W-1)/W, ...
  vals = vals and vals:cast("f32") or (T().arange(W, 0, -1):view({ 1, W }) / W):expand({ b, W }):contiguous()
  local it, ex = items:cast("i32"):totable(), excluded_set(rec)
  local seen = rec.seen
  for r = 1, b do
    local drop, row = {}, it[r]
    if seen then
      local u = users:get(r)
      for p = seen.off:get(u) + 1, seen.off:get(u + 1) do drop[seen.item:get(p)] = true end
    end
    for j, id in ipairs(row) do
      if id ~= 0 then
        if id < 0 or id > rec.n_items then error(("%s returned item %d, outside 1..%d"):format(fn, id, rec.n_items), 0) end
        if drop[id] or ex[id] then row[j] = 0 else drop[id] = true end -- also drops repeats
      end
    end
  end
  return T().fromtable(it, "i32"), { vals }
end

--- candidates.generate(rec, users i32 [b]) -> items i32 [b, W] (0 = empty slot), model scores
--- {f32 [b, W] per model}; excluded and seen items never appear
function M.generate(rec, users)
  if rec.cand_fn then return from_function(rec, users) end
  local core = require("tide").core.metrics
  local soff, sitem
  if rec.seen then soff, sitem = common.rows(rec.seen.off, rec.seen.item, nil, users) end
  local scores, lists, vals = {}, {}, {}
  for i, m in ipairs(rec.models) do
    local S = m:score(users)
    if rec.mask then S = S + rec.mask end
    scores[i] = S
    lists[i], vals[i] = core.topk(S, soff, sitem, rec.n_candidates)
  end
  if #rec.models == 1 then return lists[1], { vals[1] } end
  local items = union(lists)
  local idx = T().where(items:gt(0), items, 1):cast("i32")
  local model = {}
  for i, S in ipairs(scores) do model[i] = S:gather(2, idx) end
  return items, model
end

return M
