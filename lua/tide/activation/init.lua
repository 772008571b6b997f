-- tide.activation — who will come back: framing event logs into per-user activation data sets
-- (tide.activation.frame), user-level splits/folds and joins (tide.activation.split), and the
-- models that score them: logistic regression (tide.activation.logistic) and gradient-boosted
-- trees (tide.activation.gbdt), loaded on first use.
--   local fr = tide.activation.frame(ev, {cut = "2011-09-01", horizon = 90, label = "return"})
--   local s  = tide.activation.split(fr, {valid = 0.2, test = 0.2, seed = 1})
--   local m  = tide.activation.logistic{}; m:fit(s.train.X, s.train.y, {names = fr.names})
--   print(tide.metrics.auc(m:predict(s.test.X), s.test.y))
local sp = require "tide.activation.split"

local M = {}

M.frame = require("tide.activation.frame").frame
M.split, M.folds, M.join, M.take = sp.split, sp.folds, sp.join, sp.take

--- evaluate(p, y, {k = 0.1, bins = 10}) -> AUC, PR-AUC, log-loss, Brier, ECE, lift with
--- intervals (tide.activation.evaluate)
function M.evaluate(p, y, opts) return require("tide.activation.evaluate").evaluate(p, y, opts) end

--- slog1p(X) -> sign(x) · log(1 + |x|) elementwise: tames heavy-tailed counts and money for
--- linear models while keeping the sign of signed features (sentiment)
function M.slog1p(X)
  if not require("tide").tensor.is_tensor(X) then error("activation.slog1p: expected a tensor", 2) end
  return X:sign() * X:abs():log1p()
end

local KINDS = { logistic = "tide.activation.logistic", gbdt = "tide.activation.gbdt" }

local function module(kind, fn)
  local name = KINDS[kind] or error(fn .. ": unknown model kind '" .. tostring(kind) .. "' (logistic, gbdt)", 3)
  local ok, mod = pcall(require, name)
  if not ok then
    if tostring(mod):find("module '" .. name .. "' not found", 1, true) then
      error(fn .. ": the " .. kind .. " model (" .. name .. ") is not installed", 3)
    end
    error(mod, 0)
  end
  return mod
end

--- logistic(opts) -> a new logistic-regression model (tide.activation.logistic.new)
function M.logistic(opts) return module("logistic", "activation.logistic").new(opts) end
--- gbdt(opts) -> a new gradient-boosted-trees model (tide.activation.gbdt.new)
function M.gbdt(opts) return module("gbdt", "activation.gbdt").new(opts) end
--- model(kind, opts) -> logistic(opts) or gbdt(opts) by name
function M.model(kind, opts) return module(kind, "activation.model").new(opts) end

-- The model kinds by the magic bytes that start their files. Each module declares its own
-- (M.magic) so the formats stay owned by the module that writes them.
local function kind_of(head)
  for _, kind in ipairs({ "logistic", "gbdt" }) do
    local ok, mod = pcall(require, KINDS[kind])
    if ok and type(mod.magic) == "string" and head:sub(1, #mod.magic) == mod.magic then return kind, mod end
  end
end

--- load(path) -> the model saved at path, by file magic (logistic or gbdt); for a bundle
--- written by activation.save_bundle (the CLI's model files): model, {names, frame, kind}
function M.load(path)
  if type(path) ~= "string" then error("activation.load: path must be a string, got " .. type(path), 2) end
  local f, err = io.open(path, "rb")
  if not f then error("activation.load: " .. tostring(err), 2) end
  local head = f:read(64) or ""
  f:close()
  if head:sub(1, 8) == "TIDECKPT" then
    -- a tide.checkpoint file: its meta.kind names the module that wrote it
    local ok, _, meta = pcall(require("tide").checkpoint.load, path)
    if not ok then error("activation.load: " .. tostring(_):gsub("^[^:]*%.lua:%d+: ", ""), 2) end
    if meta.kind == require("tide.activation.bundle").KIND then return require("tide.activation.bundle").load(path) end
    for _, kind in ipairs({ "logistic", "gbdt" }) do
      local mok, mod = pcall(require, KINDS[kind])
      if mok and mod.KIND == meta.kind then return mod.load(path) end
    end
    error(("activation.load: '%s' is a checkpoint of kind '%s', not an activation model"):format(path, tostring(meta.kind)), 2)
  end
  local _, mod = kind_of(head)
  if mod then return mod.load(path) end
  -- a module without a declared magic: the first loader that accepts the file
  local why = {}
  for _, kind in ipairs({ "logistic", "gbdt" }) do
    local ok, m = pcall(require, KINDS[kind])
    if ok then
      local lok, model = pcall(m.load, path)
      if lok then return model end
      why[#why + 1] = kind .. ": " .. tostring(model):gsub("^[^:]*%.lua:%d+: ", "")
    end
  end
  error("activation.load: '" .. path .. "' is not a saved activation model (" .. table.concat(why, "; ") .. ")", 2)
end

--- save_bundle(path, model, kind, info) -> writes one file holding the model and how to frame
--- data for it (info: {names, frame options, ...}); see tide.activation.bundle
function M.save_bundle(path, model, kind, info) return require("tide.activation.bundle").save(path, model, kind, info) end

return M
