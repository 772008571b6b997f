-- tide.privacy.sgd — differentially private SGD for small models (Abadi et al., "Deep learning
-- with differential privacy", CCS 2016): each example's gradient is clipped to L2 norm
-- <= clip, the clipped gradients are summed, Gaussian noise N(0, (noise_multiplier * clip)^2)
-- is added to the sum, and the optimizer steps on sum / batch_size. Examples go through
-- autograd one at a time (exact per-example gradients for any model; cost = batch_size
-- backward passes, fine for the small models this is meant for).
--
-- Accounting: the Renyi DP of the sampled Gaussian mechanism at integer orders (Mironov,
-- Talwar & Zhang 2019; engine/dp_mech.c), composed over steps by adding RDP (Mironov 2017,
-- Prop. 1) and converted to (epsilon, delta) by Mironov 2017 Prop. 3. The guarantee assumes
-- each batch is a Poisson sample with rate sample_rate (or, as usual in practice, a shuffled
-- pass with batch_size / n); the noise scale assumes batch_size is the EXPECTED batch size.
--
--   local dp = tide.privacy.sgd.new(model, {optimizer = tide.optim.SGD(model, {lr = 0.1}),
--     clip = 1.0, noise_multiplier = 1.1, sample_rate = 64 / n, batch_size = 64, delta = 1e-5})
--   for step = 1, steps do dp:step(loss_fn, batch_examples) end   -- loss_fn(model, ex) -> loss
--   print(dp:epsilon())
local tide = require "tide"
local T = tide.tensor
local core = tide.core.privacy

local M = {}

-- orders 2..64, then a few large ones (small noise multipliers reach their minimum there)
M.ORDERS = {}
for a = 2, 64 do M.ORDERS[#M.ORDERS + 1] = a end
for _, a in ipairs({ 80, 96, 128, 192, 256, 512 }) do M.ORDERS[#M.ORDERS + 1] = a end

--- epsilon{q =, noise_multiplier =, steps =, delta = [, orders =]} -> epsilon, best order.
--- The (epsilon, delta) guarantee of `steps` steps of the sampled Gaussian mechanism.
function M.epsilon(o)
  local fn = "privacy.rdp_epsilon"
  if type(o) ~= "table" then error(fn .. ": expected {q =, noise_multiplier =, steps =, delta =}", 2) end
  local steps = o.steps
  if type(steps) ~= "number" or steps < 0 or steps ~= math.floor(steps) then
    error(fn .. ": steps must be an integer >= 0, got " .. tostring(steps), 2)
  end
  for _, k in ipairs({ "q", "noise_multiplier", "delta" }) do
    if type(o[k]) ~= "number" then error(("%s: %s must be a number, got %s"):format(fn, k, tostring(o[k])), 2) end
  end
  local orders = o.orders or M.ORDERS
  local rdp = core.rdp_sgm(o.q, o.noise_multiplier, orders)
  for i = 1, #rdp do rdp[i] = rdp[i] * steps end
  return core.rdp_to_eps(orders, rdp, o.delta)
end

local DP = {}
DP.__index = DP

local function need(opts, k, fn)
  local v = opts[k]
  if type(v) ~= "number" or not (v > 0) or v == math.huge then
    error(("%s: opts.%s must be a finite number > 0, got %s"):format(fn, k, tostring(v)), 3)
  end
  return v
end

--- new(model, opts) -> trainer. opts: optimizer (an optimizer over the model's parameters,
--- default tide.optim.SGD with opts.lr), clip, noise_multiplier, batch_size (expected batch
--- size), sample_rate (q = batch_size / n), delta; optional epsilon: a target that step()
--- refuses to exceed. trainer:step(loss_fn, examples) -> mean loss; trainer:epsilon() -> eps.
function M.new(model, opts)
  local fn = "privacy.sgd"
  if type(model) ~= "table" or not model.parameters then error(fn .. ": argument #1 must be a module", 2) end
  opts = opts or {}
  local known = { optimizer = 1, lr = 1, clip = 1, noise_multiplier = 1, batch_size = 1, sample_rate = 1,
                  delta = 1, epsilon = 1 }
  for k in pairs(opts) do
    if not known[k] then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 2) end
  end
  local self = setmetatable({ model = model, params = model:parameters(), steps = 0 }, DP)
  self.clip, self.sigma = need(opts, "clip", fn), need(opts, "noise_multiplier", fn)
  self.batch_size, self.q, self.delta = need(opts, "batch_size", fn), need(opts, "sample_rate", fn), need(opts, "delta", fn)
  if self.q > 1 then error(fn .. ": opts.sample_rate must be <= 1", 2) end
  if self.delta >= 1 then error(fn .. ": opts.delta must be < 1", 2) end
  self.target = opts.epsilon and need(opts, "epsilon", fn)
  self.opt = opts.optimizer or tide.optim.SGD(model, { lr = opts.lr })
  return self
end

function DP:epsilon(steps)
  return M.epsilon{ q = self.q, noise_multiplier = self.sigma, steps = steps or self.steps, delta = self.delta }
end

function DP:step(loss_fn, examples)
  local fn = "privacy.sgd:step"
  if type(loss_fn) ~= "function" then error(fn .. ": argument #1 must be a function(model, example) -> loss", 2) end
  if type(examples) ~= "table" then error(fn .. ": argument #2 must be an array of examples", 2) end
  if self.target and self:epsilon(self.steps + 1) > self.target then
    error(("%s: refused: step %d would spend epsilon %.4g > the target %.4g (delta %g)"):format(fn,
      self.steps + 1, self:epsilon(self.steps + 1), self.target, self.delta), 2)
  end
  local sums = {}
  for i, p in ipairs(self.params) do sums[i] = T.zeros(p:shape()) end
  local total = 0
  for _, ex in ipairs(examples) do
    for _, p in ipairs(self.params) do p:zero_grad() end
    local loss = loss_fn(self.model, ex)
    loss:backward()
    total = total + loss:item()
    local norm = tide.optim.grad_norm(self.params) -- over every parameter the noise covers
    if norm ~= norm then error(fn .. ": a per-example gradient is NaN", 2) end
    local scale = math.min(1, self.clip / math.max(norm, 1e-30))
    for i, p in ipairs(self.params) do
      local g = p:grad()
      if g then sums[i] = sums[i] + g * scale end
    end
  end
  -- noise on the sum, then the average over the expected batch size, installed as the grads
  local std = self.sigma * self.clip
  for i, p in ipairs(self.params) do
    local noisy = (sums[i] + T.randn(p:shape()) * std) / self.batch_size
    local g = p:grad()
    if not g then -- a parameter no example reached: give it a gradient to hold the noise
      local l = (p * 0):sum()
      l:backward()
      g = p:grad()
    end
    g:copy(noisy)
  end
  self.opt:step()
  self.steps = self.steps + 1
  return #examples > 0 and total / #examples or 0 / 0
end

M.DP = DP
return M
