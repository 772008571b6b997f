-- tide.privacy — keyed pseudonymisation of ids, differentially private releases of
-- aggregates with a budget, k-anonymity checks, and DP-SGD (tide.privacy.sgd).
--
--   local key = tide.privacy.key{env = "TIDE_PSEUDONYM_KEY"}     -- or {file = path}
--   local ev2 = tide.privacy.pseudonymize_events(ev, key)        -- user names -> pseudonyms
--   local b = tide.privacy.budget{epsilon = 1, delta = 1e-5}
--   local n = tide.privacy.laplace(count, 1, 0.5, {budget = b, label = "buyers"})
--
-- Pseudonyms are HMAC-SHA256(key, id) (engine/hash_sha256.c): stable for one key, unlinkable
-- without it. The key is held by the user (a file or an environment variable) and is never
-- written into any returned table or file. Noise comes from Tide's seeded generator
-- (tide.tensor.manual_seed), so tests are reproducible; seed from a secret source for a real
-- release. See engine/dp.h for the mechanisms' papers and the floating-point caveat.
local tide = require "tide"
local core = tide.core.privacy
local T = tide.tensor
local Budget = require "tide.privacy.budget"

local M = {}

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error("privacy.key: cannot read the key file: " .. tostring(err), 3) end
  local s = f:read("*a")
  f:close()
  return (s:gsub("[\r\n]+$", ""))
end

--- key(spec) -> key string. spec: {file = path} (trailing newlines dropped), {env = NAME},
--- or nothing (the environment variable TIDE_PSEUDONYM_KEY). Keys shorter than 16 bytes are
--- refused (generate one with `head -c 32 /dev/urandom | base64 > key`).
function M.key(spec)
  spec = spec or { env = "TIDE_PSEUDONYM_KEY" }
  if type(spec) ~= "table" then error("privacy.key: expected {file = path} or {env = NAME}", 2) end
  local k
  if spec.file then
    k = read_file(spec.file)
  elseif spec.env then
    k = os.getenv(spec.env)
    if not k then error("privacy.key: environment variable " .. spec.env .. " is not set", 2) end
  else
    error("privacy.key: expected {file = path} or {env = NAME}", 2)
  end
  if #k < 16 then error(("privacy.key: the key must be at least 16 bytes, got %d"):format(#k), 2) end
  return k
end

--- pseudonymize(ids, key [, opts]) -> pseudonyms, in the order of ids. ids: an array of strings
--- and/or numbers (an integer-valued number and its decimal string map to the same pseudonym).
--- opts.format = "hex" (default): strings of 2*opts.bytes hex digits (bytes 8..32, default 16 =
--- 128 bits, collisions negligible); "i64": an i64 tensor of non-negative 63-bit integers
--- (collision chance about n^2 / 2^64).
function M.pseudonymize(ids, key, opts)
  if type(ids) ~= "table" then error("privacy.pseudonymize: ids must be an array, got " .. type(ids), 2) end
  opts = opts or {}
  local fmt = opts.format or "hex"
  if fmt == "hex" then return core.pseudonymize(ids, key, opts.bytes or 16) end
  if fmt == "i64" then return core.pseudonymize_i64(ids, key) end
  error("privacy.pseudonymize: opts.format must be 'hex' or 'i64', got " .. tostring(fmt), 2)
end

--- pseudonymize_events(ev, key [, opts]) -> a new event table whose id names (interners) are
--- pseudonyms; ids, columns and counts are unchanged. opts.columns: which of "user", "item",
--- "category" (default {"user"}). Call it right after tide.data.read_events, before anything is
--- saved: the raw names then never reach a prepared dataset or a report.
function M.pseudonymize_events(ev, key, opts)
  if type(ev) ~= "table" or not ev.user then error("privacy.pseudonymize_events: expected an event table", 2) end
  opts = opts or {}
  local D = tide.core.data
  local out = {}
  for k, v in pairs(ev) do out[k] = v end
  local plural = { user = "users", item = "items", category = "categories" }
  for _, col in ipairs(opts.columns or { "user" }) do
    local field = plural[col]
    if not field then error("privacy.pseudonymize_events: unknown column '" .. tostring(col) .. "'", 2) end
    if ev[field] then
      local names = ev[field]:names()
      local p = core.pseudonymize(names, key, opts.bytes or 16)
      local I = D.interner(#p)
      for i = 1, #p do
        if I:add(p[i]) ~= i then error("privacy.pseudonymize_events: two " .. col .. " ids got the same pseudonym", 2) end
      end
      out[field] = I
    end
  end
  return setmetatable(out, getmetatable(ev))
end

--- budget{epsilon =, delta =} -> accountant (see tide.privacy.budget).
M.budget = Budget.new

-- value: number, array of numbers or tensor -> values as doubles, and how to rebuild the kind
local function unpack_value(v, fn)
  if type(v) == "number" then return { v }, function(t) return t[1] end end
  if T.is_tensor(v) then
    local shape = v:shape()
    return v:contiguous():reshape({ -1 }):totable(), function(t) return T.fromtable(t):reshape(shape) end
  end
  if type(v) == "table" then
    for i = 1, #v do
      if type(v[i]) ~= "number" then error(("%s: value[%d] must be a number"):format(fn, i), 3) end
    end
    return v, function(t) return t end
  end
  error(fn .. ": value must be a number, an array of numbers or a tensor, got " .. type(v), 3)
end

local function check_pos(x, fn, what)
  if type(x) ~= "number" or not (x > 0) or x == math.huge then
    error(("%s: %s must be a finite number > 0, got %s"):format(fn, what, tostring(x)), 3)
  end
end

local function release(fn, kind, value, scale, eps, delta, opts)
  local vals, rebuild = unpack_value(value, fn)
  if opts.budget then
    if not Budget.is_budget(opts.budget) then error(fn .. ": opts.budget must come from privacy.budget", 3) end
    local ok, err = pcall(opts.budget.spend, opts.budget, eps, delta, opts.label or fn)
    if not ok then error(err, 3) end
  end
  local noise = core.noise(kind, #vals, scale)
  local out = {}
  for i = 1, #vals do out[i] = vals[i] + noise[i] end
  return rebuild(out), scale
end

--- laplace(value, sensitivity, epsilon [, opts]) -> noisy value, scale. The Laplace mechanism
--- (Dwork, McSherry, Nissim & Smith 2006): noise Laplace(0, sensitivity/epsilon) per
--- coordinate; sensitivity is the L1 sensitivity of the whole value. opts.budget: charged
--- epsilon first (refused when exhausted); opts.label names the release in the ledger.
function M.laplace(value, sens, eps, opts)
  local fn = "privacy.laplace"
  check_pos(sens, fn, "sensitivity"); check_pos(eps, fn, "epsilon")
  return release(fn, "laplace", value, sens / eps, eps, 0, opts or {})
end

--- gaussian(value, sensitivity, epsilon, delta [, opts]) -> noisy value, sigma. The Gaussian
--- mechanism with L2 sensitivity; sigma from the analytic calibration of Balle & Wang (2018)
--- by default, or opts.calibration = "classic" (Dwork & Roth 2014, Thm A.1; epsilon < 1).
--- opts.budget / opts.label as for laplace.
function M.gaussian(value, sens, eps, delta, opts)
  local fn = "privacy.gaussian"
  opts = opts or {}
  check_pos(sens, fn, "sensitivity"); check_pos(eps, fn, "epsilon")
  if type(delta) ~= "number" or not (delta > 0 and delta < 1) then
    error(fn .. ": delta must be a number in (0, 1), got " .. tostring(delta), 2)
  end
  local cal = opts.calibration or "analytic"
  if cal ~= "analytic" and cal ~= "classic" then
    error(fn .. ": opts.calibration must be 'analytic' or 'classic', got " .. tostring(cal), 2)
  end
  local sigma = M.gaussian_sigma(sens, eps, delta, cal)
  return release(fn, "gaussian", value, sigma, eps, delta, opts)
end

--- gaussian_sigma(sensitivity, epsilon, delta [, calibration]) -> the noise standard deviation.
function M.gaussian_sigma(sens, eps, delta, cal)
  return core.gauss_sigma(sens, eps, delta, (cal or "analytic") == "analytic")
end

--- k_anonymity(rows, columns [, opts]) -> {k, classes, n, offending} (tide.privacy.kanon).
M.k_anonymity = require("tide.privacy.kanon").k_anonymity

--- rdp_epsilon{q =, noise_multiplier =, steps =, delta = [, orders =]} -> epsilon, order: the
--- (epsilon, delta) spent by `steps` sampled-Gaussian steps (see tide.privacy.sgd).
function M.rdp_epsilon(o) return require("tide.privacy.sgd").epsilon(o) end

return M
