-- tide.optim.schedule — learning-rate schedules as plain functions lr(t, base) of the
-- 0-based step (or epoch) count, and a Scheduler that applies one to an optimizer.
--
--   local S = tide.optim.schedule
--   local sched = S.Scheduler(opt, S.warmup(100, S.cosine(900, 1e-5)))
--   for step = 1, 1000 do ... opt:step(); sched:step() end
--
-- step(size, gamma):      base * gamma^floor(t / size)            (torch StepLR)
-- cosine(total, min):     min + (base - min) (1 + cos(pi t / total)) / 2, held at min
--                         after total (Loshchilov & Hutter 2017, SGDR without restarts)
-- linear(total, min):     base -> min linearly over total steps
-- warmup(n, after):       base (t + 1) / n for t < n, then after(t - n, base) (or base)
local M = {}

function M.constant() return function(_, base) return base end end

function M.step(size, gamma)
  assert(size and size > 0, "schedule.step: size must be > 0")
  gamma = gamma or 0.1
  return function(t, base) return base * gamma ^ math.floor(t / size) end
end

function M.cosine(total, min_lr)
  assert(total and total > 0, "schedule.cosine: total must be > 0")
  min_lr = min_lr or 0
  return function(t, base)
    local tt = math.min(t, total)
    return min_lr + (base - min_lr) * (1 + math.cos(math.pi * tt / total)) / 2
  end
end

function M.linear(total, min_lr)
  assert(total and total > 0, "schedule.linear: total must be > 0")
  min_lr = min_lr or 0
  return function(t, base) return base + (min_lr - base) * math.min(t, total) / total end
end

function M.warmup(n, after)
  assert(n and n > 0, "schedule.warmup: n must be > 0")
  return function(t, base)
    if t < n then return base * (t + 1) / n end
    return after and after(t - n, base) or base
  end
end

local Scheduler = {}
Scheduler.__index = Scheduler

-- Applies fn to opt: sets opt.lr = fn(0, base) now and fn(t, base) after the t-th step().
function M.Scheduler(opt, fn)
  assert(type(opt) == "table" and opt.lr, "Scheduler: expected an optimizer")
  assert(type(fn) == "function", "Scheduler: expected a schedule function")
  local s = setmetatable({ opt = opt, fn = fn, base = opt.lr, t = 0 }, Scheduler)
  opt.lr = fn(0, s.base)
  return s
end

function Scheduler:step()
  self.t = self.t + 1
  self.opt.lr = self.fn(self.t, self.base)
  return self.opt.lr
end

return M
