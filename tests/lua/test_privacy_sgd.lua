-- test_privacy_sgd.lua — DP-SGD: per-example clipping worked by hand, the noise scale of an
-- update, a private logistic regression that still learns, the RDP accountant against values
-- computed with mpmath (50-digit sums of the sampled-Gaussian series), target refusal.
local tide = require "tide"
local check = require "check"
local T = tide.tensor
local P = tide.privacy
local DP = require "tide.privacy.sgd"

local tests = {}

-- python (mpmath, dps 50): eps = min over orders 2..64,128,256 of
-- T * rdp(q, sigma, a) + ln(1/delta)/(a-1), q = 256/60000, sigma = 1.1, T = 14062 (60 epochs of
-- MNIST at lot 256, the setting of Abadi et al. 2016) -> 3.0090995257324171 at order 9.
function tests.accountant_matches_mpmath()
  local e, order = P.rdp_epsilon{ q = 256 / 60000, noise_multiplier = 1.1, steps = 14062, delta = 1e-5 }
  check.near(e, 3.0090995257324171, 1e-9, "epsilon")
  check.eq(order, 9, "best order")
  -- one step, one order: rdp(0.01, 1.1, 8) = 0.00058407033552025108 (mpmath)
  e = P.rdp_epsilon{ q = 0.01, noise_multiplier = 1.1, steps = 1, delta = 1e-5, orders = { 8 } }
  check.near(e, 0.00058407033552025108 + math.log(1e5) / 7, 1e-12, "single order")
  -- no subsampling: rdp = a / (2 sigma^2) per step, closed form
  e = P.rdp_epsilon{ q = 1, noise_multiplier = 2, steps = 3, delta = 1e-5, orders = { 5 } }
  check.near(e, 3 * 5 / 8 + math.log(1e5) / 4, 1e-12, "q = 1")
  check.eq(P.rdp_epsilon{ q = 0.1, noise_multiplier = 1, steps = 0, delta = 1e-5, orders = { 2 } }, math.log(1e5), "0 steps")
  check.errors(function() P.rdp_epsilon{ q = 1.5, noise_multiplier = 1, steps = 1, delta = 1e-5 } end, "q must be in [0, 1]")
  check.errors(function() P.rdp_epsilon{ q = 0.1, noise_multiplier = 1, steps = 1, delta = 1e-5, orders = { 1.5 } } end,
    "must be an integer in 2..4096")
  check.errors(function() P.rdp_epsilon{ q = 0.1, noise_multiplier = 1, steps = -1, delta = 1e-5 } end, "steps")
end

local function vector_model(n)
  local w = T.zeros({ n }):requires_grad()
  return { w = w, parameters = function() return { w } end }, w
end

-- loss = <w, x> has per-example gradient x. x1 = (3,4,0) has norm 5 and is clipped to (0.6,0.8,0);
-- x2 = (0.3,0.4,0) has norm 0.5 and is kept. lr 1, batch 2: w = -(0.9, 1.2, 0) / 2.
function tests.per_example_clipping_by_hand()
  local m, w = vector_model(3)
  local dp = DP.new(m, { lr = 1, clip = 1, noise_multiplier = 1e-12, batch_size = 2, sample_rate = 0.01, delta = 1e-5 })
  local loss = dp:step(function(_, x) return (m.w * T.fromtable(x)):sum() end, { { 3, 4, 0 }, { 0.3, 0.4, 0 } })
  check.all_near(w, { -0.45, -0.6, 0 }, 1e-6, "clipped mean gradient step")
  check.near(loss, 0, 1e-12, "mean loss at w = 0")
  check.eq(dp.steps, 1, "steps")
end

-- zero gradients: the update is -lr * N(0, (z C)^2) / B per coordinate, std 1 * 2 * 0.5 / 4 = 0.25;
-- over 20000 coordinates the sample std has standard error 0.25/sqrt(40000) = 0.00125.
function tests.noise_has_the_calibrated_scale()
  T.manual_seed(7)
  local m, w = vector_model(20000)
  local dp = DP.new(m, { lr = 1, clip = 0.5, noise_multiplier = 2, batch_size = 4, sample_rate = 0.01, delta = 1e-5 })
  dp:step(function(mm) return (mm.w * 0):sum() end, { 1, 2, 3, 4 })
  local v = w:totable()
  local s, s2 = 0, 0
  for i = 1, #v do s = s + v[i]; s2 = s2 + v[i] * v[i] end
  local mean, sd = s / #v, math.sqrt(s2 / #v - (s / #v) ^ 2)
  check.truthy(math.abs(mean) < 0.01, "noise mean " .. mean)
  check.truthy(math.abs(sd - 0.25) < 0.007, "noise std " .. sd)
end

function tests.private_logistic_regression_learns()
  T.manual_seed(3)
  local nn = tide.nn
  local model = nn.Linear(2, 1)
  local data = {}
  for i = 1, 200 do
    local x1, x2 = (i % 20) / 10 - 1, math.floor(i / 20) / 5 - 1
    data[i] = { x = T.fromtable({ { x1, x2 } }), y = T.fromtable({ { (x1 + x2 > 0) and 1 or 0 } }) }
  end
  local function loss(mdl, ex) return tide.core.nn.bce_with_logits(mdl(ex.x), ex.y) end
  local dp = DP.new(model, { optimizer = tide.optim.SGD(model, { lr = 1 }), clip = 1, noise_multiplier = 0.8,
                             batch_size = 20, sample_rate = 0.1, delta = 1e-5 })
  for step = 1, 40 do
    local batch = {}
    for j = 1, 20 do batch[j] = data[((step * 37 + j * 13) % 200) + 1] end
    dp:step(loss, batch)
  end
  local right = 0
  tide.no_grad(function()
    for _, ex in ipairs(data) do
      if ((model(ex.x):item() > 0) and 1 or 0) == ex.y:item() then right = right + 1 end
    end
  end)
  check.truthy(right >= 180, "accuracy " .. right .. "/200")
  local e = dp:epsilon()
  check.near(e, P.rdp_epsilon{ q = 0.1, noise_multiplier = 0.8, steps = 40, delta = 1e-5 }, 1e-12, "trainer epsilon")
end

function tests.target_epsilon_refuses_the_step_that_overspends()
  local m = vector_model(2)
  local e3 = P.rdp_epsilon{ q = 0.1, noise_multiplier = 1, steps = 3, delta = 1e-5 }
  local dp = DP.new(m, { lr = 0.1, clip = 1, noise_multiplier = 1, batch_size = 1, sample_rate = 0.1, delta = 1e-5,
                         epsilon = e3 * 1.0000001 })
  local f = function(mm) return mm.w:sum() end
  for _ = 1, 3 do dp:step(f, { 1 }) end
  check.errors(function() dp:step(f, { 1 }) end, "refused: step 4 would spend epsilon")
  check.eq(dp.steps, 3, "the refused step did not run")
end

function tests.bad_options()
  local m = vector_model(2)
  local ok = { lr = 0.1, clip = 1, noise_multiplier = 1, batch_size = 1, sample_rate = 0.1, delta = 1e-5 }
  local function with(k, v)
    local o = {}
    for kk, vv in pairs(ok) do o[kk] = vv end
    o[k] = v
    return o
  end
  check.errors(function() DP.new(m, with("clip", 0)) end, "opts.clip must be a finite number > 0")
  check.errors(function() DP.new(m, with("noise_multiplier", 0 / 0)) end, "opts.noise_multiplier")
  check.errors(function() DP.new(m, with("sample_rate", 2)) end, "sample_rate must be <= 1")
  check.errors(function() DP.new(m, with("delta", 1)) end, "delta must be < 1")
  check.errors(function() DP.new(m, with("clipping", 1)) end, "unknown option 'clipping'")
  check.errors(function() DP.new({}, ok) end, "must be a module")
  check.errors(function() DP.new(m, ok):step(nil, {}) end, "argument #1 must be a function")
end

return tests
