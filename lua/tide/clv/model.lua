-- tide.clv.model — the fitted-model object shared by BG/NBD, Pareto/NBD, MBG/NBD (counts and
-- timing of repeat purchases) and Gamma-Gamma (spend per purchase). The likelihoods, their
-- gradients, the L-BFGS fit and every prediction run in C (engine/clv_*.c); this file checks
-- arguments, names parameters and saves/loads models (tide.checkpoint: atomic, checksummed,
-- parameters stored as doubles, so a reload is exact).
local M = {}
local Model = {}
Model.__index = Model
M.Model = Model

local function core() return require("tide").core.clv end

local KINDS = { bgnbd = true, paretonbd = true, mbgnbd = true, gammagamma = true }

--- new(kind) -> unfitted model; kind = "bgnbd" | "paretonbd" | "mbgnbd" | "gammagamma"
function M.new(kind)
  if not KINDS[kind] then error("clv: unknown model '" .. tostring(kind) .. "' (bgnbd, paretonbd, mbgnbd, gammagamma)", 2) end
  local _, names = core().nparams(kind)
  return setmetatable({ kind = kind, names = names }, Model)
end

local function fitted(self, fn)
  if not self.theta then error(("%s:%s: the model is not fitted (call :fit or clv.load)"):format(self.kind, fn), 3) end
end

-- summary columns for the C side: x, tx (recency, or monetary for gammagamma), T
local function cols(self, s, fn)
  if type(s) ~= "table" or type(s.frequency) ~= "table" then
    error(("%s:%s: expected a summary table with frequency/recency/T arrays (clv.summary)"):format(self.kind, fn), 3)
  end
  if self.kind == "gammagamma" then
    if type(s.monetary) ~= "table" then error(("%s:%s: the summary has no monetary column"):format(self.kind, fn), 3) end
    return s.frequency, s.monetary, nil
  end
  if type(s.recency) ~= "table" or type(s.T) ~= "table" then
    error(("%s:%s: the summary needs recency and T arrays"):format(self.kind, fn), 3)
  end
  return s.frequency, s.recency, s.T
end

--- model:fit(summary, opts) -> model. opts: init (array of starting parameters, default all
--- 1), max_iter (500), gtol (1e-9), weights (array: customers per summary row), strict
--- (default true: a fit that does not converge raises an error that says why; false keeps
--- the end point with model.converged = false and model.reason set), skip_zero_spend
--- (gammagamma: leave out repeat customers whose mean spend is <= 0 instead of failing;
--- model.skipped counts them).
function Model:fit(summary, opts)
  opts = opts or {}
  local x, tx, T = cols(self, summary, "fit")
  if self.kind == "gammagamma" and opts.skip_zero_spend then
    local fx, fm, w = {}, {}, opts.weights and {} or nil
    for i = 1, #x do
      if not (x[i] > 0 and not (tx[i] > 0)) then
        fx[#fx + 1], fm[#fm + 1] = x[i], tx[i]
        if w then w[#w + 1] = opts.weights[i] end
      end
    end
    self.skipped = #x - #fx
    x, tx = fx, fm
    opts = setmetatable({ weights = w }, { __index = opts })
  end
  local ok, r = pcall(core().fit, self.kind, x, tx, T, opts.weights, { init = opts.init, max_iter = opts.max_iter, gtol = opts.gtol })
  if not ok then
    local msg = tostring(r):gsub("^clv%.fit: ", "")
    if msg:find("monetary value", 1, true) then msg = msg .. " (skip_zero_spend = true leaves such customers out)" end
    error(self.kind .. ":fit: " .. msg, 2)
  end
  self.theta, self.se, self.ll = r.theta, r.se, r.loglik
  self.converged, self.reason, self.iterations = r.converged, r.reason, r.iterations
  self.n, self.unit = #x, summary.unit
  if not r.converged and opts.strict ~= false then
    local p = {}
    for i, nm in ipairs(self.names) do p[i] = ("%s=%.4g"):format(nm, r.theta[i]) end
    error(("%s:fit did not converge: %s (end point %s; pass strict=false to keep it)"):format(self.kind, r.reason,
      table.concat(p, " ")), 2)
  end
  return self
end

--- model:params() -> {<name> = value, se = {<name> = standard error}, loglik, converged, reason}
function Model:params()
  fitted(self, "params")
  local out = { se = {}, loglik = self.ll, converged = self.converged, reason = self.reason }
  for i, nm in ipairs(self.names) do out[nm], out.se[nm] = self.theta[i], self.se[i] end
  return out
end

--- model:loglik([summary]) -> log-likelihood at the fitted parameters (of the fitting data,
--- or of another summary), and its gradient as a second value when a summary is given
function Model:loglik(summary)
  fitted(self, "loglik")
  if summary == nil then return self.ll end
  local x, tx, T = cols(self, summary, "loglik")
  return core().loglik(self.kind, self.theta, x, tx, T)
end

-- numbers or arrays: returns the C result as a number when every input was a number
local function vec(self, fn, what, t, x, tx, T)
  fitted(self, fn)
  local scalar = type(x) == "number" or (x == nil and type(t) == "number")
  local function arr(v, name)
    if v == nil or type(v) == "table" then return v end
    if type(v) ~= "number" then error(("%s:%s: %s must be a number or an array, got %s"):format(self.kind, fn, name, type(v)), 4) end
    return { v }
  end
  local ok, r = pcall(core().predict, self.kind, what, self.theta, t, arr(x, "frequency"), arr(tx, "recency"), arr(T, "T"))
  if not ok then error(self.kind .. ":" .. fn .. ": " .. tostring(r):gsub("^clv%.predict: ", ""), 3) end
  if scalar then return r[1] end
  return r
end

local function counting(self, fn)
  if self.kind == "gammagamma" then error("gammagamma:" .. fn .. ": a spend model has no purchase counts", 3) end
end

--- model:p_alive(frequency, recency, T) -> P(alive at T) (numbers or arrays)
function Model:p_alive(f, r, T) counting(self, "p_alive"); return vec(self, "p_alive", "p_alive", nil, f, r, T) end

--- model:expected(t) -> E[repeat purchases in (0, t]] for a new customer (t number or array)
function Model:expected(t) counting(self, "expected"); return vec(self, "expected", "expected", t) end

--- model:conditional_expected(t, frequency, recency, T) -> E[purchases in (T, T+t] | history]
function Model:conditional_expected(t, f, r, T)
  counting(self, "conditional_expected")
  return vec(self, "conditional_expected", "conditional_expected", t, f, r, T)
end

--- model:conditional_value(frequency, monetary) -> Gamma-Gamma E[spend per purchase | history]
--- (frequency 0: the population mean p gamma / (q - 1))
function Model:conditional_value(f, m)
  if self.kind ~= "gammagamma" then error(self.kind .. ":conditional_value: only the gammagamma model predicts spend", 2) end
  return vec(self, "conditional_value", "conditional_value", nil, f, m, nil)
end

-- checkpoint meta entries of one model under a key prefix ("" or "spend.")
local function to_meta(m, meta, pre)
  meta[pre .. "kind"], meta[pre .. "loglik"] = m.kind, m.ll
  meta[pre .. "converged"], meta[pre .. "reason"] = m.converged and 1 or 0, m.reason or ""
  meta[pre .. "n"], meta[pre .. "unit"] = m.n or 0, m.unit or ""
  for i = 1, #m.names do meta[pre .. "theta" .. i], meta[pre .. "se" .. i] = m.theta[i], m.se[i] end
end

local function from_meta(meta, pre, path)
  if not KINDS[meta[pre .. "kind"]] then error("clv.load: " .. path .. " is not a tide.clv model", 3) end
  local m = M.new(meta[pre .. "kind"])
  m.theta, m.se = {}, {}
  for i = 1, #m.names do
    m.theta[i], m.se[i] = meta[pre .. "theta" .. i], meta[pre .. "se" .. i]
    if type(m.theta[i]) ~= "number" then error("clv.load: " .. path .. ": parameter " .. m.names[i] .. " missing", 3) end
  end
  m.ll, m.converged, m.reason = meta[pre .. "loglik"], meta[pre .. "converged"] == 1, meta[pre .. "reason"]
  m.n, m.unit = meta[pre .. "n"], meta[pre .. "unit"] ~= "" and meta[pre .. "unit"] or nil
  return m
end

--- model:save(path [, extra]) — atomic, checksummed file; clv.load(path) restores it exactly.
--- extra (optional): {spend = a fitted gammagamma model stored alongside, meta = {key =
--- string|number} (e.g. the calibration end and column names the CLI needs to predict)}
function Model:save(path, extra)
  fitted(self, "save")
  if type(path) ~= "string" then error(self.kind .. ":save: path must be a string", 2) end
  extra = extra or {}
  local meta = { format = "tide.clv" }
  to_meta(self, meta, "")
  if extra.spend then
    if getmetatable(extra.spend) ~= Model or extra.spend.kind ~= "gammagamma" or not extra.spend.theta then
      error(self.kind .. ":save: extra.spend must be a fitted gammagamma model", 2)
    end
    to_meta(extra.spend, meta, "spend.")
  end
  for k, v in pairs(extra.meta or {}) do
    if type(v) ~= "string" and type(v) ~= "number" then error(self.kind .. ":save: extra.meta." .. tostring(k) .. " must be a string or number", 2) end
    meta["user." .. k] = v
  end
  require("tide").checkpoint.save(path, {}, meta)
end

--- load(path) -> model, {spend = gammagamma model or nil, meta = {...}}
function M.load(path)
  if type(path) ~= "string" then error("clv.load: path must be a string", 2) end
  local _, meta = require("tide").checkpoint.load(path)
  if meta.format ~= "tide.clv" then error("clv.load: " .. path .. " is not a tide.clv model", 2) end
  local extra = { meta = {} }
  if meta["spend.kind"] then extra.spend = from_meta(meta, "spend.", path) end
  for k, v in pairs(meta) do
    local u = k:match("^user%.(.+)$")
    if u then extra.meta[u] = v end
  end
  return from_meta(meta, "", path), extra
end

return M
