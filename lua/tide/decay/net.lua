-- tide.decay.network — a network that predicts a user's decay parameters from features and is
-- trained end to end with autograd (seed article 003's model):
--     ŷ(z, t) = α(z) · e^(−β(z) · t),   (α, β) = softplus(MLP(z)) (+ a small floor)
-- Two training targets:
--   loss = "mse":      observed interest values y at elapsed times t (curve regression);
--   loss = "survival": return gaps t with event flags (1 returned, 0 censored), β(z) is the
--                      user's return rate and the loss is the censored exponential negative
--                      log-likelihood −Σ [δ log β − β t] (α is not identified and not used).
-- The survival form is the same estimand as tide.decay.fit(per = "user"), but the rate of a
-- sparse user is borrowed from users with similar features instead of a segment average.
--   local net = tide.decay.network{features = 8, hidden = {32}}
--   net:fit(z, t, y, {epochs = 200, lr = 1e-2}); local alpha, beta = net:predict(z)
local M = {}
M.__index = M

local function softplus(x) return x:relu() + (-(x:abs())):exp():log1p() end

function M.new(opts)
  local tide = require "tide"
  opts = opts or {}
  local d = opts.features or error("decay.network: opts.features (input size) is required", 2)
  local sizes = { d }
  for _, h in ipairs(opts.hidden or { 32 }) do sizes[#sizes + 1] = h end
  sizes[#sizes + 1] = 2
  if opts.seed then tide.tensor.manual_seed(opts.seed) end
  local self = setmetatable({ mlp = tide.nn.MLP{ sizes = sizes, activation = opts.activation or "tanh" },
                              floor = opts.floor or 1e-4 }, M)
  return self
end

-- α(z), β(z) as tensors [N] (with the autograd graph when training)
function M:params(z)
  local out = self.mlp(z)
  local n = out:shape()[1]
  local a = softplus(out:narrow(2, 1, 1)):reshape({ n }) + self.floor
  local b = softplus(out:narrow(2, 2, 1)):reshape({ n }) + self.floor
  return a, b
end

function M:predict(z)
  local ag = require("tide").autograd
  return ag.no_grad(function() return self:params(z) end)
end

-- ŷ(z, t) for aligned rows
function M:curve(z, t)
  local a, b = self:predict(z)
  return a * (-(b * t)):exp()
end

local function loss_of(self, z, t, y, kind)
  local a, b = self:params(z)
  if kind == "survival" then
    -- y = event flags; mean over rows of −(δ log β − β t)
    return ((b * t) - y * b:log()):mean()
  end
  local d = a * (-(b * t)):exp() - y
  return (d * d):mean()
end

-- z [N, d] f32, t [N], y [N] (values for "mse", 0/1 events for "survival").
-- opts: epochs (200), lr (1e-2), batch (full batch when nil), loss ("mse"), verbose.
-- Returns the per-epoch losses.
function M:fit(z, t, y, opts)
  local tide = require "tide"
  opts = opts or {}
  local kind = opts.loss or "mse"
  if kind ~= "mse" and kind ~= "survival" then error("decay.network: loss must be 'mse' or 'survival'", 2) end
  local n = z:shape()[1]
  if t:numel() ~= n or y:numel() ~= n then error("decay.network: z, t and y must have the same number of rows", 2) end
  local opt = tide.optim.Adam(self.mlp, { lr = opts.lr or 1e-2 })
  local B = opts.batch or n
  local hist = {}
  for ep = 1, opts.epochs or 200 do
    local total, nb = 0, 0
    for s = 1, n, B do
      local m = math.min(B, n - s + 1)
      local zb, tb, yb = z:narrow(1, s, m), t:narrow(1, s, m), y:narrow(1, s, m)
      opt:zero_grad()
      local loss = loss_of(self, zb, tb, yb, kind)
      loss:backward()
      opt:step()
      total, nb = total + loss:item(), nb + 1
    end
    hist[ep] = total / nb
    if opts.verbose and ep % opts.verbose == 0 then print(("decay.network epoch %d loss %.6f"):format(ep, hist[ep])) end
  end
  return hist
end

return M
