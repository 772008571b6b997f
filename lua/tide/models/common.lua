-- tide.models.common — helpers shared by the time-decayed baselines and tide.metrics: CSR row
-- subsets for arbitrary user lists, 1-D concatenation, user-list normalisation, the
-- generic topk(users, k, {exclude_seen}) built on score() and the C top-K, item categories,
-- and the shared save (m:save(path) writes m:state() with tide.models.io).
local M = {}

local function T() return require("tide").tensor end

-- users: tensor (i32/i64/f32 of 1-based ids), Lua array, or a single number -> i32 tensor
function M.users(users)
  local t = T()
  if type(users) == "number" then return t.fromtable({ users }, "i32") end
  if type(users) == "table" then return t.fromtable(users, "i32") end
  if t.is_tensor(users) then return users:dtype() == "i32" and users or users:cast("i32") end
  error("model: users must be a tensor, a table of ids or a number, got " .. type(users), 3)
end

-- first id and count if users is the contiguous range first..first+count-1, else nil
function M.range(users)
  local n = users:numel()
  if n == 0 then return nil end
  local a, b = users:get(1), users:get(n)
  if b - a + 1 ~= n then return nil end
  for i = 2, math.min(n, 64) do if users:get(i) ~= a + i - 1 then return nil end end
  -- spot-check sums for the rest (exact for a strictly increasing integer range)
  if users:cast("f32"):sum():item() ~= (a + b) * n / 2 then return nil end
  return a, n
end

-- Concatenates 1-D tensors of one dtype.
function M.concat(list, dtype)
  local n = 0
  for _, t in ipairs(list) do n = n + t:numel() end
  local out = T().zeros({ n }, dtype)
  local pos = 1
  for _, t in ipairs(list) do
    if t:numel() > 0 then out:narrow(1, pos, t:numel()):copy(t) end
    pos = pos + t:numel()
  end
  return out
end

-- Rows `users` of a CSR (off i64 [R+1], cols, vals (optional)) as a new compact CSR.
function M.rows(off, cols, vals, users)
  local t = T()
  local first, count = M.range(users)
  if first then
    local o = off:narrow(1, first, count + 1)
    return o, cols, vals -- offsets may start anywhere: the C side handles slices
  end
  local B = users:numel()
  local newoff, idx = { 0 }, {}
  local m = 0
  for b = 1, B do
    local u = users:get(b)
    local a, e = off:get(u), off:get(u + 1)
    for p = a + 1, e do m = m + 1; idx[m] = p end
    newoff[b + 1] = m
  end
  local it = t.fromtable(m > 0 and idx or { 1 }, "i32")
  local c = m > 0 and cols:index_select(1, it) or t.zeros({ 0 }, "i32")
  local v = vals and (m > 0 and vals:index_select(1, it) or t.zeros({ 0 })) or nil
  return t.fromtable(newoff, "i64"), c, v
end

-- Generic top-K for any model with :score(users) and self.seen = {off, item}.
function M.topk(model, users, k, opts)
  users = M.users(users)
  local scores = model:score(users)
  local core = require("tide").core.metrics
  if opts and opts.exclude_seen == false or not model.seen then
    return (core.topk(scores, nil, nil, k))
  end
  local off, items = M.rows(model.seen.off, model.seen.item, nil, users)
  return (core.topk(scores, off, items, k))
end

-- Writes model:state() to path (tide.models.io: atomic, checksummed); errors name the model.
function M.save(model, path)
  local fn = (model.name or "model") .. ":save"
  if not model.n_items then error(fn .. ": the model is not fitted (call :fit(ev) first)", 3) end
  local tensors, meta = model:state()
  require("tide.models.io").save(path, tensors, meta, fn)
end

-- i32 [n_items]: each item's category, the one of its first event (items have one category);
-- 1 for items without events.
function M.item_category(ev, n_items)
  local cat, seen = {}, {}
  for i = 1, n_items do cat[i] = 1 end
  local item, c = ev.item, ev.category
  for e = 1, item:numel() do
    local it = item:get(e)
    if not seen[it] then seen[it] = true; cat[it] = c:get(e) end
  end
  return T().fromtable(cat, "i32")
end

return M
