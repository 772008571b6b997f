-- Shared constructor and forward for nn.GRU and nn.LSTM (PyTorch's weight layout and
-- initialisation U(-1/sqrt(H), 1/sqrt(H)); gates stacked as [G*H, in] / [G*H, H]).
-- forward(x [B,T,in], opts) with opts.h0 (and c0 for LSTM), opts.mask [B,T] or
-- opts.lengths [B] (+ opts.left = true for left-padded rows) returns
--   out [B,T,H]  (a padded step repeats the state)  and  h_n = out[:, T] [B,H].
local tide = require "tide"
local T = tide.tensor

local M = {}

function M.init(self, gates, n_in, hidden, opts)
  opts = opts or {}
  assert(type(n_in) == "number" and type(hidden) == "number" and n_in >= 1 and hidden >= 1,
    self.__name .. "(in, hidden): sizes must be positive numbers")
  self.n_in, self.hidden = n_in, hidden
  local k = 1 / math.sqrt(hidden)
  self:param("w_ih", T.zeros(gates * hidden, n_in):uniform_(-k, k))
  self:param("w_hh", T.zeros(gates * hidden, hidden):uniform_(-k, k))
  if opts.bias ~= false then
    self:param("b_ih", T.zeros(gates * hidden):uniform_(-k, k))
    self:param("b_hh", T.zeros(gates * hidden):uniform_(-k, k))
  end
end

function M.forward(self, kernel, x, opts)
  local out = kernel(x, self.w_ih, self.w_hh, self.b_ih, self.b_hh, opts)
  local steps = out:shape()[2]
  if steps == 0 then return out, nil end
  return out, out:select(2, steps)
end

function M.extra_repr(self) return ("%d -> %d"):format(self.n_in, self.hidden) end

return M
