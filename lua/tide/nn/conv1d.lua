-- nn.Conv1d(in, out, k[, {pad = 0, bias = true}]): convolution over time of channels-last
-- sequences x [B,T,in] -> [B, T+2pad-k+1, out] (tide.core.nn.conv1d). The weight is
-- [out, k, in] (taps-major, so a window is one contiguous row), U(-1/sqrt(in*k), +).
-- For a TextCNN, follow it with tide.core.nn.max_over_time(y [, mask]).
local tide = require "tide"
local Module = require "tide.nn.module"
local T = tide.tensor

local Conv1d = Module:extend("Conv1d")

function Conv1d:init(n_in, n_out, k, opts)
  opts = opts or {}
  assert(type(n_in) == "number" and type(n_out) == "number" and type(k) == "number" and k >= 1,
    "Conv1d(in, out, k): sizes must be positive numbers")
  self.n_in, self.n_out, self.k, self.pad = n_in, n_out, k, opts.pad or 0
  local bound = 1 / math.sqrt(n_in * k)
  self:param("weight", T.zeros(n_out, k, n_in):uniform_(-bound, bound))
  if opts.bias ~= false then self:param("bias", T.zeros(n_out):uniform_(-bound, bound)) end
end

function Conv1d:forward(x) return tide.core.nn.conv1d(x, self.weight, self.bias, self.pad) end

function Conv1d:extra_repr()
  return ("%d -> %d, k=%d, pad=%d"):format(self.n_in, self.n_out, self.k, self.pad)
end

return Conv1d
