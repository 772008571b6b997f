-- tide.mpi.jobs — work sharded by user over MPI ranks: full-ranking evaluation, batch top-K
-- scoring and per-user decay fits. Each rank takes a contiguous block of users
-- (tide.mpi.shard), so gathering the blocks in rank order gives the serial order, and the
-- results equal a serial run up to the order of floating-point sums.
local mpi = require "tide.mpi"
local M = {}

local function users_of(fn, model, data, opts)
  local n = opts.n_users or (model and model.n_users) or (data and (data.test or data).n_users)
  if type(n) ~= "number" or n < 1 then error(fn .. ": cannot tell the number of users (pass opts.n_users)", 3) end
  return n
end

--- evaluate(model, split, opts) -> the result of tide.metrics.evaluate(model, split, opts) over
--- all users, each rank ranking its block (opts as there; opts.beyond is not sharded).
function M.evaluate(model, split, opts)
  opts = opts or {}
  if opts.beyond then error("mpi.evaluate: opts.beyond (catalogue metrics) is not sharded; run it serially", 2) end
  local first, last = mpi.shard(users_of("mpi.evaluate", model, split, opts))
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.users = { first, last }
  local r = require("tide.metrics").evaluate(model, split, o)
  -- per-user means times users = sums; sums add over ranks
  local keys = {}
  for key, v in pairs(r) do if type(v) == "number" and key ~= "users" and key ~= "seconds" then keys[#keys + 1] = key end end
  table.sort(keys)
  local sums = { r.users }
  for i, key in ipairs(keys) do sums[i + 1] = r.users > 0 and r[key] * r.users or 0 end
  local tot = mpi.allreduce_numbers(sums)
  r.users = tot[1]
  for i, key in ipairs(keys) do r[key] = tot[i + 1] / tot[1] end
  r.seconds = mpi.allreduce_numbers({ r.seconds }, "max")[1]
  r.ranks = mpi.size()
  return r
end

--- topk(model, n_users, k [, opts]) -> i32 [n_users, k]: model:topk over every user, each rank
--- scoring its block, gathered in user order on every rank (opts go to model:topk).
function M.topk(model, n_users, k, opts)
  if type(model) ~= "table" or not model.topk then error("mpi.topk: argument #1 must be a model with :topk", 2) end
  if type(n_users) ~= "number" or n_users < 1 then error("mpi.topk: n_users must be a number >= 1", 2) end
  if type(k) ~= "number" or k < 1 then error("mpi.topk: k must be a number >= 1", 2) end
  local T = require("tide").tensor
  local first, last = mpi.shard(n_users)
  local part
  if last >= first then part = model:topk(T.arange(first, last + 1, 1, "i32"), k, opts)
  else part = T.zeros({ 0, k }, "i32") end
  return mpi.gather(part)
end

--- fit_decay(ev, opts) -> {theta [U, P], se, half_life [U], loglik [U], status [U], total_loglik,
--- family, k, unit, t_end}: tide.decay.fit(ev, opts) with opts.per = "user", each rank fitting
--- its block of users. Needs opts.shrink = false: shrinkage pools every user into one prior.
function M.fit_decay(ev, opts)
  opts = opts or {}
  if opts.per ~= "user" then error("mpi.fit_decay: only per = 'user' fits are sharded (got per = " .. tostring(opts.per) .. ")", 2) end
  if opts.shrink ~= false then
    error("mpi.fit_decay: per-user shrinkage pools all users into one prior; pass shrink = false", 2)
  end
  local tide = require "tide"
  local n = ev.n_users or users_of("mpi.fit_decay", nil, ev, opts)
  local first, last = mpi.shard(n)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  -- the serial default window end is the last event of the whole log, not of this shard
  o.t_end = o.t_end or require("tide.decay.seq").t_end(ev)
  local mask = ev.user:ge(first) * ev.user:le(last)
  local sub = tide.data.filter(ev, mask)
  local fit = require("tide.decay.fit").fit(sub, o)
  local cnt = math.max(last - first + 1, 0)
  local out = { family = fit.family, k = fit.k, unit = fit.unit, t_end = fit.t_end, per = "user" }
  for _, key in ipairs({ "theta", "se", "half_life", "loglik", "status" }) do
    local t = fit[key]
    if t then out[key] = mpi.gather(cnt > 0 and t:narrow(1, first, cnt) or t:narrow(1, 1, 0)) end
  end
  out.total_loglik = out.loglik:sum():item()
  return out
end

return M
