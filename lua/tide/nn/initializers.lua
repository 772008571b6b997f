-- tide.nn.init — weight initialisers, all drawing from the engine's seeded Philox generator
-- (tide.tensor.manual_seed makes them reproducible). Each fills `t` in place and returns it.
-- Fans follow PyTorch's convention for a weight of shape [out, in, k...]:
--   fan_in = in * prod(k), fan_out = out * prod(k).
-- References: Glorot & Bengio 2010 (xavier), He et al. 2015 (kaiming).
local T = require("tide").tensor

local M = {}

local function fans(t)
  local s = t:shape()
  if #s < 1 then error("init: a 0-dim tensor has no fans", 3) end
  if #s == 1 then return s[1], s[1] end
  local rf = 1
  for i = 3, #s do rf = rf * s[i] end
  return s[2] * rf, s[1] * rf
end
M.fans = fans

-- recommended gain for a nonlinearity (PyTorch's calculate_gain)
function M.gain(nonlinearity, a)
  nonlinearity = nonlinearity or "linear"
  if nonlinearity == "relu" then return math.sqrt(2) end
  if nonlinearity == "leaky_relu" then a = a or 0.01; return math.sqrt(2 / (1 + a * a)) end
  if nonlinearity == "tanh" then return 5 / 3 end
  if nonlinearity == "selu" then return 3 / 4 end
  return 1 -- linear, sigmoid, conv
end

function M.uniform(t, lo, hi) return t:uniform_(lo or 0, hi or 1) end
function M.normal(t, mean, std) return t:normal_(mean or 0, std or 1) end
function M.zeros(t) return t:fill(0) end
function M.ones(t) return t:fill(1) end
function M.constant(t, v) return t:fill(v) end

function M.xavier_uniform(t, gain)
  local fi, fo = fans(t)
  local a = (gain or 1) * math.sqrt(6 / (fi + fo))
  return t:uniform_(-a, a)
end

function M.xavier_normal(t, gain)
  local fi, fo = fans(t)
  return t:normal_(0, (gain or 1) * math.sqrt(2 / (fi + fo)))
end
M.glorot_uniform, M.glorot_normal = M.xavier_uniform, M.xavier_normal

-- opts: a (leaky slope, default 0), mode ("fan_in"|"fan_out"), nonlinearity ("leaky_relu")
local function kaiming_std(t, opts)
  opts = opts or {}
  local fi, fo = fans(t)
  local fan = (opts.mode == "fan_out") and fo or fi
  return M.gain(opts.nonlinearity or "leaky_relu", opts.a or 0) / math.sqrt(fan)
end

function M.kaiming_uniform(t, opts)
  local b = math.sqrt(3) * kaiming_std(t, opts)
  return t:uniform_(-b, b)
end

function M.kaiming_normal(t, opts) return t:normal_(0, kaiming_std(t, opts)) end
M.he_uniform, M.he_normal = M.kaiming_uniform, M.kaiming_normal

-- Normal(mean, std) truncated to [a, b] (defaults mean +- 2 std) by rejection: redraw the
-- out-of-range entries until none is left (each pass keeps ~95% at +-2 std).
function M.trunc_normal(t, mean, std, a, b)
  mean, std = mean or 0, std or 1
  a, b = a or (mean - 2 * std), b or (mean + 2 * std)
  if not (a < b) then error("trunc_normal: empty interval [" .. a .. ", " .. b .. "]", 2) end
  local shape = t:shape()
  local x = T.zeros(shape):normal_(mean, std)
  for _ = 1, 100 do
    local bad = x:lt(a) + x:gt(b)
    if bad:sum():item() == 0 then break end
    x = bad:where(T.zeros(shape):normal_(mean, std), x)
  end
  x = x:clamp(a, b) -- in the astronomically unlikely case 100 passes were not enough
  return t:copy(x)
end

return M
