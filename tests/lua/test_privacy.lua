-- test_privacy.lua — pseudonyms against HMAC-SHA256 digests computed with Python's hmac module,
-- noise moments against the mechanisms' scales, Gaussian calibration against scipy, the RDP
-- accountant against mpmath sums, budget refusal, k-anonymity counted by hand.
local tide = require "tide"
local check = require "check"
local T = tide.tensor
local P = tide.privacy

local tests = {}
local KEY = "0123456789abcdef-tide-key"

-- expected values: python3 -c 'hmac.new(KEY, id, hashlib.sha256).digest()[:16].hex()' and
-- int.from_bytes(digest[:8], "big") & (2**63 - 1)
function tests.pseudonyms_match_python_hmac()
  local p = P.pseudonymize({ "alice", 42, "bob", 3.5, "42" }, KEY)
  check.eq(p[1], "602abd4057938b13f01e59efdc5b3a0f", "alice")
  check.eq(p[2], "b354dce9660bacf2e05ef6e0d9a8600e", "42 as a number")
  check.eq(p[3], "315b427b79f5ea74ab602410dd029642", "bob")
  check.eq(p[4], "4a14b10d5765fc7c2edc319f7304cbe9", "3.5")
  check.eq(p[5], p[2], "42 as a string")
  local full = P.pseudonymize({ "alice" }, KEY, { bytes = 32 })[1]
  check.eq(#full, 64, "32-byte pseudonym")
  check.eq(full:sub(1, 32), p[1], "prefix")
  local i = P.pseudonymize({ "alice", "bob" }, KEY, { format = "i64" }):totable()
  check.near(i[1], 6929559060707773203, 1e-15, "alice i64")
  check.near(i[2], 3556509428833708660, 1e-15, "bob i64")
  check.truthy(P.pseudonymize({ "alice" }, KEY .. "x")[1] ~= p[1], "another key, another pseudonym")
end

function tests.pseudonymize_rejects_bad_input()
  check.errors(function() P.pseudonymize({ "a" }, "short") end, "at least 16 bytes")
  check.errors(function() P.pseudonymize({ "a", {} }, KEY) end, "ids[2] must be a string or a number")
  check.errors(function() P.pseudonymize("a", KEY) end, "ids must be an array")
  check.errors(function() P.pseudonymize({ 0 / 0 }, KEY) end, "not finite")
  check.errors(function() P.pseudonymize({ "a" }, KEY, { format = "int" }) end, "'hex' or 'i64'")
  check.errors(function() P.pseudonymize({ "a" }, KEY, { bytes = 4 }) end, "8..32")
end

local function strings_in(t, seen, out)
  seen = seen or {}; out = out or {}
  if seen[t] then return out end
  seen[t] = true
  for k, v in pairs(t) do
    for _, x in ipairs({ k, v }) do
      if type(x) == "string" then out[#out + 1] = x elseif type(x) == "table" then strings_in(x, seen, out) end
    end
  end
  return out
end

function tests.pseudonymize_events_keeps_ids_and_drops_names()
  local ev = tide.data.from_columns{ user = { "alice", "bob", "alice" }, item = { "x", "y", "x" } }
  local ev2 = P.pseudonymize_events(ev, KEY)
  check.eq(ev2.users:name(1), "602abd4057938b13f01e59efdc5b3a0f", "user 1")
  check.eq(ev2.users:name(2), "315b427b79f5ea74ab602410dd029642", "user 2")
  check.eq(ev2.n_users, 2, "n_users")
  check.all_near(ev2.user, { 1, 2, 1 }, 0, "user ids unchanged")
  check.eq(ev2.items:name(1), "x", "items untouched by default")
  check.eq(ev.users:name(1), "alice", "the input table is not modified")
  for _, s in ipairs(strings_in(ev2)) do
    check.truthy(not s:find(KEY, 1, true), "the key appears nowhere in the result")
  end
  for _, s in ipairs(ev2.users:names()) do check.truthy(s ~= "alice" and s ~= "bob", "no raw user name") end
  local ev3 = P.pseudonymize_events(ev, KEY, { columns = { "user", "item" } })
  check.truthy(ev3.items:name(1) ~= "x", "items pseudonymised on request")
  check.errors(function() P.pseudonymize_events(ev, KEY, { columns = { "time" } }) end, "unknown column 'time'")
end

function tests.key_from_file_and_env()
  local path = os.tmpname()
  local f = io.open(path, "wb"); f:write(KEY .. "\n"); f:close()
  check.eq(P.key{ file = path }, KEY, "file key without its newline")
  f = io.open(path, "wb"); f:write("tiny"); f:close()
  check.errors(function() P.key{ file = path } end, "at least 16 bytes")
  os.remove(path)
  check.errors(function() P.key{ file = path } end, "cannot read the key file")
  check.errors(function() P.key{ env = "TIDE_SURELY_UNSET_VARIABLE_X" } end, "is not set")
  local ffi = require "ffi"
  pcall(ffi.cdef, "int setenv(const char *name, const char *value, int overwrite);")
  ffi.C.setenv("TIDE_PRIVACY_TEST_KEY", KEY, 1)
  check.eq(P.key{ env = "TIDE_PRIVACY_TEST_KEY" }, KEY, "env key")
end

local function moments(xs)
  local s, s2, sa = 0, 0, 0
  for _, x in ipairs(xs) do s = s + x; s2 = s2 + x * x; sa = sa + math.abs(x) end
  local n = #xs
  return s / n, s2 / n - (s / n) ^ 2, sa / n
end

-- Laplace(b): mean 0, variance 2b^2, E|X| = b. With n = 2e5 and b = 2 the standard errors are
-- sqrt(8/n) = 0.0063 (mean), sqrt(20 b^4 / n) = 0.04 (variance), b/sqrt(n) = 0.0045 (E|X|);
-- the bounds are 5 standard errors.
function tests.laplace_noise_has_its_scale()
  T.manual_seed(11)
  local n, b = 200000, 2
  local zeros = {}
  for i = 1, n do zeros[i] = 0 end
  local x, scale = P.laplace(zeros, 1, 0.5)
  check.near(scale, b, 1e-12, "scale = sensitivity / epsilon")
  local m, v, a = moments(x)
  check.truthy(math.abs(m) < 0.032, "laplace mean " .. m)
  check.truthy(math.abs(v - 2 * b * b) < 0.2, "laplace variance " .. v)
  check.truthy(math.abs(a - b) < 0.023, "laplace E|X| " .. a)
  T.manual_seed(11)
  local y = P.laplace(zeros, 1, 0.5)
  check.eq(y[777], x[777], "same seed, same noise")
  check.truthy(type(P.laplace(10, 1, 1)) == "number", "a number in, a number out")
  local t = P.laplace(T.zeros({ 2, 3 }), 1, 1)
  check.eq(T.is_tensor(t) and #t:shape(), 2, "a tensor in, a tensor of the same shape out")
end

-- sigma for (sensitivity 1, epsilon 1, delta 1e-5): 3.730631634815946 by scipy brentq on
-- Balle & Wang's Theorem 8 condition; classic sqrt(2 ln(1.25/delta)) / epsilon.
function tests.gaussian_calibration_and_noise()
  check.near(P.gaussian_sigma(1, 1, 1e-5), 3.730631634815946, 1e-9, "analytic (1, 1, 1e-5)")
  check.near(P.gaussian_sigma(1, 0.5, 1e-6), 8.057618480725035, 1e-9, "analytic (1, 0.5, 1e-6)")
  check.near(P.gaussian_sigma(2, 3, 1e-5), 2.781186913349074, 1e-9, "analytic (2, 3, 1e-5)")
  check.near(P.gaussian_sigma(1, 0.1, 1e-5), 30.74956613197761, 1e-9, "analytic (1, 0.1, 1e-5)")
  check.near(P.gaussian_sigma(1, 0.5, 1e-6, "classic"), 2 * math.sqrt(2 * math.log(1.25e6)), 1e-12, "classic")
  check.errors(function() P.gaussian(1, 1, 2, 1e-5, { calibration = "classic" }) end, "epsilon < 1")
  T.manual_seed(5)
  local n = 100000
  local zeros = {}
  for i = 1, n do zeros[i] = 0 end
  local x, sigma = P.gaussian(zeros, 1, 1, 1e-5)
  local m, v = moments(x)
  -- standard errors: sigma/sqrt(n) = 0.0118 (mean), sigma^2 sqrt(2/n) = 0.062 (variance)
  check.truthy(math.abs(m) < 0.06, "gaussian mean " .. m)
  check.truthy(math.abs(v - sigma * sigma) < 0.31, "gaussian variance " .. v)
  check.errors(function() P.gaussian(1, 1, 1, 0) end, "delta must be a number in (0, 1)")
  check.errors(function() P.gaussian(1, -1, 1, 1e-5) end, "sensitivity must be a finite number > 0")
  check.errors(function() P.laplace("x", 1, 1) end, "value must be a number")
  check.errors(function() P.laplace({ 1, "a" }, 1, 1) end, "value[2] must be a number")
end

function tests.budget_refuses_when_exhausted()
  local b = P.budget{ epsilon = 1, delta = 1e-5 }
  for i = 1, 10 do P.laplace(5, 1, 0.1, { budget = b, label = "count " .. i }) end
  local e, d = b:spent()
  check.near(e, 1, 1e-12, "ten releases of 0.1")
  check.eq(#b.releases, 10, "ledger")
  local err = check.errors(function() P.laplace(5, 1, 0.01, { budget = b, label = "extra" }) end,
    "release 'extra' refused")
  check.truthy(err:find("spent epsilon 1 of 1", 1, true) and err:find("remaining 0", 1, true), err)
  check.eq(#b.releases, 10, "a refused release is not charged")
  local b2 = P.budget{ epsilon = 2, delta = 1e-5 }
  P.gaussian(1, 1, 0.5, 6e-6, { budget = b2, label = "g1" })
  err = check.errors(function() P.gaussian(1, 1, 0.5, 6e-6, { budget = b2, label = "g2" }) end, "refused")
  check.truthy(err:find("delta", 1, true), "names delta")
  local re, rd = b2:remaining()
  check.near(re, 1.5, 1e-12, "remaining epsilon")
  check.near(rd, 4e-6, 1e-9, "remaining delta")
  local pure = P.budget{ epsilon = 1 }
  check.errors(function() P.gaussian(1, 1, 0.5, 1e-6, { budget = pure }) end, "refused")
  check.errors(function() P.budget{ epsilon = 0 } end, "epsilon must be a finite number > 0")
  check.errors(function() P.budget{ epsilon = 1, eps = 1 } end, "unknown option 'eps'")
  check.errors(function() P.laplace(1, 1, 1, { budget = {} }) end, "opts.budget must come from privacy.budget")
  check.truthy(tostring(b2):find("privacy budget", 1, true), "tostring")
end

function tests.k_anonymity_by_hand()
  local rows = {
    { zip = "100", age = "30-39", sex = "F" }, { zip = "100", age = "30-39", sex = "F" },
    { zip = "100", age = "30-39", sex = "M" }, { zip = "200", age = "20-29", sex = "F" },
    { zip = "200", age = "20-29", sex = "F" }, { zip = "200", age = "20-29", sex = "F" },
  }
  local r = P.k_anonymity(rows, { "zip", "age" })
  check.eq(r.k, 3, "two classes of 3")
  check.eq(r.classes, 2, "classes")
  r = P.k_anonymity(rows, { "zip", "age", "sex" })
  check.eq(r.k, 1, "the lone male")
  check.eq(#r.offending, 1, "one offending class")
  check.eq(r.offending[1].values[3], "M", "offending values")
  r = P.k_anonymity(rows, { "zip", "age", "sex" }, { k = 3 })
  check.eq(#r.offending, 2, "classes below 3: {100,30-39,M} (1) and {100,30-39,F} (2)")
  check.eq(r.offending[1].count, 1, "sorted by count")
  check.eq(r.offending[2].count, 2, "sorted by count")
  local cols = { zip = { 1, 1, 2 }, city = { "a", "a", "b" } }
  r = P.k_anonymity(cols, { "zip", "city" })
  check.eq(r.k, 1, "columnar")
  check.eq(r.n, 3, "columnar rows")
  -- "1" and 1 are different values; a separator inside a value cannot merge classes
  r = P.k_anonymity({ { a = "x\1y", b = "z" }, { a = "x", b = "y\1z" } }, { "a", "b" })
  check.eq(r.classes, 2, "no key collision")
  check.eq(P.k_anonymity({}, { "a" }).k, 0, "empty table")
  check.errors(function() P.k_anonymity(rows, {}) end, "non-empty array")
  check.errors(function() P.k_anonymity({ { a = {} } }, { "a" }) end, "row 1 column 'a' is a table")
  check.errors(function() P.k_anonymity({ zip = { 1 }, city = { 1, 2 } }, { "zip", "city" }) end, "has 2 rows")
end

return tests
