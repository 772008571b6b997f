-- tide.recommend.signals — every signal of every candidate of a block of users as [b, W]
-- tensors (tensor ops only; the Lua loop over a sparse profile touches only those users'
-- non-zero entries).
--
-- Item signals (model scores, decayed interest, sentiment, custom functions) are normalised
-- per user over that user's candidates by min-max: x' = (x − min) / (max − min), in [0, 1],
-- so a weight means the same thing for every user and every signal; a signal equal on all of
-- a user's candidates cannot put one above another and becomes 0. With several models,
-- each model's signal is named after it (m.name, made unique) and "model" is their mean.
-- User signals (activation = P(return)) are per user, not normalised (already in [0, 1]).
local common = require("tide.models.common")
local M = {}
local function T() return require("tide").tensor end

--- signals.normalise(raw [b, W], V i32 [b, W] valid slots) -> per-row min-max in [0, 1];
--- NaN entries (a model that cannot score an item) and invalid slots get 0
function M.normalise(raw, V)
  local t = T()
  local ok = V:mul(raw:eq(raw))
  local lo = t.where(ok, raw, math.huge):min(2, true)
  local hi = t.where(ok, raw, -math.huge):max(2, true)
  local rng = hi - lo
  local pos = rng:gt(0)
  return t.where(ok:mul(pos), (raw - lo) / t.where(pos, rng, 1), 0)
end

-- a signal function's result: f32 [b, W] (or [b] for user signals), no NaN on valid slots
local function checked(x, shape, name, V)
  local t = T()
  if not t.is_tensor(x) or x:dim() ~= #shape or x:shape()[1] ~= shape[1] or (shape[2] and x:shape()[2] ~= shape[2]) then
    error(("recommend: signal '%s' must be a tensor [%s], got %s"):format(name, table.concat(shape, ", "),
      t.is_tensor(x) and "[" .. table.concat(x:shape(), ", ") .. "]" or type(x)), 0)
  end
  x = x:cast("f32")
  local v = V and t.where(V, x, 0) or x
  if v:ne(v):sum():item() > 0 then error(("recommend: signal '%s' has NaN values"):format(name), 0) end
  return v
end

-- dense rows [b, X] of a sparse profile {off, key, val, n_keys} for these users
local function sparse_rows(p, users)
  local off, key, val = common.rows(p.off, p.key, p.val, users)
  local X, flat, v = p.n_keys, {}, {}
  for r = 1, users:numel() do
    for q = off:get(r) + 1, off:get(r + 1) do
      flat[#flat + 1], v[#v + 1] = (r - 1) * X + key:get(q), val:get(q)
    end
  end
  local rows = T().zeros({ users:numel() * X })
  if #flat > 0 then rows:index_add_(1, T().fromtable(flat, "i32"), T().fromtable(v)) end
  return rows:view({ users:numel(), X })
end

local function interest(rec, users, items, idx, V)
  local I, b, W = rec.interest, items:shape()[1], items:shape()[2]
  if I.kind == "fn" then return checked(I.src(users, items), { b, W }, "interest", V) end
  local rows
  if I.kind == "model" then rows = I.src:score(users)
  elseif I.kind == "dense" then rows = I.src:index_select(1, users)
  else rows = sparse_rows(I.src, users) end
  if I.by == "category" then
    return rows:gather(2, rec.item_category:index_select(1, idx:view({ -1 })):view({ b, W }))
  end
  return rows:gather(2, idx)
end

--- signals.compute(rec, users i32 [b], items i32 [b, W], model {f32 [b, W] per model})
--- -> {V = valid slots, raw = {name -> [b, W]}, norm = {name -> [b, W]}, user = {name -> [b]}}
function M.compute(rec, users, items, model)
  local t = T()
  local b, W = items:shape()[1], items:shape()[2]
  local V = items:gt(0)
  local idx = t.where(V, items, 1):cast("i32")
  local raw, norm = {}, {}
  local function add(name, x)
    raw[name] = t.where(V:mul(x:eq(x)), x, 0)
    norm[name] = M.normalise(x, V)
  end
  if #model == 1 then add("model", model[1])
  else
    local acc = 0
    for i, x in ipairs(model) do add(rec.model_names[i], x); acc = norm[rec.model_names[i]] + acc end
    norm.model = acc / #model
    raw.model = norm.model
  end
  if rec.interest then add("interest", interest(rec, users, items, idx, V)) end
  if rec.sentiment then
    local s = type(rec.sentiment) == "function" and checked(rec.sentiment(users, items), { b, W }, "sentiment", V)
      or rec.sentiment:index_select(1, idx:view({ -1 })):view({ b, W })
    add("sentiment", s)
  end
  for _, name in ipairs(rec.custom_names) do add(name, checked(rec.custom[name](users, items), { b, W }, name, V)) end
  local user = {}
  if rec.activation then
    user.activation = type(rec.activation) == "function" and checked(rec.activation(users), { b }, "activation")
      or rec.activation:index_select(1, users)
  end
  return { V = V, raw = raw, norm = norm, user = user }
end

return M
