-- Parameter-free activation modules: ReLU, Tanh, Sigmoid, GELU (tanh form), Identity.
local Module = require "tide.nn.module"

local M = {}
local function make(name, fn)
  local cls = Module:extend(name)
  cls.forward = function(_, x) return fn(x) end
  M[name] = cls
end
make("ReLU", function(x) return x:relu() end)
make("Tanh", function(x) return x:tanh() end)
make("Sigmoid", function(x) return x:sigmoid() end)
make("GELU", function(x) return x:gelu() end)
make("Identity", function(x) return x end)

-- activation module from a name ("relu", "tanh", "sigmoid", "gelu", "none"/nil)
function M.by_name(name)
  local map = { relu = "ReLU", tanh = "Tanh", sigmoid = "Sigmoid", gelu = "GELU", none = "Identity" }
  local cls = M[map[name or "none"] or ""]
  if not cls then error("unknown activation '" .. tostring(name) .. "'", 2) end
  return cls()
end

return M
