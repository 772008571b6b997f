-- tide.activation.bundle — one file that carries a fitted activation model together with
-- everything needed to reframe new data identically: the feature names in column order, the
-- framing options (label, horizon, groups, ...) and the log's schema. A tide.checkpoint
-- (checksummed, atomic) whose meta holds the model's own file as hex text, so any model kind
-- that can save(path)/load(path) fits, and the framing as JSON.
local tide = require "tide"
local json = require "tide.data.json"

local M = { KIND = "tide.activation.bundle/1" }

local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end
local function unhex(h) return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end)) end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

--- save(path, model, kind, info) — kind "logistic"|"gbdt"; info = {names = {...},
--- frame = {...options}, schema = ...} (JSON-encodable)
function M.save(path, model, kind, info)
  if type(path) ~= "string" then error("activation.save_bundle: path must be a string", 2) end
  if type(model) ~= "table" or type(model.save) ~= "function" then error("activation.save_bundle: model must have :save(path)", 2) end
  if kind ~= "logistic" and kind ~= "gbdt" then error("activation.save_bundle: kind must be logistic or gbdt", 2) end
  if type(info) ~= "table" or type(info.names) ~= "table" then error("activation.save_bundle: info.names is required", 2) end
  local tmp = os.tmpname()
  local ok, err = pcall(model.save, model, tmp)
  local bytes = ok and slurp(tmp)
  os.remove(tmp)
  if not ok then error("activation.save_bundle: " .. tostring(err), 2) end
  tide.checkpoint.save(path, {}, { kind = M.KIND, model_kind = kind, model = hex(bytes), info = json.encode(info) })
end

--- load(path) -> model, info (info.kind = the model kind)
function M.load(path)
  local _, meta = tide.checkpoint.load(path)
  if meta.kind ~= M.KIND then error("activation.load: '" .. path .. "' is not an activation bundle", 2) end
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write(unhex(meta.model))
  f:close()
  if meta.model_kind ~= "logistic" and meta.model_kind ~= "gbdt" then
    os.remove(tmp)
    error("activation.load: '" .. path .. "' holds an unknown model kind '" .. tostring(meta.model_kind) .. "'", 2)
  end
  local ok, model = pcall(function() return require("tide.activation." .. meta.model_kind).load(tmp) end)
  os.remove(tmp)
  if not ok then error("activation.load: " .. path .. ": " .. tostring(model), 2) end
  local info = json.decode(meta.info)
  info.kind = meta.model_kind
  return model, info
end

return M
