-- tide.optim — optimizers over a list of parameters (or a Module), one C call per step
-- (engine/optim.c), with plain-data state that round-trips through checkpoints.
--
--   local opt = tide.optim.Adam(model, {lr = 1e-3, weight_decay = 0})
--   opt:zero_grad(); loss:backward(); opt:clip_grad_norm(1.0); opt:step()
--
-- Kinds and options (defaults as torch.optim): SGD{lr, momentum, dampening, nesterov,
-- weight_decay}; Adam / AdamW{lr, betas = {b1, b2}, eps, weight_decay}; Adagrad{lr,
-- lr_decay, weight_decay, eps, initial_accumulator_value}; RMSprop{lr, alpha, eps,
-- weight_decay, momentum, centered}. opt.lr may be changed between steps (see
-- tide.optim.schedule). tide.optim.lbfgs is tide.lbfgs (full-batch L-BFGS).
local tide = require "tide"
local T = tide.tensor
local core = tide.core.optim

local M = {}

local Optimizer = {}
Optimizer.__index = Optimizer

local DEFAULTS = {
  sgd = { lr = 1e-2, momentum = 0, dampening = 0, nesterov = false, weight_decay = 0 },
  adam = { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0 },
  adamw = { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 1e-2 },
  adagrad = { lr = 1e-2, lr_decay = 0, weight_decay = 0, eps = 1e-10, initial_accumulator_value = 0 },
  rmsprop = { lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0, centered = false },
}
local NSTATE = { adam = 2, adamw = 2, adagrad = 1, rmsprop = 3 }

local function param_list(params, fn)
  if type(params) == "table" and params.parameters then params = params:parameters() end
  if type(params) ~= "table" or #params == 0 then
    error(fn .. ": expected a module or a non-empty list of parameter tensors", 3)
  end
  for i, p in ipairs(params) do
    if not T.is_tensor(p) then error(("%s: parameter %d is not a tensor"):format(fn, i), 3) end
  end
  return params
end

local function new(kind, params, opts)
  local fn = "optim." .. kind
  params = param_list(params, fn)
  opts = opts or {}
  local cfg = {}
  for k, v in pairs(DEFAULTS[kind]) do cfg[k] = v end
  for k, v in pairs(opts) do
    if DEFAULTS[kind][k] == nil then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 3) end
    cfg[k] = v
  end
  if cfg.betas then cfg.beta1, cfg.beta2 = cfg.betas[1], cfg.betas[2] end
  local self = setmetatable({ kind = kind, params = params, cfg = cfg, lr = cfg.lr, t = 0 }, Optimizer)
  local ns = NSTATE[kind] or ((cfg.momentum or 0) > 0 and 1 or 0)
  self.state = {}
  for i, p in ipairs(params) do
    local s = {}
    for k = 1, ns do s[k] = T.zeros(p:shape()) end
    if kind == "adagrad" and cfg.initial_accumulator_value ~= 0 then s[1]:fill(cfg.initial_accumulator_value) end
    self.state[i] = s
  end
  return self
end

function Optimizer:step()
  self.cfg.lr = self.lr
  self.t = self.t + 1
  local ok, err = pcall(core.step, self.kind, self.cfg, self.params, self.state, self.t)
  if not ok then self.t = self.t - 1; error(err, 2) end
end

function Optimizer:zero_grad()
  for _, p in ipairs(self.params) do p:zero_grad() end
end

-- Scales all gradients so their global L2 norm is at most max_norm; returns the norm before.
function Optimizer:clip_grad_norm(max_norm) return core.clip_grad_norm(self.params, max_norm) end
function Optimizer:grad_norm() return core.grad_norm(self.params) end

-- tensors: {["state.<param index>.<slot>"] = tensor}; meta: kind, step, lr (plain values).
function Optimizer:state_dict()
  local tensors = {}
  for i, s in ipairs(self.state) do
    for k, t in ipairs(s) do tensors[("state.%d.%d"):format(i, k)] = t end
  end
  return tensors, { kind = self.kind, step = self.t, lr = self.lr }
end

-- Problems loading (tensors, meta) would hit (empty list when none).
function Optimizer:check_state_dict(tensors, meta)
  if type(tensors) ~= "table" or type(meta) ~= "table" then return { "expected (tensors, meta) tables" } end
  if meta.kind ~= self.kind then
    return { ("state is for %s, this optimizer is %s"):format(tostring(meta.kind), self.kind) }
  end
  local problems = {}
  for i, s in ipairs(self.state) do
    for k, t in ipairs(s) do
      local name = ("state.%d.%d"):format(i, k)
      local src = tensors[name]
      if not T.is_tensor(src) then
        problems[#problems + 1] = "missing '" .. name .. "'"
      elseif table.concat(src:shape(), "x") ~= table.concat(t:shape(), "x") then
        problems[#problems + 1] = ("'%s' has shape [%s], expected [%s]"):format(name,
          table.concat(src:shape(), "x"), table.concat(t:shape(), "x"))
      end
    end
  end
  return problems
end

-- Checks every tensor (presence, shape) before copying any.
function Optimizer:load_state_dict(tensors, meta)
  local problems = self:check_state_dict(tensors, meta)
  if #problems > 0 then error("load_state_dict: " .. table.concat(problems, "; "), 2) end
  for i, s in ipairs(self.state) do
    for k, t in ipairs(s) do t:copy(tensors[("state.%d.%d"):format(i, k)]) end
  end
  self.t = math.floor(tonumber(meta.step) or 0)
  if meta.lr then self.lr = tonumber(meta.lr) end
  return self
end

local CLASS = { SGD = "sgd", Adam = "adam", AdamW = "adamw", Adagrad = "adagrad", RMSprop = "rmsprop" }
for name, kind in pairs(CLASS) do
  M[name] = function(params, opts) return new(kind, params, opts) end
  M[kind] = M[name]
end

function M.clip_grad_norm(params, max_norm) return core.clip_grad_norm(param_list(params, "clip_grad_norm"), max_norm) end
function M.grad_norm(params) return core.grad_norm(param_list(params, "grad_norm")) end

setmetatable(M, {
  __index = function(self, k)
    local mod
    if k == "lbfgs" then mod = require "tide.lbfgs"
    elseif k == "schedule" then mod = require "tide.optim.schedule" end
    if mod then rawset(self, k, mod) end
    return mod
  end,
})

return M
