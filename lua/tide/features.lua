-- tide.features — behaviour features and fitted encoders.
--   user(ev [, {now}])          per-user RFM and behaviour features (computed in engine/rfm.c)
--   user_category(ev [, {now}]) sparse per-(user, category) recency/frequency/monetary/
--                               dwell/affinity rows
--   standardize(), minmax(), log1p(), onehot([opts]), hashing(dim [, seed]): encoders with
--   :fit(train) and :transform(x), so statistics come from training data only and are then
--   applied unchanged to validation/test/new data.
-- Leakage rule: pass the TRAIN part of a split (tide.split) and a `now` no later than the
-- split cut; features never look past the rows they are given.
local tide = require "tide"
local D = tide.core.data
local T = tide.tensor
local data = require "tide.data"

local M = {}

-- CSR sequences of the rows at or before `now` (default: the last event). Rows after `now`
-- are left out, so features "as of now" never see the future.
local function prep(ev, opts, fn)
  if type(ev) ~= "table" or not ev.user then error(fn .. ": expected an event table", 3) end
  local now = opts and opts.now
  local _, hi = D.minmax(ev.time)
  if now == nil then now = hi or 0
  elseif hi and hi > now then ev = data.time_window(ev, nil, now) end
  return data.sequences(ev), now
end

--- user(ev [, {now = t}]) -> {values = f32 [n_users, F], names = {...}, index = {name = col},
--- col = function(name) -> f32 [n_users]}
function M.user(ev, opts)
  local s, now = prep(ev, opts, "features.user")
  local X, names = D.features_user(s.offsets, s.time, s.event, s.price, s.dwell, s.category,
                                   ev.n_categories or 0, now)
  local index = {}
  for i, nm in ipairs(names) do index[nm] = i end
  return { values = X, names = names, index = index, now = now,
           col = function(name)
             local j = index[name] or error("features.user: no feature '" .. tostring(name) .. "'", 2)
             return X:select(2, j):contiguous()
           end }
end

--- user_category(ev [, {now}]) -> {user = i32 [m], category = i32 [m], values = f32 [m, 6], names}
function M.user_category(ev, opts)
  if not ev.category then error("features.user_category: the event table has no category column", 2) end
  local s, now = prep(ev, opts, "features.user_category")
  local u, c, v, names = D.features_user_cat(s.offsets, s.time, s.event, s.price, s.dwell,
                                             s.category, ev.n_categories, now)
  return { user = u, category = c, values = v, names = names, now = now }
end

-- ---------------------------------------------------------------- encoders
local Enc = {}
Enc.__index = Enc

local function as2d(x, fn)
  if not T.is_tensor(x) then error(fn .. ": expected a tensor", 3) end
  x = x:contiguous():float()
  if x:dim() == 1 then x = x:view({ x:numel(), 1 }) end
  if x:dim() ~= 2 then error(fn .. ": expected a 1-D or 2-D tensor", 3) end
  return x
end

local function need_fit(self, fn)
  if not self.fitted then error(fn .. ": call :fit(train) before :transform", 3) end
end

--- standardize(): (x - mean) / std per column (population std; constant columns -> 0)
function M.standardize()
  return setmetatable({ kind = "standardize",
    fit = function(self, x)
      x = as2d(x, "standardize:fit")
      self.mean = x:mean(1, true)
      local sd = x:std(1, true, false)
      self.std = T.where(sd:gt(0), sd, 1)
      self.d, self.fitted = x:size(2), true
      return self
    end,
    transform = function(self, x)
      need_fit(self, "standardize:transform")
      x = as2d(x, "standardize:transform")
      if x:size(2) ~= self.d then error(("standardize:transform: %d columns, fitted on %d"):format(x:size(2), self.d), 2) end
      return (x - self.mean) / self.std
    end }, Enc)
end

--- minmax(): (x - min) / (max - min) per column, fitted range (new data may leave [0, 1])
function M.minmax()
  return setmetatable({ kind = "minmax",
    fit = function(self, x)
      x = as2d(x, "minmax:fit")
      self.min = x:min(1, true)
      local range = x:max(1, true) - self.min
      self.range = T.where(range:gt(0), range, 1)
      self.d, self.fitted = x:size(2), true
      return self
    end,
    transform = function(self, x)
      need_fit(self, "minmax:transform")
      x = as2d(x, "minmax:transform")
      if x:size(2) ~= self.d then error(("minmax:transform: %d columns, fitted on %d"):format(x:size(2), self.d), 2) end
      return (x - self.min) / self.range
    end }, Enc)
end

--- log1p(): log(1 + max(x, 0)); stateless (fit is a no-op) — for heavy-tailed counts/money
function M.log1p()
  return setmetatable({ kind = "log1p", fitted = true,
    fit = function(self) return self end,
    transform = function(_, x) return as2d(x, "log1p:transform"):clamp(0, nil):log1p() end }, Enc)
end

-- keys: an integer tensor or a Lua array -> array of string keys
local function keys_of(v, fn)
  if T.is_tensor(v) then v = v:totable() end
  if type(v) ~= "table" then error(fn .. ": expected a tensor or an array", 3) end
  local out = {}
  for i = 1, #v do out[i] = tostring(v[i]) end
  return out
end

--- onehot([{unknown = "ignore"|"error"}]): one column per category seen in fit (order of
--- first appearance); unseen categories give an all-zero row (or an error)
function M.onehot(opts)
  opts = opts or {}
  return setmetatable({ kind = "onehot",
    fit = function(self, v)
      local I = D.interner()
      for _, k in ipairs(keys_of(v, "onehot:fit")) do I:add(k) end
      self.vocab, self.k, self.fitted = I, I:size(), true
      return self
    end,
    transform = function(self, v)
      need_fit(self, "onehot:transform")
      local ks, ix = keys_of(v, "onehot:transform"), {}
      for i, k in ipairs(ks) do
        ix[i] = self.vocab:id(k) or 0
        if ix[i] == 0 and opts.unknown == "error" then
          error("onehot:transform: category '" .. k .. "' was not seen in fit", 2)
        end
      end
      return D.onehot(T.fromtable(#ix > 0 and ix or {}, "i32"), math.max(self.k, 1))
    end }, Enc)
end

--- hashing(dim [, seed]): signed feature hashing of ids/strings into dim columns; stateless
function M.hashing(dim, seed)
  if type(dim) ~= "number" or dim < 1 then error("hashing: dim must be a positive integer", 2) end
  return setmetatable({ kind = "hashing", fitted = true, dim = dim, seed = seed or 0,
    fit = function(self) return self end,
    transform = function(self, v)
      local keys = T.is_tensor(v) and v:contiguous():int() or v
      local b, s = D.hash_bucket(keys, self.dim, self.seed)
      return D.onehot(b, self.dim, s)
    end }, Enc)
end

function Enc:fit_transform(x) return self:fit(x):transform(x) end

return M
