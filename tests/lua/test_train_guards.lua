-- test_train_guards.lua — tide.train stops on a NaN/Inf loss or gradient with the epoch, the
-- step and the op that produced it (before the optimizer step runs); check_finite = false
-- turns the check off; autograd.detect_anomaly names forward and backward culprits; resume
-- continues from a checkpoint and ends exactly where an uninterrupted run ends.
local tide = require "tide"
local check = require "check"
local T, nn = tide.tensor, tide.nn

local tests = {}

-- a one-parameter model: loss = sum(f(w * x)) over a batch x
local function scalar_model()
  local w = T.fromtable({ 1.0 }):requires_grad()
  return { w = w, parameters = function() return { w } end, zero_grad = function() w:zero_grad() end,
           train = function() end, eval = function() end }, w
end

-- blas_threads holds OpenBLAS's thread count for the run and gives the caller's back, also
-- when the run fails; a bad value is an error naming the option
function tests.blas_threads_held_and_restored()
  local sr = tide.core.seqrec
  local prev = sr.blas_threads(0)
  if prev < 1 then return end -- not linked against OpenBLAS: nothing to hold
  sr.blas_threads(2)
  local m = scalar_model()
  local seen
  tide.train(m, { T.fromtable({ 1 }) }, { optimizer = "sgd", lr = 0.1, blas_threads = 1,
    loss = function(mm, x) seen = sr.blas_threads(0); return (mm.w * x):sum() end })
  check.eq(seen, 1, "one OpenBLAS thread during the run")
  check.eq(sr.blas_threads(0), 2, "the caller's count after it")
  check.errors(function()
    tide.train(m, { T.fromtable({ 1 }) }, { blas_threads = 1, loss = function() error("boom") end })
  end, "boom")
  check.eq(sr.blas_threads(0), 2, "restored after an error")
  check.errors(function() tide.train(m, {}, { blas_threads = 0.5 }) end, "opts.blas_threads must be an integer >= 1")
  -- the helper behind it passes every result through, nils included
  local a, b, c, d = tide.blas.with_threads(1, function(x, y) return x, nil, y, sr.blas_threads(0) end, 7, 8)
  check.truthy(a == 7 and b == nil and c == 8 and d == 1, "results and the held count")
  check.eq(sr.blas_threads(0), 2, "restored")
  sr.blas_threads(prev)
end

function tests.nan_loss_names_epoch_step_and_forward_op()
  local m, w = scalar_model()
  local batches = { T.fromtable({ 1 }), T.fromtable({ 2 }), T.fromtable({ -1 }) } -- log(-w) is NaN
  local err = check.errors(function()
    tide.train(m, batches, { loss = function(mm, x) return (mm.w * x):log():sum() end, epochs = 2,
                             optimizer = "sgd", lr = 0 })
  end, "train: the loss is nan at epoch 1, step 3 (batch 3 of the epoch)")
  check.truthy(err:find("forward pass: log", 1, true), err)
  check.eq(w:get(1), 1, "no optimizer step with a NaN")
end

function tests.infinite_gradient_names_backward_op()
  local m, w = scalar_model()
  -- sqrt(w * 0) = 0 is finite, its gradient 0.5 / sqrt(0) * 0 ... is Inf * 0 = NaN
  local batches = { T.fromtable({ 1 }), T.fromtable({ 0 }) }
  local err = check.errors(function()
    tide.train(m, batches, { loss = function(mm, x) return (mm.w * x):sqrt():sum() end, optimizer = "sgd", lr = 0.1 })
  end, "train: the gradient norm is")
  check.truthy(err:find("epoch 1, step 2", 1, true), err)
  check.truthy(err:find("op 'sqrt' produced a non-finite gradient", 1, true), err)
  check.near(w:get(1), 1 - 0.1 * 0.5, 1e-6, "the first step ran, the second did not")
end

function tests.check_finite_false_lets_nan_through()
  local m, w = scalar_model()
  tide.train(m, { T.fromtable({ 0 }) }, { loss = function(mm, x) return (mm.w * x):sqrt():sum() end,
                                          optimizer = "sgd", lr = 0.1, check_finite = false })
  check.truthy(w:get(1) ~= w:get(1), "the parameter became NaN, as asked")
end

function tests.detect_anomaly_directly()
  local x = T.fromtable({ 4, 0 }):requires_grad()
  local first = tide.autograd.detect_anomaly(function() local y = x:sqrt():sum(); return y end)
  check.eq(first, nil, "sqrt(0) = 0 is finite")
  local err = check.errors(function()
    tide.autograd.detect_anomaly(function() local y = x:sqrt():sum(); y:backward() end)
  end, "op 'sqrt' produced a non-finite gradient for its input 1")
  local y = T.fromtable({ -1, 2 }):requires_grad()
  first = tide.autograd.detect_anomaly(function() return y:log():sum() end)
  check.truthy(first and first:find("^log"), "first forward culprit " .. tostring(first))
  -- off again afterwards: the same backward runs (and yields Inf) without error
  local z = x:sqrt():sum()
  z:backward()
  check.truthy(x:grad():get(2) == math.huge, "anomaly mode restored to off")
  check.truthy(err ~= nil, "")
end

local function data(n, seed)
  T.manual_seed(seed)
  local X = T.randn(n, 3)
  local Y = X:matmul(T.fromtable({ { 1.0 }, { -2.0 }, { 0.5 } })) + 0.25
  local batches = {}
  for i = 1, n, 16 do batches[#batches + 1] = { X:narrow(1, i, 16), Y:narrow(1, i, 16) } end
  return batches
end
local function mse(m, b) return (m(b[1]) - b[2]):square():mean() end

-- 6 epochs straight vs 3 epochs, a crash, and a fresh process (new model, other init) resuming
-- from the checkpoint: the same parameters and Adam state, so the same final weights.
function tests.resume_matches_an_uninterrupted_run()
  local batches = data(64, 21)
  local sched = function() return tide.optim.schedule.cosine(24) end
  T.manual_seed(5)
  local a = nn.Linear(3, 1)
  tide.train(a, batches, { loss = mse, epochs = 6, lr = 0.05, schedule = sched() })
  local path = os.tmpname()
  T.manual_seed(5)
  local b = nn.Linear(3, 1)
  tide.train(b, batches, { loss = mse, epochs = 3, lr = 0.05, schedule = sched(), checkpoint = path })
  T.manual_seed(99)
  local c = nn.Linear(3, 1)
  local epochs = {}
  local hist = tide.train(c, batches, { loss = mse, epochs = 6, lr = 0.05, schedule = sched(), checkpoint = path,
                                        resume = path, on_epoch = function(e) epochs[#epochs + 1] = e end })
  check.eq(hist.resumed_from, 3, "resumed after epoch 3")
  check.eq(#epochs, 3, "ran epochs 4..6 only")
  check.eq(epochs[1], 4, "first epoch after resume")
  check.all_near(c.weight, a.weight:totable(), 1e-6, "weights equal the uninterrupted run")
  check.near(c.bias:get(1), a.bias:get(1), 1e-6, "bias")
  -- a missing file starts from scratch; a mismatched model is refused
  os.remove(path)
  T.manual_seed(5)
  local d = nn.Linear(3, 1)
  hist = tide.train(d, batches, { loss = mse, epochs = 1, lr = 0.05, checkpoint = path, resume = path })
  check.eq(hist.resumed_from, nil, "fresh start")
  check.errors(function() tide.train(nn.Linear(2, 1), batches, { loss = mse, epochs = 2, resume = path }) end,
    "cannot load into the model")
  check.errors(function() tide.train(d, batches, { loss = mse, resume = 5 }) end, "opts.resume must be a checkpoint path")
  os.remove(path)
end

return tests
