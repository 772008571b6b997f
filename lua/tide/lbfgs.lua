-- tide.lbfgs — L-BFGS minimisation of a Lua objective (engine/lbfgs.c, reverse communication).
--   local x, info = tide.lbfgs.minimize(fn, x0, {max_iter = 200, gtol = 1e-6, m = 8})
-- fn(x) returns f, g. x0 (and the x handed to fn) is a Lua array of numbers, or a tensor when x0
-- is a tensor (same shape, f32). g may be a tensor or a Lua array. Bounds: optimise transformed
-- parameters (log for rates, logits for weights). info = {status, f, iterations, evaluations}.
local M = {}

local function core() return require("tide").core.decay end

local function shape_of(t)
  local s = t:shape()
  return type(s) == "table" and s or { s }
end

function M.minimize(fn, x0, opts)
  assert(type(fn) == "function", "lbfgs.minimize: argument #1 (fn) must be a function")
  local T = require("tide").tensor
  local as_tensor = T.is_tensor(x0)
  local shape = as_tensor and shape_of(x0) or nil
  local flat = as_tensor and x0:reshape({ -1 }):totable() or x0
  if type(flat) ~= "table" then error("lbfgs.minimize: x0 must be a table of numbers or a tensor", 2) end
  local s = core().lbfgs_new(flat, opts or {})
  local status, f
  local function wrap(x)
    if as_tensor then return T.fromtable(x):reshape(shape) end
    return x
  end
  repeat
    local x = wrap(s:x())
    local fx, g = fn(x)
    if type(fx) ~= "number" then
      if T.is_tensor(fx) then fx = fx:item() else error("lbfgs.minimize: fn must return f (number), g", 2) end
    end
    if g == nil then error("lbfgs.minimize: fn must return the gradient as its second value", 2) end
    status, f = s:step(fx, g)
  until status ~= "need_eval"
  local iters, evals = s:counts()
  local x = wrap(s:x())
  s:free()
  return x, { status = status, f = f, iterations = iters, evaluations = evals,
              converged = status == "converged" }
end

return M
