-- tide.activation.logistic_io — the logistic model's file: a tide.checkpoint (checksummed,
-- atomic write) with meta.kind = "tide.activation.logistic". Coefficients, means, sds and the
-- covariance are doubles stored bit for bit as i64 tensors (the checkpoint has no f64 dtype),
-- so a reloaded model predicts exactly what the saved one did.
local M = {}
local KIND, VERSION = "tide.activation.logistic", 1

local function core() return require("tide").core.glm end
local function ckpt() return require("tide.checkpoint") end

local function pack(m)
  local g = core()
  local t = { beta = g.pack_f64(m.beta), mean = g.pack_f64(m.mean), sd = g.pack_f64(m.sd) }
  if m.cov then t.cov = g.pack_f64(m.cov) end
  local o = m.opts
  local meta = { kind = KIND, version = VERSION, d = m.d, n_train = m.n_train or 0, l2 = o.l2 or 1, l1 = o.l1 or 0,
                 standardize = o.standardize == false and 0 or 1, solver = m.solver, opt_solver = o.solver or "auto",
                 converged = m.converged and 1 or 0, message = m.message, iterations = m.iterations,
                 objective = m.objective, grad_inf = m.grad_inf }
  if o.max_iter then meta.max_iter = o.max_iter end
  if o.tol then meta.tol = o.tol end
  if o.class_weight == "balanced" then meta.class_weight = "balanced"
  elseif type(o.class_weight) == "table" then meta.class_weight0, meta.class_weight1 = o.class_weight[0], o.class_weight[1] end
  for j, nm in ipairs(m.names) do meta["name." .. j] = nm end
  return t, meta
end

local function unpack(t, meta, where, new)
  if meta.kind ~= KIND then
    error(("%s: not a logistic model (kind = %s)"):format(where, tostring(meta.kind)), 3)
  end
  if meta.version ~= VERSION then error(("%s: unsupported logistic model version %s"):format(where, tostring(meta.version)), 3) end
  local cw = meta.class_weight
  if meta.class_weight0 then cw = { [0] = meta.class_weight0, [1] = meta.class_weight1 } end
  local m = new { l2 = meta.l2, l1 = meta.l1, standardize = meta.standardize == 1, solver = meta.opt_solver,
                  class_weight = cw, max_iter = meta.max_iter, tol = meta.tol }
  local g = core()
  m.beta, m.mean, m.sd = g.unpack_f64(t.beta), g.unpack_f64(t.mean), g.unpack_f64(t.sd)
  m.cov = t.cov and g.unpack_f64(t.cov) or nil
  m.d, m.n_train = meta.d, meta.n_train
  if #m.beta ~= m.d + 1 or #m.mean ~= m.d or #m.sd ~= m.d then
    error(("%s: coefficient sizes do not match d = %d"):format(where, m.d), 3)
  end
  m.names = {}
  for j = 1, m.d do m.names[j] = meta["name." .. j] or ("x" .. j) end
  m.solver, m.converged, m.message = meta.solver, meta.converged == 1, meta.message
  m.iterations, m.objective, m.grad_inf = meta.iterations, meta.objective, meta.grad_inf
  return m
end

--- m:save(path): atomic, checksummed
function M.save(m, path)
  if not m.beta then error("logistic:save: model is not fitted", 2) end
  if type(path) ~= "string" then error("logistic:save: path must be a string", 2) end
  ckpt().save(path, pack(m))
end

--- m:to_bytes() -> string (the bytes save would write), e.g. to embed in another file
function M.to_bytes(m)
  if not m.beta then error("logistic:to_bytes: model is not fitted", 2) end
  return ckpt().to_bytes(pack(m))
end

function M.load(path, new)
  if type(path) ~= "string" then error("logistic.load: path must be a string", 2) end
  local t, meta = ckpt().load(path)
  return unpack(t, meta, path, new)
end

function M.from_bytes(s, name, new)
  local t, meta = ckpt().from_bytes(s, name)
  return unpack(t, meta, name or "(memory)", new)
end

return M
