-- tide.quant — smaller, faster scoring tables: per-row int8 quantisation of embedding tables
-- and linear layers, and magnitude pruning to a sparse (CSR) table (engine/quant_*.c).
--
--   local q = tide.quant.int8(E)               -- E f32 [items, dim]: codes + one scale per row
--   local s = q:scores(U)                      -- U [B, dim] -> [B, items] = U · Ê^T
--   local P, thr, kept = tide.quant.prune(W, 0.8)   -- 80% smallest |w| set to 0 (a copy)
--   local sp = tide.quant.sparse(P)            -- CSR; sp:scores(X [, bias])
--   local lin = tide.quant.linear(nn_linear, {method = "int8" | "prune", frac = 0.5})
--   lin:forward(x) -> x Ŵ^T + b (no autograd: for scoring)
-- Tables report their size with :bytes() (an f32 table takes rows·cols·4).
local M = {}

local function core() return require("tide").core.quant end
local function T() return require("tide").tensor end

local function check_table(w, fn)
  if not T().is_tensor(w) then error(fn .. ": argument #1 must be a tensor [rows, cols], got " .. type(w), 3) end
  if #w:shape() ~= 2 then error(fn .. ": argument #1 must be 2-D [rows, cols], got " .. #w:shape() .. " dims", 3) end
end

--- int8(W) -> QRows: per-row int8 codes (w ≈ scale_r · q, |error| <= scale_r / 2) with
--- :scores(X [, bias]), :dequant(), :codes(), :scales(), :bytes(), :shape(), :free().
function M.int8(w)
  check_table(w, "quant.int8")
  return core().int8(w)
end

--- prune(W, frac) -> W', threshold, kept: a copy of W with the floor(frac·n) entries of
--- smallest magnitude (and ties with the largest of them) set to 0; kept = non-zeros left.
function M.prune(w, frac)
  if not T().is_tensor(w) then error("quant.prune: argument #1 must be a tensor, got " .. type(w), 2) end
  if type(frac) ~= "number" or not (frac >= 0 and frac <= 1) then
    error("quant.prune: frac must be a number in [0, 1], got " .. tostring(frac), 2)
  end
  return core().prune(w, frac)
end

--- sparse(W) -> Sparse: CSR of W's non-zero entries, with :scores(X [, bias]), :nnz(),
--- :bytes(), :shape(), :free().
function M.sparse(w)
  check_table(w, "quant.sparse")
  return core().sparse(w)
end

local Q = {}
Q.__index = Q

--- table(W, opts) -> a scoring table over W [rows, cols]: opts.method = "int8" (default) |
--- "prune" (opts.frac, default 0.5) | "prune+int8" (pruned, then int8 codes of what is left,
--- kept dense) | "f32" (the reference). t:scores(X [, bias]) -> [B, rows]; t:bytes().
function M.table(w, opts)
  opts = opts or {}
  check_table(w, "quant.table")
  local method = opts.method or "int8"
  local self = setmetatable({ method = method, rows = w:shape()[1], cols = w:shape()[2] }, Q)
  if method == "int8" then self.q = M.int8(w)
  elseif method == "prune" then self.q = M.sparse((M.prune(w, opts.frac or 0.5)))
  elseif method == "prune+int8" then self.q = M.int8((M.prune(w, opts.frac or 0.5)))
  elseif method == "f32" then self.wt = w:t():contiguous() -- [cols, rows]: sgemm's fastest layout
  else error("quant.table: method must be 'int8', 'prune', 'prune+int8' or 'f32', got " .. tostring(method), 2) end
  return self
end

function Q:scores(x, bias)
  if self.wt then
    local s = (#x:shape() == 1 and x:view({ 1, -1 }) or x):matmul(self.wt)
    return bias and s + bias or s
  end
  return self.q:scores(x, bias)
end

function Q:bytes() return self.wt and self.rows * self.cols * 4 or self.q:bytes() end

local L = {}
L.__index = L

--- linear(module, opts) -> a scoring-only copy of an nn.Linear (weight [out, in], bias):
--- l:forward(x [B, in]) -> [B, out]; opts as quant.table. Bytes: l:bytes().
function M.linear(mod, opts)
  if type(mod) ~= "table" or not T().is_tensor(mod.weight) then error("quant.linear: argument #1 must be an nn.Linear", 2) end
  local b = mod.bias and mod.bias:detach():contiguous() or nil
  return setmetatable({ t = M.table(mod.weight:detach(), opts), bias = b }, L)
end

function L:forward(x) return self.t:scores(x, self.bias) end
function L:bytes() return self.t:bytes() + (self.bias and self.bias:numel() * 4 or 0) end

return M
