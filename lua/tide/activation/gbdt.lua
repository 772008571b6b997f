-- tide.activation.gbdt — histogram gradient-boosted trees (engine/gbdt*.c) with the activation
-- models' interface: new(opts), m:fit(X, y, fopts), m:predict(X), m:predict_raw(X),
-- m:importance(), m:save(path), load(path). Logistic loss for 0/1 targets (reactivation) or
-- squared loss for real targets (decay and activation trends). X is an f32 tensor [n, d];
-- NaN marks a missing value (each split learns where missing values go).
--
--   local m = gbdt.new { n_trees = 300, learning_rate = 0.05, early_stopping = { rounds = 20 } }
--   m:fit(X, y, { names = cols, valid = { Xv, yv } })     -- keeps the best number of trees
--   local p = m:predict(Xnew); m:save("reactivation.gbdt")
--   local trend = gbdt.new { loss = "squared" }:fit(X, days_to_return)   -- a regressor
--
-- Files are tide checkpoints (atomic, CRC-checked) whose metadata says kind = "gbdt"
-- (M.KIND) and format = 1; load refuses any other kind. Predictions after load are
-- bit-identical: thresholds are stored as the raw floats the trees compare against.
local M = { KIND = "gbdt", FORMAT = 1 }

local function tide() return require("tide") end
local function core() return require("tide").core.gbdt end

local Model = {}
Model.__index = Model

-- option -> default ("int": integer number, "num": number)
local OPTS = {
  loss = "logistic", n_trees = 200, max_depth = 6, max_leaves = 31, learning_rate = 0.1,
  min_child_weight = 1e-3, min_samples_leaf = 20, l2 = 0, min_split_gain = 0, max_bins = 255,
  bin_sample = 200000, validation_fraction = 0, seed = 0,
}
local INTS = { n_trees = true, max_depth = true, max_leaves = true, min_samples_leaf = true,
  max_bins = true, bin_sample = true, seed = true, threads = true }

local function check_number(fn, key, v)
  if type(v) ~= "number" or v ~= v then
    error(("%s: opts.%s must be a number, got %s"):format(fn, key, type(v)), 4)
  end
  if INTS[key] and v ~= math.floor(v) then
    error(("%s: opts.%s must be an integer, got %s"):format(fn, key, tostring(v)), 4)
  end
end

local function early_stopping(v)
  if v == false then return false end
  if v == nil then return { rounds = 10, tol = 1e-7 } end
  if type(v) ~= "table" then error("gbdt.new: opts.early_stopping must be a table or false", 3) end
  for k in pairs(v) do
    if k ~= "rounds" and k ~= "tol" then error("gbdt.new: unknown option early_stopping." .. tostring(k), 3) end
  end
  local es = { rounds = v.rounds or 10, tol = v.tol or 1e-7 }
  if type(es.rounds) ~= "number" or es.rounds < 1 or es.rounds ~= math.floor(es.rounds) then
    error("gbdt.new: opts.early_stopping.rounds must be an integer >= 1", 3)
  end
  if type(es.tol) ~= "number" or not (es.tol >= 0) then error("gbdt.new: opts.early_stopping.tol must be >= 0", 3) end
  return es
end

--- gbdt.new(opts) -> model (not yet fitted). Options (defaults):
--  loss "logistic" | "squared"; n_trees 200; max_depth 6 (0: no limit); max_leaves 31;
--  learning_rate 0.1; min_child_weight 1e-3 (hessian sum per leaf); min_samples_leaf 20;
--  l2 0 (penalty on leaf values); min_split_gain 0; max_bins 255 (2..255); bin_sample 200000
--  (rows sampled to place bin edges); early_stopping {rounds = 10, tol = 1e-7} or false: used
--  when fit gets a valid set, or with validation_fraction > 0 (default 0: no hold-out, unlike
--  sklearn's automatic 10% above 10000 rows, so a fit uses every row unless asked); seed 0;
--  threads (default TIDE_THREADS or the CPUs; results do not depend on it).
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("gbdt.new: opts must be a table, got " .. type(opts), 2) end
  local o = {}
  for k, v in pairs(opts) do
    if OPTS[k] == nil and k ~= "early_stopping" and k ~= "threads" then
      error("gbdt.new: unknown option '" .. tostring(k) .. "'", 2)
    end
    if k ~= "loss" and k ~= "early_stopping" then check_number("gbdt.new", k, v) end
  end
  for k, def in pairs(OPTS) do o[k] = opts[k] == nil and def or opts[k] end
  if o.loss ~= "logistic" and o.loss ~= "squared" then
    error('gbdt.new: opts.loss must be "logistic" or "squared", got ' .. tostring(o.loss), 2)
  end
  o.threads = opts.threads
  o.early_stopping = early_stopping(opts.early_stopping)
  return setmetatable({ opts = o }, Model)
end

local function check_tensor(fn, what, v)
  if not tide().tensor.is_tensor(v) then
    error(("%s: %s must be a tensor, got %s"):format(fn, what, type(v)), 4)
  end
end

--- m:fit(X, y, fopts) -> m. X f32 [n, d] (NaN = missing), y [n] (0/1 for logistic).
--  fopts: names {d strings} (default "x1".."xd"), weight [n] (>= 0), valid {X, y [, weight]}
--  (or {X = , y = , weight = }): early stopping on its loss keeps the best number of trees.
--  After fit: m.n_trees, m.n_iter (trees grown), m.valid_loss {after 0..n_iter trees} | nil.
function Model:fit(X, y, fopts)
  fopts = fopts or {}
  if type(fopts) ~= "table" then error("gbdt.fit: options must be a table", 2) end
  for k in pairs(fopts) do
    if k ~= "names" and k ~= "weight" and k ~= "valid" then error("gbdt.fit: unknown option '" .. tostring(k) .. "'", 2) end
  end
  check_tensor("gbdt.fit", "X", X)
  check_tensor("gbdt.fit", "y", y)
  if fopts.weight ~= nil then check_tensor("gbdt.fit", "weight", fopts.weight) end
  local vX, vy, vw
  if fopts.valid ~= nil then
    local v = fopts.valid
    if type(v) ~= "table" then error("gbdt.fit: valid must be a table {X, y [, weight]}", 2) end
    vX, vy, vw = v.X or v[1], v.y or v[2], v.weight or v[3]
    check_tensor("gbdt.fit", "valid X", vX)
    check_tensor("gbdt.fit", "valid y", vy)
    if vw ~= nil then check_tensor("gbdt.fit", "valid weight", vw) end
  end
  if X:dim() ~= 2 then error(("gbdt.fit: X must be a 2-D tensor [n, d], got %d dims"):format(X:dim()), 2) end
  local o = self.opts
  local d = X:size(2)
  local names = fopts.names
  if names ~= nil then
    if type(names) ~= "table" or #names ~= d then
      error(("gbdt.fit: names must be a table of %d strings (one per column of X)"):format(d), 2)
    end
    for i = 1, d do
      if type(names[i]) ~= "string" then error(("gbdt.fit: names[%d] must be a string"):format(i), 2) end
    end
  else
    names = {}
    for i = 1, d do names[i] = "x" .. i end
  end
  local es = o.early_stopping
  local copts = {}
  for k in pairs(OPTS) do copts[k] = o[k] end
  copts.threads = o.threads
  copts.es_rounds = es and (vX or o.validation_fraction > 0) and es.rounds or 0
  copts.es_tol = es and es.tol or 1e-7
  if copts.es_rounds == 0 then copts.validation_fraction = 0 end
  self.core = core().fit(X, y, fopts.weight, vX, vy, vw, copts)
  self.names = { unpack(names) }
  self:_record()
  return self
end

function Model:_record()
  local info = self.core:info()
  self.d, self.n_trees, self.n_iter, self.valid_loss = info.d, info.n_trees, info.n_iter, info.valid_loss
  self.baseline = info.baseline
end

local function fitted(self, fn)
  if not self.core then error(fn .. ": the model is not fitted (call fit or gbdt.load first)", 3) end
end

--- m:predict(X) -> f32 [n]: probabilities (logistic) or values (squared).
function Model:predict(X)
  fitted(self, "gbdt.predict")
  check_tensor("gbdt.predict", "X", X)
  return self.core:predict(X, false, self.opts.threads)
end

--- m:predict_raw(X) -> f32 [n]: raw scores (log-odds for logistic).
function Model:predict_raw(X)
  fitted(self, "gbdt.predict_raw")
  check_tensor("gbdt.predict_raw", "X", X)
  return self.core:predict(X, true, self.opts.threads)
end

--- m:importance() -> {{name =, gain =}, ...}: total split gain per feature, normalised to sum
--  1 (all 0 without splits), largest first (ties in column order).
function Model:importance()
  fitted(self, "gbdt.importance")
  local g, out = self.core:importance(), {}
  for i = 1, #g do out[i] = { name = self.names[i], gain = g[i], col = i } end
  table.sort(out, function(a, b) if a.gain ~= b.gain then return a.gain > b.gain end return a.col < b.col end)
  for _, e in ipairs(out) do e.col = nil end
  return out
end

--- m:state() -> tensors, meta: what save writes (kind = "gbdt"), for models that embed a GBDT
--- in their own file (tide.models.io.nest)
function Model:state()
  fitted(self, "gbdt.save")
  local meta = { kind = M.KIND, format = M.FORMAT, loss = self.opts.loss, d = self.d, baseline = self.baseline }
  for k in pairs(OPTS) do if k ~= "loss" then meta["opt." .. k] = self.opts[k] end end
  for i, name in ipairs(self.names) do meta["name." .. i] = name end
  return self.core:export(), meta
end

--- m:save(path): atomic, checksummed tide checkpoint with metadata kind = "gbdt".
function Model:save(path)
  fitted(self, "gbdt.save")
  if type(path) ~= "string" then error("gbdt.save: path must be a string", 2) end
  local t, meta = self:state()
  tide().checkpoint.save(path, t, meta)
end

--- gbdt.from_state(tensors, meta[, where]) -> the model state() described (where names the
--- file in errors)
function M.from_state(arrays, meta, where)
  where = where or "the state"
  if meta.kind ~= M.KIND then
    error(("gbdt.load: %s is not a GBDT model file (kind = %s)"):format(where, tostring(meta.kind)), 3)
  end
  if meta.format ~= M.FORMAT then error(("gbdt.load: %s has format %s, expected %d"):format(where, tostring(meta.format), M.FORMAT), 3) end
  local opts = { loss = meta.loss }
  for k in pairs(OPTS) do if meta["opt." .. k] ~= nil then opts[k] = meta["opt." .. k] end end
  local m = M.new(opts)
  m.core = core().import(arrays, meta.d, meta.loss, meta.baseline)
  m.names = {}
  for i = 1, meta.d do m.names[i] = meta["name." .. i] or ("x" .. i) end
  m:_record()
  return m
end

--- gbdt.load(path) -> model whose predictions are bit-identical to the saved one's.
function M.load(path)
  if type(path) ~= "string" then error("gbdt.load: path must be a string", 2) end
  local arrays, meta = tide().checkpoint.load(path)
  return M.from_state(arrays, meta, path)
end

return M
