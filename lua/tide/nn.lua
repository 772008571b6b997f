-- tide.nn — neural-network modules in Lua over the autograd engine.
--
-- EXTENDING (how every layer, here or in lua/tide/nn/<layer>.lua, is written):
--
--   local nn = require "tide.nn"
--   local T  = require("tide").tensor
--   local Scale = nn.Module:extend("Scale")
--   function Scale:init(dim)
--     self:param("w", T.ones(dim))            -- trainable: requires_grad, in parameters()
--     self:buffer("calls", T.zeros(1))        -- state in state_dict, not trained
--     self:add("inner", nn.Linear(dim, dim))  -- child module, named "inner.weight", ...
--   end
--   function Scale:forward(x) return self.inner(x) * self.w end
--   return Scale
--
-- Layers are loaded lazily: reading nn.GRU requires "tide.nn.gru" (the class name in lower
-- case; a file returns its class). Several classes in one file are listed in `aliases`.
-- Everything differentiable inside forward gets gradients for free. Base methods:
-- parameters(), named_parameters(), named_buffers(), children(), train(), eval(),
-- zero_grad(), state_dict(), load_state_dict(sd[, strict]), check_state_dict(sd), num_parameters(),
-- modules(), apply(fn), requires_grad(on) (freeze/unfreeze), __call.
local nn = {}

nn.Module = require "tide.nn.module"

-- class name -> module file (under lua/tide/nn/) when not simply the lower-cased name
local aliases = {
  ReLU = "activation", Tanh = "activation", Sigmoid = "activation", GELU = "activation",
  Identity = "activation", init = "initializers",
}

setmetatable(nn, {
  __index = function(self, name)
    if type(name) ~= "string" then return nil end
    local path = "tide.nn." .. (aliases[name] or name:lower())
    local ok, mod = pcall(require, path)
    if not ok then
      if tostring(mod):find("module '" .. path .. "' not found", 1, true) then return nil end
      error(mod, 2)
    end
    if aliases[name] == "activation" then mod = mod[name] end
    rawset(self, name, mod)
    return mod
  end,
})

package.loaded["tide.nn"] = nn
return nn
