-- tide.checkpoint — model files that never corrupt (engine/checkpoint.c: checksummed,
-- versioned little-endian format, atomic write).
--
--   tide.checkpoint.save(path, tensors, meta)      tensors {name = tensor}, meta {k = num|str}
--   local tensors, meta = tide.checkpoint.load(path)
--   tide.checkpoint.save_model(path, model, meta)  /  meta = load_model(path, model)
--   In memory (the same bytes as the file, e.g. to embed a model in another file):
--   s = tide.checkpoint.to_bytes(tensors, meta);  tensors, meta = from_bytes(s, name)
--   s = tide.checkpoint.model_to_bytes(model, meta)
--   load_state(name, model, tensors [, strict]) loads tensors already read (checked first)
--   tide.checkpoint.save_training(path, {model = m, optimizer = o, meta = {...}})
--   meta = tide.checkpoint.load_training(path, {model = m, optimizer = o})
--
-- Loading into a model (or model + optimizer) checks every name and shape first and
-- refuses with one error listing all problems, leaving the model and optimizer untouched.
-- In training checkpoints model tensors are stored as "model.<name>", optimizer state as
-- "optim.<name>", optimizer metadata as "optim.kind" / "optim.step" / "optim.lr".
local core = require("tide").core.checkpoint

local M = {}

function M.save(path, tensors, meta)
  if type(path) ~= "string" then error("checkpoint.save: path must be a string", 2) end
  core.save(path, tensors, meta)
end

function M.load(path)
  if type(path) ~= "string" then error("checkpoint.load: path must be a string", 2) end
  return core.load(path)
end

-- name: what errors call the bytes (e.g. "model.ens member 2"); default "(memory)".
function M.to_bytes(tensors, meta, name)
  if type(tensors) ~= "table" then error("checkpoint.to_bytes: tensors must be a table", 2) end
  return core.save_bytes(tensors, meta, name)
end

function M.from_bytes(s, name)
  if type(s) ~= "string" then error("checkpoint.from_bytes: bytes must be a string, got " .. type(s), 2) end
  if name ~= nil and type(name) ~= "string" then error("checkpoint.from_bytes: name must be a string", 2) end
  return core.load_bytes(s, name)
end

function M.model_to_bytes(model, meta)
  assert(type(model) == "table" and model.state_dict, "model_to_bytes: expected a module")
  return core.save_bytes(model:state_dict(), meta)
end

function M.save_model(path, model, meta)
  assert(type(model) == "table" and model.state_dict, "save_model: expected a module")
  core.save(path, model:state_dict(), meta)
end

-- level: of the error, counted from refuse (default 3: the caller of refuse's caller)
local function refuse(path, what, problems, level)
  error(("checkpoint %s: cannot load into the %s: %s"):format(path, what, table.concat(problems, "; ")), level or 3)
end

-- Checks every name and shape, then loads; errors name `name` and point at the caller of the
-- public function that called this.
local function install(name, model, tensors, strict)
  local problems = model:check_state_dict(tensors, strict)
  if #problems > 0 then refuse(name, "model", problems, 4) end
  model:load_state_dict(tensors, strict)
end

function M.load_model(path, model, strict)
  assert(type(model) == "table" and model.load_state_dict, "load_model: expected a module")
  local tensors, meta = core.load(path)
  install(path, model, tensors, strict)
  return meta
end

-- Tensors already read (load / from_bytes) into a model, all names and shapes checked first;
-- errors name `name` (the file or the bytes).
function M.load_state(name, model, tensors, strict)
  assert(type(model) == "table" and model.load_state_dict, "load_state: expected a module")
  install(name, model, tensors, strict)
end

function M.save_training(path, parts)
  assert(type(parts) == "table" and parts.model, "save_training: expected {model = ..., optimizer = ..., meta = ...}")
  local tensors, meta = {}, {}
  for k, v in pairs(parts.meta or {}) do meta[k] = v end
  for name, t in pairs(parts.model:state_dict()) do tensors["model." .. name] = t end
  if parts.optimizer then
    local ot, om = parts.optimizer:state_dict()
    for name, t in pairs(ot) do tensors["optim." .. name] = t end
    for k, v in pairs(om) do meta["optim." .. k] = v end
  end
  core.save(path, tensors, meta)
end

local function strip(tbl, prefix)
  local out = {}
  for k, v in pairs(tbl) do
    if k:sub(1, #prefix) == prefix then out[k:sub(#prefix + 1)] = v end
  end
  return out
end

function M.load_training(path, parts)
  assert(type(parts) == "table" and parts.model, "load_training: expected {model = ..., optimizer = ...}")
  local tensors, meta = core.load(path)
  local mt = strip(tensors, "model.")
  local problems = parts.model:check_state_dict(mt)
  if #problems > 0 then refuse(path, "model", problems) end
  local ot, om
  if parts.optimizer then
    ot, om = strip(tensors, "optim."), strip(meta, "optim.")
    problems = parts.optimizer:check_state_dict(ot, om)
    if #problems > 0 then refuse(path, "optimizer", problems) end
  end
  parts.model:load_state_dict(mt)
  if parts.optimizer then parts.optimizer:load_state_dict(ot, om) end
  local user = {}
  for k, v in pairs(meta) do if k:sub(1, 6) ~= "optim." then user[k] = v end end
  return user
end

return M
