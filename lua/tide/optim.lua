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
-- tide.optim.schedule). Parameter groups: pass {{params = {...}, weight_decay =,
-- lr_scale =}, ...} instead of a list (optim.param_groups(model) excludes biases and norm
-- layers from weight decay). tide.optim.lbfgs is tide.lbfgs (full-batch L-BFGS).
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

local function check_tensors(list, fn, what)
  for i, p in ipairs(list) do
    if not T.is_tensor(p) then error(("%s: %s %d is not a tensor"):format(fn, what, i), 4) end
  end
end

-- params: a module, a list of tensors, or a list of groups {params = {...}, weight_decay =,
-- lr_scale =} (see M.param_groups). Returns the flat parameter list and the groups.
local function param_groups(params, fn)
  if type(params) == "table" and params.parameters then params = params:parameters() end
  if type(params) ~= "table" or #params == 0 then
    error(fn .. ": expected a module or a non-empty list of parameter tensors", 3)
  end
  if T.is_tensor(params[1]) or type(params[1]) ~= "table" then
    check_tensors(params, fn, "parameter")
    return params, { { params = params, first = 1 } }
  end
  local flat, groups = {}, {}
  for gi, g in ipairs(params) do
    if type(g) ~= "table" or type(g.params) ~= "table" then
      error(("%s: group %d must be a table with a params list"):format(fn, gi), 3)
    end
    for k in pairs(g) do
      if k ~= "params" and k ~= "weight_decay" and k ~= "lr_scale" then
        error(("%s: group %d: unknown option '%s' (groups set weight_decay, lr_scale)"):format(fn, gi, tostring(k)), 3)
      end
    end
    check_tensors(g.params, fn, "parameter")
    groups[gi] = { params = g.params, first = #flat + 1, weight_decay = g.weight_decay, lr_scale = g.lr_scale }
    for _, p in ipairs(g.params) do flat[#flat + 1] = p end
  end
  if #flat == 0 then error(fn .. ": the groups hold no parameters", 3) end
  return flat, groups
end

local function new(kind, params, opts)
  local fn = "optim." .. kind
  local groups
  params, groups = param_groups(params, fn)
  opts = opts or {}
  local cfg = {}
  for k, v in pairs(DEFAULTS[kind]) do cfg[k] = v end
  for k, v in pairs(opts) do
    if DEFAULTS[kind][k] == nil then error(("%s: unknown option '%s'"):format(fn, tostring(k)), 3) end
    cfg[k] = v
  end
  if cfg.betas then cfg.beta1, cfg.beta2 = cfg.betas[1], cfg.betas[2] end
  -- the engine's checks now, not at the first step: a NaN or negative lr fails here
  local ok, err = pcall(core.validate, kind, cfg)
  if not ok then error(err, 3) end
  local self = setmetatable({ kind = kind, params = params, groups = groups, cfg = cfg, lr = cfg.lr, t = 0 }, Optimizer)
  local ns = NSTATE[kind] or ((cfg.momentum or 0) > 0 and 1 or 0)
  self.state = {}
  for i, p in ipairs(params) do
    local s = {}
    for k = 1, ns do s[k] = T.zeros(p:shape()) end
    if kind == "adagrad" and cfg.initial_accumulator_value ~= 0 then s[1]:fill(cfg.initial_accumulator_value) end
    self.state[i] = s
  end
  for _, g in ipairs(groups) do -- per-group slices of the state list for the C call
    g.state = {}
    for i = 1, #g.params do g.state[i] = self.state[g.first + i - 1] end
  end
  return self
end

-- One C call per group (one in total without groups).
function Optimizer:step()
  self.t = self.t + 1
  for _, g in ipairs(self.groups) do
    local cfg = self.cfg
    if #self.groups > 1 or g.weight_decay or g.lr_scale then
      cfg = {}
      for k, v in pairs(self.cfg) do cfg[k] = v end
      if g.weight_decay then cfg.weight_decay = g.weight_decay end
    end
    cfg.lr = self.lr * (g.lr_scale or 1)
    local ok, err = pcall(core.step, self.kind, cfg, g.params, g.state, self.t)
    if not ok then self.t = self.t - 1; error(err, 2) end
  end
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

function M.clip_grad_norm(params, max_norm) return core.clip_grad_norm((param_groups(params, "clip_grad_norm")), max_norm) end
function M.grad_norm(params) return core.grad_norm((param_groups(params, "grad_norm"))) end

-- Splits a module's parameters into two groups: names matching any Lua pattern of
-- opts.no_decay (default: biases and norm layers) get weight_decay 0, the rest keep the
-- optimizer's. Usage: optim.AdamW(optim.param_groups(model), {weight_decay = 0.01}).
function M.param_groups(model, opts)
  assert(type(model) == "table" and model.named_parameters, "param_groups: expected a module")
  local pats = (opts and opts.no_decay) or { "bias$", "norm", "^ln", "%.ln" }
  local decay, plain = {}, {}
  for _, np in ipairs(model:named_parameters()) do
    local hit = false
    for _, pat in ipairs(pats) do if np[1]:find(pat) then hit = true; break end end
    if hit then plain[#plain + 1] = np[2] else decay[#decay + 1] = np[2] end
  end
  local groups = {}
  if #decay > 0 then groups[#groups + 1] = { params = decay } end
  if #plain > 0 then groups[#groups + 1] = { params = plain, weight_decay = 0 } end
  return groups
end

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
