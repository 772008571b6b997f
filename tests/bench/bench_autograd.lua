-- bench_autograd.lua — the generic tape (no fused kernels): an MLP training step built from
-- matmul/add/relu/tanh with an Adam update, an elementwise-heavy graph, a chain of tiny ops
-- (per-op overhead), and one Adam step over 1M parameters. Shapes match
-- bench_autograd_torch.py. Prints "RESULT <name> <best ms>" per workload.
-- Usage: luajit tests/bench/bench_autograd.lua [reps]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local T, optim = tide.tensor, tide.optim

local reps = tonumber(arg[1]) or 3

local now = require("tide").core.io.wall

-- best over reps of (time of `inner` calls of step) / inner, in ms
local function best_of(step, inner)
  step()
  local best = math.huge
  for _ = 1, reps do
    local t0 = now()
    for _ = 1, inner do step() end
    best = math.min(best, (now() - t0) / inner)
    collectgarbage()
  end
  return best * 1000
end

T.manual_seed(1)

do -- MLP step: 64 -> 256 -> 256 -> 1 on a batch of 256, MSE, Adam
  local function p(...) return (T.randn(...) * 0.05):requires_grad() end
  local W1, b1, W2, b2, W3, b3 = p(64, 256), p(256), p(256, 256), p(256), p(256, 1), p(1)
  local X, Y = T.randn(256, 64), T.randn(256, 1)
  local opt = optim.Adam({ W1, b1, W2, b2, W3, b3 }, { lr = 1e-3 })
  local function step()
    opt:zero_grad()
    local h = (X:matmul(W1) + b1):relu()
    h = (h:matmul(W2) + b2):tanh()
    local loss = (h:matmul(W3) + b3 - Y):square():mean()
    loss:backward()
    opt:step()
  end
  print(("RESULT mlp_step %.4f"):format(best_of(step, 50)))
end

do -- elementwise-heavy graph on [512, 512]
  local x = T.randn(512, 512):requires_grad()
  local a, b = T.randn(512), T.randn(512, 1)
  local function step()
    x:zero_grad()
    local y = (x * a + b):tanh() * x:sigmoid() + x:square() * 0.5
    y:logsumexp(2):sum():backward()
  end
  print(("RESULT elementwise %.4f"):format(best_of(step, 10)))
end

do -- 20 tiny ops + backward: per-op overhead
  local x = T.randn(16):requires_grad()
  local function step()
    x:zero_grad()
    local y = x
    for _ = 1, 10 do y = (y * 0.9 + 0.1):tanh() end
    y:sum():backward()
  end
  print(("RESULT tiny_chain %.4f"):format(best_of(step, 500)))
end

do -- one Adam step over 1M parameters in 8 tensors
  local ps = {}
  for i = 1, 8 do
    ps[i] = T.randn(125000):requires_grad()
    ps[i]:sum():backward()
  end
  local opt = optim.Adam(ps, { lr = 1e-3 })
  print(("RESULT adam_1m %.4f"):format(best_of(function() opt:step() end, 20)))
end
