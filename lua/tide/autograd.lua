-- tide.autograd — grad mode from Lua: no_grad / enable_grad run a function with recording
-- off / on and always restore the previous mode, even when the function errors.
-- The tensor methods (requires_grad, backward, grad, zero_grad, detach, is_leaf, needs_grad)
-- live on tensors themselves (engine/lua/lt_autograd.c).
local core = require("tide").core.autograd

local M = {
  set_grad_enabled = core.set_grad_enabled,   -- (bool) -> previous setting
  is_grad_enabled = core.is_grad_enabled,
}

local function run_with(mode, fn, ...)
  if type(fn) ~= "function" then
    error("expected a function, got " .. type(fn), 3)
  end
  local prev = core.set_grad_enabled(mode)
  local res = { pcall(fn, ...) }
  core.set_grad_enabled(prev)
  if not res[1] then error(res[2], 0) end
  return unpack(res, 2, table.maxn(res))
end

-- Runs fn(...) without recording a graph; returns fn's results.
function M.no_grad(fn, ...) return run_with(false, fn, ...) end

-- Runs fn(...) with recording on (inside a no_grad block, for example).
function M.enable_grad(fn, ...) return run_with(true, fn, ...) end

--- detect_anomaly(fn, ...) -> first_forward, fn's results. Runs fn with anomaly detection:
--- a backward inside fn fails at the first op whose backward turns a finite gradient into
--- a NaN/Inf ("backward of log produced a non-finite gradient ..."), and first_forward names
--- the first recorded op whose output became non-finite from finite inputs ("log -> f32 [4]",
--- nil if none). Slow (every value is scanned): for diagnosis, not for every step.
function M.detect_anomaly(fn, ...)
  if type(fn) ~= "function" then error("detect_anomaly: expected a function, got " .. type(fn), 2) end
  local prev = core.set_detect_anomaly(true)
  local res = { pcall(fn, ...) }
  local first = core.anomaly_forward()
  core.set_detect_anomaly(prev)
  if not res[1] then
    local msg = tostring(res[2])
    if first then msg = msg .. " (first non-finite forward value: " .. first .. ")" end
    error(msg, 0)
  end
  return first, unpack(res, 2, table.maxn(res))
end

return M
