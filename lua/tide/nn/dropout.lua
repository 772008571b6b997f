-- nn.Dropout(p): inverted dropout in training mode, identity in eval mode. The mask comes from
-- the engine's Philox generator (tide.tensor.manual_seed makes runs reproducible) and is
-- regenerated in the backward rather than stored.
local tide = require "tide"
local Module = require "tide.nn.module"

local Dropout = Module:extend("Dropout")

function Dropout:init(p)
  p = p or 0.5
  assert(type(p) == "number" and p >= 0 and p < 1, "Dropout(p): p must be in [0, 1)")
  self.p = p
end

function Dropout:forward(x)
  if not self.training or self.p == 0 then return x end
  return tide.core.nn.dropout(x, self.p, true)
end

function Dropout:extra_repr() return ("p=%g"):format(self.p) end

return Dropout
