-- tide.config — engine-wide settings. Today: allocation limits (engine/limit.h), so an
-- oversized request fails with an error naming the limit instead of exhausting memory.
--
--   tide.config.set{max_tensor_bytes = 2^30, max_rows = 1e8}   -- 0 = no limit
--   print(tide.config.get("max_tensor_bytes"))
--
-- max_tensor_bytes (default: physical memory; env TIDE_MAX_TENSOR_BYTES, e.g. "8G") caps one
-- tensor: created from a Lua shape (zeros, ones, full, rand, randn, eye, arange, fromtable),
-- produced by an op (matmul, broadcasts, gradients, ...), or read from a checkpoint or a
-- prepared dataset. max_rows (default
-- 2^31 - 1; env TIDE_MAX_ROWS) caps the rows of a prepared-dataset column.
local core = require("tide").core.config

local M = {}
local NAMES = { max_tensor_bytes = true, max_rows = true }

--- set{max_tensor_bytes =, max_rows =}: changes the given limits (others unchanged).
function M.set(opts)
  if type(opts) ~= "table" then error("config.set: expected a table {max_tensor_bytes =, max_rows =}", 2) end
  for k, v in pairs(opts) do
    if not NAMES[k] then error(("config.set: unknown setting '%s' (max_tensor_bytes, max_rows)"):format(tostring(k)), 2) end
    if type(v) ~= "number" then error(("config.set: %s must be a number, got %s"):format(k, type(v)), 2) end
  end
  for k, v in pairs(opts) do
    local ok, err = pcall(core.set, k, v)
    if not ok then error(err, 2) end
  end
end

--- get([name]) -> the value of one limit, or a table of all of them.
function M.get(name)
  if name == nil then
    local t = {}
    for k in pairs(NAMES) do t[k] = core.get(k) end
    return t
  end
  local ok, v = pcall(core.get, name)
  if not ok then error(v, 2) end
  return v
end

return M
