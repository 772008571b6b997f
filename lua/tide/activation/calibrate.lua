-- tide.activation.calibrate — turning a score into a calibrated probability, fitted on data the
-- scorer did not train on (a validation half).
--
--   local c = calibrate.platt(score, y)      -- or calibrate.isotonic(score, y)
--   local p = c:apply(new_score)             -- f32 [n]
--   c:save(path); c = calibrate.load(path)   -- or t = c:to_table(); c = calibrate.from_table(t)
--
-- Platt scaling (Platt 1999): p = 1 / (1 + exp(a s + b)), fitted by maximum likelihood against
-- the smoothed targets t+ = (N+ + 1)/(N+ + 2), t- = 1/(N- + 2) of Platt's section 2.2, which Lin,
-- Lin & Weng (Machine Learning 68, 2007) keep in their robust version; the fit is the C logistic
-- regression with soft targets and no penalty (Newton, converged to 1e-8 relative gradient).
-- Isotonic (Zadrozny & Elkan 2002): pool-adjacent-violators in C, applied by linear
-- interpolation between knots and clipped at the ends, as sklearn's IsotonicRegression.
local M = {}
local Platt, Iso = {}, {}
Platt.__index, Iso.__index = Platt, Iso
local KIND = "tide.activation.calibrator"

local function T() return require("tide").tensor end
local function glm() return require("tide").core.glm end

local function vector(v, fn, what)
  if type(v) == "table" then v = T().fromtable(v) end
  if not T().is_tensor(v) then error(("%s: %s must be a tensor or a table of numbers, got %s"):format(fn, what, type(v)), 3) end
  return v:reshape({ -1 })
end

-- y as 0/1 labels with both classes; returns the tensor and the (weighted) class totals
local function labels(y, w, fn)
  local n = y:numel()
  if n == 0 then error(fn .. ": no scores", 3) end
  if (y:eq(0) + y:eq(1)):sum():item() ~= n then
    for i, v in ipairs(y:totable()) do
      if v ~= 0 and v ~= 1 then error(("%s: label %d is %s, labels must be 0 or 1"):format(fn, i, tostring(v)), 3) end
    end
  end
  local pos = w and (y * w):sum():item() or y:sum():item()
  local tot = w and w:sum():item() or n
  if pos == 0 or pos == tot then error(fn .. ": y has only one class", 3) end
  return pos, tot - pos
end

--- calibrate.platt(score, y [, {weight = w}]) -> calibrator with fields a, b (Platt's signs)
function M.platt(score, y, opts)
  local fn = "calibrate.platt"
  score, y = vector(score, fn, "score"), vector(y, fn, "y")
  local n = score:numel()
  if y:numel() ~= n then error(("%s: %d scores but %d labels"):format(fn, n, y:numel()), 2) end
  local w = opts and opts.weight and vector(opts.weight, fn, "weight") or nil
  local npos, nneg = labels(y, w, fn)
  local hi, lo = (npos + 1) / (npos + 2), 1 / (nneg + 2)
  local t = y * (hi - lo) + lo
  local r = glm().fit(score:reshape({ n, 1 }), t, w, { l2 = 0, standardize = false, soft = true, cov = false,
                                                       solver = "irls" })
  if not r.converged then error(fn .. ": the sigmoid fit did not converge: " .. r.message, 2) end
  -- the engine fits on the centred, scaled score; back to the raw score's slope and intercept
  local slope = r.beta[2] / r.sd[1]
  return setmetatable({ method = "platt", a = -slope, b = -(r.beta[1] - slope * r.mean[1]) }, Platt)
end

--- c:apply(score) -> f32 tensor of calibrated probabilities
function Platt:apply(score)
  score = vector(score, "calibrate.platt:apply", "score")
  return (glm().predict(score:reshape({ score:numel(), 1 }), { 0 }, { 1 }, { -self.b, -self.a }))
end

--- calibrate.isotonic(score, y [, {weight = w}]) -> calibrator with knots x, y (ascending x)
function M.isotonic(score, y, opts)
  local fn = "calibrate.isotonic"
  score, y = vector(score, fn, "score"), vector(y, fn, "y")
  if y:numel() ~= score:numel() then error(("%s: %d scores but %d labels"):format(fn, score:numel(), y:numel()), 2) end
  local w = opts and opts.weight and vector(opts.weight, fn, "weight") or nil
  labels(y, w, fn)
  local kx, ky = glm().isotonic_fit(score, y, w)
  return setmetatable({ method = "isotonic", x = kx, y = ky }, Iso)
end

function Iso:apply(score)
  return glm().isotonic_apply(self.x, self.y, vector(score, "calibrate.isotonic:apply", "score"))
end

--- c:to_table() -> plain table of numbers ({method, a, b} or {method, x, y}), e.g. to store
-- inside another model; calibrate.from_table(t) rebuilds the calibrator
function Platt:to_table() return { method = "platt", a = self.a, b = self.b } end
function Iso:to_table() return { method = "isotonic", x = { unpack(self.x) }, y = { unpack(self.y) } } end

function M.from_table(t)
  if type(t) ~= "table" then error("calibrate.from_table: expected a table, got " .. type(t), 2) end
  if t.method == "platt" and type(t.a) == "number" and type(t.b) == "number" then
    return setmetatable({ method = "platt", a = t.a, b = t.b }, Platt)
  elseif t.method == "isotonic" and type(t.x) == "table" and type(t.y) == "table" and #t.x == #t.y and #t.x > 0 then
    return setmetatable({ method = "isotonic", x = t.x, y = t.y }, Iso)
  end
  error("calibrate.from_table: not a calibrator table (method = " .. tostring(t.method) .. ")", 2)
end

--- c:save(path): atomic, checksummed checkpoint (meta.kind = "tide.activation.calibrator");
-- numbers stored exactly. calibrate.load(path) -> calibrator
local function save(self, path)
  if type(path) ~= "string" then error("calibrate:save: path must be a string", 2) end
  local tensors, meta = {}, { kind = KIND, method = self.method }
  if self.method == "platt" then meta.a, meta.b = self.a, self.b
  else tensors.x, tensors.y = glm().pack_f64(self.x), glm().pack_f64(self.y) end
  require("tide.checkpoint").save(path, tensors, meta)
end
Platt.save, Iso.save = save, save

function M.load(path)
  if type(path) ~= "string" then error("calibrate.load: path must be a string", 2) end
  local t, meta = require("tide.checkpoint").load(path)
  if meta.kind ~= KIND then error(("calibrate.load: %s is not a calibrator (kind = %s)"):format(path, tostring(meta.kind)), 2) end
  if meta.method == "platt" then return M.from_table(meta) end
  if not (t.x and t.y) then error("calibrate.load: " .. path .. " lacks the isotonic knots", 2) end
  return M.from_table({ method = "isotonic", x = glm().unpack_f64(t.x), y = glm().unpack_f64(t.y) })
end

return M
