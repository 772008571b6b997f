-- test_optim.lua — optimizers: first steps against the published update rules computed by
-- hand here, convergence on a quadratic and on Rosenbrock, an MLP learning XOR, logistic
-- regression recovering known coefficients, clipping, schedules, state round trips.
local tide = require "tide"
local check = require "check"
local T = tide.tensor
local optim = tide.optim
local nn = tide.nn

local tests = {}

-- loss = sum(c * p) has the constant gradient c
local function linear_loss(p, c) return (p * c):sum() end

function tests.adam_first_two_steps_match_formula()
  local p0, g = { 0.5, -1.0, 2.0 }, { 0.1, -0.3, 2.0 }
  local p = T.fromtable(p0):requires_grad()
  local c = T.fromtable(g)
  local lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
  local opt = optim.Adam({ p }, { lr = lr, betas = { b1, b2 }, eps = eps })
  local want, m, v = { p0[1], p0[2], p0[3] }, { 0, 0, 0 }, { 0, 0, 0 }
  for t = 1, 2 do
    opt:zero_grad()
    linear_loss(p, c):backward()
    opt:step()
    for i = 1, 3 do
      m[i] = b1 * m[i] + (1 - b1) * g[i]
      v[i] = b2 * v[i] + (1 - b2) * g[i] ^ 2
      local mh, vh = m[i] / (1 - b1 ^ t), v[i] / (1 - b2 ^ t)
      want[i] = want[i] - lr * mh / (math.sqrt(vh) + eps)
    end
    check.all_near(p, want, 1e-6, "adam step " .. t)
  end
end

function tests.adamw_decouples_weight_decay()
  local p = T.fromtable({ 1.0, -2.0 }):requires_grad()
  local c = T.fromtable({ 0.5, 0.5 })
  local lr, wd = 0.1, 0.5
  local opt = optim.AdamW({ p }, { lr = lr, weight_decay = wd })
  linear_loss(p, c):backward()
  opt:step()
  -- p <- p (1 - lr wd) - lr * mhat / (sqrt(vhat) + eps), mhat / sqrt(vhat) = sign(g) at t=1
  check.all_near(p, { 1.0 * (1 - lr * wd) - lr, -2.0 * (1 - lr * wd) - lr }, 1e-6, "adamw")
end

function tests.sgd_momentum_nesterov_weight_decay()
  local function run(opts, steps)
    local p = T.fromtable({ 1.0 }):requires_grad()
    local opt = optim.SGD({ p }, opts)
    for _ = 1, steps do
      opt:zero_grad(); (p * p):sum():backward(); opt:step() -- grad 2p
    end
    return p:get(1)
  end
  -- plain: p <- p - lr (2p + wd p)
  check.near(run({ lr = 0.1, weight_decay = 0.5 }, 1), 1 - 0.1 * 2.5, 1e-6, "sgd wd")
  -- momentum 0.9: b1 = g1 = 2; p1 = 0.8; b2 = 0.9*2 + 1.6 = 3.4; p2 = 0.8 - 0.34
  check.near(run({ lr = 0.1, momentum = 0.9 }, 2), 0.46, 1e-6, "momentum")
  -- nesterov: d1 = g1 + 0.9 b1 = 3.8 -> p1 = 0.62; g2 = 1.24, b2 = 1.8 + 1.24 = 3.04,
  -- d2 = 1.24 + 2.736 = 3.976 -> p2 = 0.62 - 0.3976
  check.near(run({ lr = 0.1, momentum = 0.9, nesterov = true }, 2), 0.2224, 1e-6, "nesterov")
  -- dampening 0.5: b2 = 0.9*2 + 0.5*1.6 = 2.6 -> p2 = 0.8 - 0.26
  check.near(run({ lr = 0.1, momentum = 0.9, dampening = 0.5 }, 2), 0.54, 1e-6, "dampening")
end

function tests.adagrad_and_rmsprop_first_steps()
  local p = T.fromtable({ 2.0 }):requires_grad()
  local opt = optim.Adagrad({ p }, { lr = 0.5, lr_decay = 0.1 })
  for _ = 1, 2 do opt:zero_grad(); (p * 3):sum():backward(); opt:step() end
  -- s1 = 9: p1 = 2 - 0.5 * 3/3 = 1.5; s2 = 18, lr2 = 0.5/1.1: p2 = 1.5 - lr2 * 3/sqrt(18)
  check.near(p:get(1), 1.5 - 0.5 / 1.1 * 3 / math.sqrt(18), 1e-6, "adagrad")
  local q = T.fromtable({ 1.0 }):requires_grad()
  local r = optim.RMSprop({ q }, { lr = 0.01, alpha = 0.9 })
  ;(q * 2):sum():backward()
  r:step()
  -- v = 0.1 * 4 = 0.4; q = 1 - 0.01 * 2 / sqrt(0.4)
  check.near(q:get(1), 1 - 0.01 * 2 / math.sqrt(0.4), 1e-6, "rmsprop")
  local q2 = T.fromtable({ 1.0 }):requires_grad()
  local r2 = optim.RMSprop({ q2 }, { lr = 0.01, alpha = 0.9, centered = true, momentum = 0.5 })
  ;(q2 * 2):sum():backward()
  r2:step()
  -- v = 0.4, c = 0.2, den = sqrt(0.4 - 0.04); b = 2/den; q = 1 - 0.01 b
  check.near(q2:get(1), 1 - 0.01 * 2 / math.sqrt(0.36), 1e-5, "rmsprop centered")
end

-- f(x) = sum a_i (x_i - c_i)^2, minimum at c
local function quadratic(opt_fn, steps)
  local a, c = T.fromtable({ 1, 5, 0.5 }), T.fromtable({ 1, -2, 3 })
  local x = T.zeros(3):requires_grad()
  local opt = opt_fn({ x })
  for _ = 1, steps do
    opt:zero_grad()
    ;(((x - c):square()) * a):sum():backward()
    opt:step()
  end
  return x
end

function tests.quadratic_convergence_all_kinds()
  local want = { 1, -2, 3 }
  check.all_near(quadratic(function(p) return optim.SGD(p, { lr = 0.05 }) end, 500), want, 1e-4, "sgd")
  check.all_near(quadratic(function(p) return optim.SGD(p, { lr = 0.02, momentum = 0.9, nesterov = true }) end, 500), want, 1e-4, "nesterov")
  check.all_near(quadratic(function(p) return optim.Adam(p, { lr = 0.05 }) end, 2000), want, 1e-3, "adam")
  check.all_near(quadratic(function(p) return optim.AdamW(p, { lr = 0.05, weight_decay = 0 }) end, 2000), want, 1e-3, "adamw")
  check.all_near(quadratic(function(p) return optim.Adagrad(p, { lr = 0.5 }) end, 2000), want, 1e-3, "adagrad")
  check.all_near(quadratic(function(p) return optim.RMSprop(p, { lr = 0.01 }) end, 2000), want, 2e-2, "rmsprop")
end

local function rosenbrock(xy)
  local x, y = xy:select(1, 1), xy:select(1, 2)
  return (1 - x):square() + (y - x:square()):square() * 100
end

function tests.rosenbrock_adam_and_lbfgs()
  local xy = T.fromtable({ -1.5, 2.0 }):requires_grad()
  local opt = optim.Adam({ xy }, { lr = 0.02 })
  for _ = 1, 6000 do
    opt:zero_grad(); rosenbrock(xy):backward(); opt:step()
  end
  check.all_near(xy, { 1, 1 }, 2e-2, "adam rosenbrock")
  -- L-BFGS through tide.optim.lbfgs, gradient from autograd
  local x, info = optim.lbfgs.minimize(function(v)
    local p = v:detach():requires_grad()
    local f = rosenbrock(p)
    f:backward()
    return f:item(), p:grad()
  end, T.fromtable({ -1.5, 2.0 }), { max_iter = 500 })
  check.all_near(x, { 1, 1 }, 1e-3, "lbfgs rosenbrock (" .. tostring(info.status) .. ")")
end

local function bce(p, y) -- mean binary cross-entropy of probabilities p
  local pc = p:clamp(1e-7, 1 - 1e-7)
  return -((y * pc:log()) + ((1 - y) * (1 - pc):log())):mean()
end

function tests.mlp_learns_xor()
  T.manual_seed(42)
  local X = T.fromtable({ { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } })
  local Y = T.fromtable({ { 0 }, { 1 }, { 1 }, { 0 } })
  local model = nn.MLP{ sizes = { 2, 8, 1 }, activation = "tanh", out_activation = "sigmoid" }
  local opt = optim.Adam(model, { lr = 0.05 })
  local loss
  for _ = 1, 1000 do
    opt:zero_grad()
    loss = bce(model(X), Y)
    loss:backward()
    opt:step()
  end
  local p = model(X):totable()
  check.truthy(p[1][1] < 0.1 and p[4][1] < 0.1 and p[2][1] > 0.9 and p[3][1] > 0.9,
    ("xor predictions %.3f %.3f %.3f %.3f"):format(p[1][1], p[2][1], p[3][1], p[4][1]))
  check.truthy(loss:item() < 0.05, "xor loss " .. loss:item())
end

function tests.logistic_regression_recovers_coefficients()
  T.manual_seed(123)
  local n, beta, b0 = 4000, { 1.5, -2.0, 0.5 }, -0.3
  local X = T.randn(n, 3)
  local z = X:matmul(T.fromtable(beta)) + b0
  local Y = T.rand(n):lt(z:sigmoid()):float()
  local w = T.zeros(3):requires_grad()
  local b = T.zeros(1):requires_grad()
  local opt = optim.Adam({ w, b }, { lr = 0.05 })
  for _ = 1, 600 do
    opt:zero_grad()
    bce((X:matmul(w) + b):sigmoid(), Y):backward()
    opt:step()
  end
  -- standard errors at n = 4000 are ~0.05; allow 4 SE
  check.all_near(w, beta, 0.2, "beta")
  check.near(b:get(1), b0, 0.2, "intercept")
end

function tests.clip_grad_norm()
  local a = T.fromtable({ 3.0, 0.0 }):requires_grad()
  local b = T.fromtable({ 4.0 }):requires_grad()
  ;((a * a):sum() * 0.5 + (b * b):sum() * 0.5):backward() -- grads = values: norm 5
  check.near(optim.grad_norm({ a, b }), 5, 1e-6, "norm")
  local norm = optim.clip_grad_norm({ a, b }, 1.0)
  check.near(norm, 5, 1e-6, "returned norm")
  check.all_near(a:grad(), { 0.6, 0 }, 1e-5, "a scaled")
  check.all_near(b:grad(), { 0.8 }, 1e-5, "b scaled")
  check.near(optim.clip_grad_norm({ a, b }, 10), 1, 1e-5, "no clip below max")
  check.all_near(b:grad(), { 0.8 }, 1e-5, "unchanged")
  check.errors(function() optim.clip_grad_norm({ a }, 0) end, "max_norm")
end

function tests.params_without_grad_are_skipped()
  local a = T.fromtable({ 1.0 }):requires_grad()
  local b = T.fromtable({ 1.0 }):requires_grad()
  local opt = optim.Adam({ a, b }, { lr = 0.1 })
  ;(a * 2):sum():backward()
  opt:step()
  check.eq(b:get(1), 1, "b untouched")
  check.near(a:get(1), 0.9, 1e-6, "a moved")
end

function tests.schedules()
  local S = optim.schedule
  check.near(S.step(10, 0.5)(25, 1.0), 0.25, 1e-12, "step")
  check.near(S.cosine(100, 0.1)(0, 1.0), 1.0, 1e-12, "cosine start")
  check.near(S.cosine(100, 0.1)(50, 1.0), 0.55, 1e-12, "cosine middle")
  check.near(S.cosine(100, 0.1)(500, 1.0), 0.1, 1e-12, "cosine end")
  check.near(S.linear(10, 0)(5, 2.0), 1.0, 1e-12, "linear")
  local w = S.warmup(4, S.cosine(10))
  check.near(w(0, 1), 0.25, 1e-12, "warmup first")
  check.near(w(3, 1), 1.0, 1e-12, "warmup last")
  check.near(w(9, 1), 0.5, 1e-12, "after warmup")
  local p = T.zeros(1):requires_grad()
  local opt = optim.SGD({ p }, { lr = 1.0 })
  local sched = S.Scheduler(opt, S.warmup(2))
  check.near(opt.lr, 0.5, 1e-12, "scheduler sets lr")
  sched:step()
  check.near(opt.lr, 1.0, 1e-12, "scheduler steps")
end

function tests.state_dict_resume_matches_uninterrupted()
  local function make()
    local p = T.fromtable({ 0.5, -0.5, 1.0 }):requires_grad()
    return p, optim.Adam({ p }, { lr = 0.05 })
  end
  local function step(p, opt)
    opt:zero_grad(); ((p - 2):square():sum()):backward(); opt:step()
  end
  local p1, o1 = make()
  for _ = 1, 10 do step(p1, o1) end
  local p2, o2 = make()
  for _ = 1, 5 do step(p2, o2) end
  local tensors, meta = o2:state_dict()
  local saved = {}
  for k, t in pairs(tensors) do saved[k] = t:clone() end
  local p3 = p2:detach():clone():requires_grad()
  local o3 = optim.Adam({ p3 }, { lr = 0.05 })
  o3:load_state_dict(saved, meta)
  check.eq(o3.t, 5, "step restored")
  for _ = 1, 5 do step(p3, o3) end
  check.all_near(p3, p1:totable(), 1e-7, "resumed == uninterrupted")
  check.errors(function() o3:load_state_dict({}, meta) end, "missing")
  check.errors(function() o3:load_state_dict(saved, { kind = "sgd" }) end, "is for sgd")
end

function tests.ten_thousand_steps_do_not_leak()
  -- tiny model, 10k full steps (forward, backward, clip, Adam); the sanitizer run checks
  -- that nothing leaks, and the Lua heap must stay flat (graphs are freed by backward)
  T.manual_seed(5)
  local model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
  local opt = optim.Adam(model, { lr = 1e-2 })
  local sched = optim.schedule.Scheduler(opt, optim.schedule.cosine(10000, 1e-4))
  local X, Y = T.uniform({ 8, 3 }, -1, 1), T.uniform({ 8, 1 }, -1, 1)
  local heap
  for step = 1, 10000 do
    opt:zero_grad()
    local loss = (model(X) - Y):square():mean()
    loss:backward()
    opt:clip_grad_norm(1.0)
    opt:step()
    sched:step()
    -- two cycles each time: finalised tensors are released one cycle after their __gc runs
    if step == 500 then collectgarbage(); collectgarbage(); heap = collectgarbage("count") end
  end
  collectgarbage(); collectgarbage()
  check.truthy(collectgarbage("count") < heap + 256, "Lua heap flat")
  check.eq(opt.t, 10000, "steps")
end

function tests.param_groups_weight_decay_and_lr_scale()
  local lin = nn.Linear(2, 2)
  lin.weight:fill(1); lin.bias:fill(1)
  local groups = optim.param_groups(lin)
  check.eq(#groups, 2, "decay and no-decay groups")
  local opt = optim.AdamW(groups, { lr = 0.1, weight_decay = 0.5 })
  -- zero gradients: AdamW's update is the decoupled decay alone (m = v = 0)
  lin.weight:sum():mul(0):backward(); lin.bias:sum():mul(0):backward()
  opt:step()
  check.all_near(lin.weight, { { 0.95, 0.95 }, { 0.95, 0.95 } }, 1e-6, "weight decayed")
  check.all_near(lin.bias, { 1, 1 }, 1e-7, "bias not decayed")
  -- lr_scale: the second group moves at half the rate
  local a, b = T.fromtable({ 1.0 }):requires_grad(), T.fromtable({ 1.0 }):requires_grad()
  local sgd = optim.SGD({ { params = { a } }, { params = { b }, lr_scale = 0.5 } }, { lr = 0.1 })
  ;(a + b):sum():backward()
  sgd:step()
  check.near(a:get(1), 0.9, 1e-6, "group 1")
  check.near(b:get(1), 0.95, 1e-6, "group 2 at half lr")
  local tensors = sgd:state_dict()
  check.truthy(tensors ~= nil, "state dict over groups")
  check.errors(function() optim.SGD({ { params = { a }, momentum = 0.9 } }) end, "unknown option 'momentum'")
  check.errors(function() optim.SGD({ { a } }) end, "params list")
end

function tests.errors()
  check.errors(function() optim.Adam({}, {}) end, "non-empty")
  check.errors(function() optim.Adam({ 1 }) end, "not a tensor")
  local p = T.zeros(2):requires_grad()
  check.errors(function() optim.Adam({ p }, { lrr = 1 }) end, "unknown option 'lrr'")
  check.errors(function() optim.Adam({ p }, { lr = -1 }) end, "lr must be >= 0")
  check.errors(function() optim.SGD({ p }, { lr = 0 / 0 }) end, "lr must be >= 0")
  check.errors(function() optim.AdamW({ p }, { weight_decay = math.huge }) end, "weight_decay must be finite")
  local o = optim.Adam({ p }, { lr = 0.1 })
  o.lr = 0 / 0 -- a schedule gone wrong: refused at the step, parameters untouched
  ;(p * 1):sum():backward()
  check.errors(function() o:step() end, "lr must be >= 0")
  check.eq(o.t, 0, "failed step does not count")
  check.all_near(p, { 0, 0 }, 0, "parameters untouched")
  check.errors(function() optim.SGD({ p }, { nesterov = true }):step() end, "nesterov")
  check.errors(function() optim.Adam({ p }, { betas = { 1.0, 0.9 } }):step() end, "beta1")
  local f = T.zeros(2):requires_grad()
  local of = optim.Adam({ f })
  f:free()
  check.errors(function() of:step() end, "parameter 1 is a freed tensor")
  check.errors(function() tide.core.optim.step("adam", {}, { p }, { { 5 } }, 1) end, "state 1.1 is not a tensor")
  check.errors(function() tide.core.optim.step("lamb", {}, {}, {}, 1) end, "invalid option 'lamb'")
end

return tests
