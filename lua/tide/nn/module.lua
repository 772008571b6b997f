-- tide.nn.Module — the base class of every layer (see lua/tide/nn.lua for how to extend it).
-- A module owns named parameters (trainable leaf tensors), named buffers (non-trainable
-- state saved in checkpoints) and named child modules, all kept in insertion order so
-- parameters() and state_dict() are deterministic. Calling a module calls its forward.
local Module = { __name = "Module" }
Module.__index = Module

local function is_tensor(x) return require("tide").tensor.is_tensor(x) end

-- Creates a subclass: local GRU = nn.Module:extend("GRU"). Instances are made by calling
-- the class, GRU(opts), which runs GRU:init(opts) (the parent's init is Parent.init(self, ...)).
function Module:extend(name)
  local cls = setmetatable({}, { __index = self, __call = function(c, ...) return c:new(...) end })
  cls.__name = name or "Module"
  cls.__index = cls
  cls.__call = Module.__call
  cls.__tostring = Module.__tostring
  cls.super = self
  return cls
end

function Module:new(...)
  local m = setmetatable({ _params = {}, _buffers = {}, _children = {}, training = true }, self)
  m:init(...)
  return m
end

function Module:init() end

function Module:forward()
  error(self.__name .. ": forward() is not implemented", 2)
end

function Module.__call(self, ...) return self:forward(...) end

-- Registers a trainable parameter: marks it requires_grad and stores it as self[name].
function Module:param(name, t)
  assert(is_tensor(t), "param: expected a tensor for '" .. tostring(name) .. "'")
  if not self._params[name] then table.insert(self._params, name) end
  self._params[name] = true
  t:requires_grad(true)
  self[name] = t
  return t
end

-- Registers non-trainable state (saved in state_dict, never returned by parameters()).
function Module:buffer(name, t)
  assert(is_tensor(t), "buffer: expected a tensor for '" .. tostring(name) .. "'")
  if not self._buffers[name] then table.insert(self._buffers, name) end
  self._buffers[name] = true
  self[name] = t
  return t
end

-- Registers a child module under `name` (also reachable as self[name]).
function Module:add(name, child)
  assert(type(child) == "table" and child.parameters, "add: expected a module for '" .. tostring(name) .. "'")
  if not self._children[name] then table.insert(self._children, name) end
  self._children[name] = true
  self[name] = child
  return child
end

function Module:named_children()
  local out = {}
  for _, n in ipairs(self._children) do out[#out + 1] = { n, self[n] } end
  return out
end

function Module:children()
  local out = {}
  for _, n in ipairs(self._children) do out[#out + 1] = self[n] end
  return out
end

-- Walks own entries of `list` ("_params" or "_buffers") then children, with dotted names.
local function walk(m, list, prefix, out, seen)
  for _, n in ipairs(m[list]) do
    local t = m[n]
    if t ~= nil and not seen[t] then
      seen[t] = true
      out[#out + 1] = { prefix .. n, t }
    end
  end
  for _, n in ipairs(m._children) do walk(m[n], list, prefix .. n .. ".", out, seen) end
  return out
end

-- { {"fc1.weight", tensor}, ... } in registration order; a shared tensor appears once.
function Module:named_parameters() return walk(self, "_params", "", {}, {}) end
function Module:named_buffers() return walk(self, "_buffers", "", {}, {}) end

function Module:parameters()
  local out = {}
  for i, np in ipairs(self:named_parameters()) do out[i] = np[2] end
  return out
end

function Module:num_parameters()
  local n = 0
  for _, p in ipairs(self:parameters()) do n = n + p:numel() end
  return n
end

function Module:zero_grad()
  for _, p in ipairs(self:parameters()) do p:zero_grad() end
  return self
end

-- This module and all its descendants, depth first (parents before children).
function Module:modules()
  local out = {}
  local function rec(m)
    out[#out + 1] = m
    for _, c in ipairs(m:children()) do rec(c) end
  end
  rec(self)
  return out
end

-- Calls fn(m) on every module (e.g. custom initialisation by class name); returns self.
function Module:apply(fn)
  for _, m in ipairs(self:modules()) do fn(m) end
  return self
end

-- Freezes (false) or unfreezes (true) every parameter, e.g. a pretrained encoder while a
-- new head is fine-tuned. Frozen parameters get no gradient and optimizers skip them.
function Module:requires_grad(on)
  if on == nil then on = true end
  for _, p in ipairs(self:parameters()) do
    p:requires_grad(on and true or false)
    if not on then p:zero_grad() end
  end
  return self
end

function Module:train(mode)
  if mode == nil then mode = true end
  self.training = mode and true or false
  for _, c in ipairs(self:children()) do c:train(mode) end
  return self
end

function Module:eval() return self:train(false) end

-- name -> tensor for every parameter and buffer (the tensors themselves, not copies).
function Module:state_dict()
  local sd = {}
  for _, np in ipairs(self:named_parameters()) do sd[np[1]] = np[2] end
  for _, nb in ipairs(self:named_buffers()) do sd[nb[1]] = nb[2] end
  return sd
end

-- Problems (a sorted list of strings, empty when none) loading sd would hit: missing and
-- unexpected names (unless strict == false), non-tensors, shape and dtype mismatches.
function Module:check_state_dict(sd, strict)
  if strict == nil then strict = true end
  local mine, problems = self:state_dict(), {}
  for name, t in pairs(mine) do
    local src = sd[name]
    if src == nil then
      if strict then problems[#problems + 1] = "missing '" .. name .. "'" end
    elseif not is_tensor(src) then
      problems[#problems + 1] = "'" .. name .. "' is not a tensor"
    else
      local a, b = table.concat(t:shape(), "x"), table.concat(src:shape(), "x")
      if a ~= b then
        problems[#problems + 1] = ("'%s' has shape [%s], the model expects [%s]"):format(name, b, a)
      elseif src:dtype() ~= t:dtype() then
        problems[#problems + 1] = ("'%s' is %s, the model expects %s"):format(name, src:dtype(), t:dtype())
      end
    end
  end
  if strict then
    for name in pairs(sd) do
      if mine[name] == nil then problems[#problems + 1] = "unexpected '" .. tostring(name) .. "'" end
    end
  end
  table.sort(problems)
  return problems
end

-- Copies tensors from sd into this module's parameters and buffers. Everything is checked
-- (check_state_dict) BEFORE anything is copied, so a refused load leaves the module untouched.
function Module:load_state_dict(sd, strict)
  if type(sd) ~= "table" then error("load_state_dict: expected a table of tensors", 2) end
  local problems = self:check_state_dict(sd, strict)
  if #problems > 0 then error("load_state_dict: " .. table.concat(problems, "; "), 2) end
  for name, t in pairs(self:state_dict()) do
    if sd[name] ~= nil then t:copy(sd[name]) end
  end
  return self
end

function Module.__tostring(self)
  local lines = { self.__name .. (self.extra_repr and ("(" .. self:extra_repr() .. ")") or "") }
  for _, nc in ipairs(self:named_children()) do
    local sub = tostring(nc[2]):gsub("\n", "\n  ")
    lines[#lines + 1] = "  (" .. nc[1] .. "): " .. sub
  end
  return table.concat(lines, "\n")
end

return Module
