-- tide.models.seq_io — save and load of the sequential recommenders: one atomic, checksummed
-- checkpoint (tide.checkpoint) holding the weights ("net.*"), the training histories the model
-- scores from ("seq.*") and the options as metadata, so a loaded model scores exactly as the
-- saved one. Options resolved from the data at fit time (tide.models.seq_defaults) are stored
-- with their values, so the net is rebuilt with the same maxlen, and as "resolved.*" entries, so
-- the loaded model knows which options the user did not set (a refit resolves them again).
-- load_any(path) picks the model class from the stored kind.
local seq = require "tide.models.seq_common"

local M = {}

local function tide() return require "tide" end

-- options stored as checkpoint meta (numbers and strings only)
local function meta_of(self)
  local m = { kind = self.name, n_items = self.n_items, n_users = self.n_users }
  for k in pairs(seq.base) do m["opt." .. k] = self[k] end
  for k in pairs(getmetatable(self).defaults) do m["opt." .. k] = self[k] end
  for k, v in pairs(self.resolved or {}) do m["resolved." .. k] = v end
  return m
end

--- save(self, path): weights, options and histories in one atomic checkpoint
function M.save(self, path)
  assert(self.net, self.name .. ":save: fit the model first")
  if type(path) ~= "string" then error(self.name .. ":save: path must be a string", 2) end
  local t = { ["seq.offsets"] = self.seq.offsets, ["seq.item"] = self.seq.item }
  if self.seq.time then t["seq.time"] = self.seq.time end
  for name, v in pairs(self.net:state_dict()) do t["net." .. name] = v end
  tide().checkpoint.save(path, t, meta_of(self))
end

--- load(cls, path) -> model, exactly as saved
function M.load(cls, path)
  if type(path) ~= "string" then error(cls.kind .. ".load: path must be a string", 2) end
  local ck = tide().checkpoint
  local t, meta = ck.load(path)
  if meta.kind ~= cls.kind then
    error(("%s.load: %s holds a '%s' model"):format(cls.kind, path, tostring(meta.kind)), 2)
  end
  local opts = { n_items = meta.n_items }
  for k, v in pairs(meta) do if k:sub(1, 4) == "opt." then opts[k:sub(5)] = v end end
  -- an option the file predates takes the value models had then, not today's default
  for k, v in pairs(cls.legacy or {}) do if opts[k] == nil then opts[k] = v end end
  local self = seq.new(cls, opts)
  for k, v in pairs(meta) do
    if k:sub(1, 9) == "resolved." then
      self.resolved = self.resolved or {}
      self.resolved[k:sub(10)] = v
      self.explicit[k:sub(10)] = nil
    end
  end
  seq.set_sequences(self, { offsets = t["seq.offsets"], item = t["seq.item"], time = t["seq.time"],
                      n_users = meta.n_users, n_items = meta.n_items })
  self.net = self:build()
  local w = {}
  for k, v in pairs(t) do if k:sub(1, 4) == "net." then w[k:sub(5)] = v end end
  ck.load_state(path, self.net, w)
  self.net:eval()
  return self
end

--- load_any(path) -> the sequential model saved at path, whatever its kind
function M.load_any(path)
  if type(path) ~= "string" then error("models.load: path must be a string", 2) end
  local _, meta = tide().checkpoint.load(path)
  local cls = type(meta.kind) == "string" and tide().models[meta.kind]
  if not (cls and cls.load) then error(("models.load: %s holds no sequential model (kind %s)"):format(path, tostring(meta.kind)), 2) end
  return cls.load(path)
end

return M
