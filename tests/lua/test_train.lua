-- test_train.lua — tide.train: a regression learns its known coefficients, early stopping
-- triggers on a flat validation loss, checkpoints hold the best epoch, bad arguments fail.
local tide = require "tide"
local check = require "check"
local T, nn = tide.tensor, tide.nn

local tests = {}

local function data(n, seed)
  T.manual_seed(seed)
  local X = T.randn(n, 2)
  local Y = X:matmul(T.fromtable({ { 2.0 }, { -1.0 } })) + 0.5
  local batches = {}
  for i = 1, n, 32 do
    local len = math.min(32, n - i + 1)
    batches[#batches + 1] = { X:narrow(1, i, len), Y:narrow(1, i, len) }
  end
  return batches
end

local function mse(m, b) return (m(b[1]) - b[2]):square():mean() end

function tests.linear_regression_converges()
  T.manual_seed(1)
  local model = nn.Linear(2, 1)
  local hist = tide.train(model, data(256, 2), { loss = mse, epochs = 60, lr = 0.05 })
  check.truthy(hist.train[60] < 1e-4, "final loss " .. hist.train[60])
  check.all_near(model.weight, { { 2.0, -1.0 } }, 1e-2, "weights")
  check.near(model.bias:get(1), 0.5, 1e-2, "bias")
end

function tests.early_stopping_and_checkpoint()
  local path = os.tmpname()
  T.manual_seed(3)
  local model = nn.Linear(2, 1)
  local seen = 0
  local hist = tide.train(model, data(64, 4), {
    loss = mse, epochs = 50, optimizer = "sgd", lr = 0.0, -- nothing moves: valid is flat
    valid = data(64, 5), patience = 2, checkpoint = path,
    on_epoch = function() seen = seen + 1 end,
  })
  check.truthy(hist.stopped, "stopped early")
  check.eq(seen, 3, "epochs run (best at 1, then 2 without improvement)")
  check.eq(hist.best_epoch, 1, "best epoch")
  local other = nn.Linear(2, 1)
  local meta = tide.checkpoint.load_training(path, { model = other })
  check.eq(meta.epoch, 1, "checkpoint of the best epoch")
  check.all_near(other.weight, model.weight:totable(), 0, "weights saved")
  os.remove(path)
end

function tests.argument_errors()
  local m = nn.Linear(2, 1)
  check.errors(function() tide.train({}, {}) end, "must be a module")
  check.errors(function() tide.train(m, {}) end, "opts.loss")
  check.errors(function() tide.train(m, {}, { loss = mse, optimizer = "lamb" }) end, "unknown optimizer")
end

return tests
