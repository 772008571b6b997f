-- nn.Sequential(m1, m2, ...) or nn.Sequential{m1, m2, ...}: applies modules in order.
-- Children are named "1", "2", ... so parameters are "1.weight", "2.bias", ...
local Module = require "tide.nn.module"

local Sequential = Module:extend("Sequential")

function Sequential:init(...)
  local mods = {...}
  if #mods == 1 and type(mods[1]) == "table" and not mods[1].parameters then mods = mods[1] end
  self.n = 0
  for _, m in ipairs(mods) do self:append(m) end
end

function Sequential:append(m)
  self.n = self.n + 1
  self:add(tostring(self.n), m)
  return self
end

function Sequential:get(i) return self[tostring(i)] end

function Sequential:forward(x, ...)
  for i = 1, self.n do x = self[tostring(i)](x, ...) end
  return x
end

return Sequential
