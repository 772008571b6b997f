-- test_model_io.lua — save/load of the baseline recommenders (pop, sar, profile), decay fits
-- and Hawkes laws: reloads score bit-identically, files are checksummed (a flipped byte is
-- refused with the file's name), wrong kinds and unfitted models give clear errors.
local tide = require "tide"
local check = require "check"
local R = require "reco_util"
local T = tide.tensor
local tests = {}

local USERS = { 1, 7, 42, 150, 3 } -- not a contiguous range: exercises the row-subset path

local function roundtrip(m, name)
  local p = R.path(name)
  m:save(p)
  local m2 = tide.models.load(p)
  check.eq(getmetatable(m2), getmetatable(m), name .. ": same class")
  check.truthy(R.same(m:score(USERS), m2:score(USERS)), name .. ": scores bit-identical")
  check.truthy(R.same(m:score(T.arange(1, 151, 1, "i32")), m2:score(T.arange(1, 151, 1, "i32"))),
    name .. ": all users bit-identical")
  check.truthy(R.same(m:topk(USERS, 10), m2:topk(USERS, 10)), name .. ": same top-10 (seen excluded)")
  -- saving the reloaded model writes the same bytes: nothing was lost or rounded
  m2:save(p .. ".2")
  check.truthy(R.slurp(p) == R.slurp(p .. ".2"), name .. ": resave is byte-identical")
  return m2
end

function tests.baselines_reload_exactly()
  local ev = R.log()
  roundtrip(tide.models.pop{ mode = "decay", half_life = 7 }:fit(ev), "pop_decay.tm")
  roundtrip(tide.models.pop{ mode = "recent", window = 5, weights = { buy = 3, cart = 2, browse = 1 } }:fit(ev), "pop_recent.tm")
  roundtrip(tide.models.pop{ mode = "all", reference = "user" }:fit(ev), "pop_user.tm")
  roundtrip(tide.models.sar{ half_life = 10, similarity = "lift", max_neighbors = 20 }:fit(ev), "sar.tm")
  roundtrip(tide.models.sar{ half_life = false }:fit(ev), "sar_nodecay.tm")
  local p = roundtrip(tide.models.profile{ half_life = 5, blend = 0.3 }:fit(ev), "profile.tm")
  check.eq(p.n_cat, 12, "profile categories restored")
  roundtrip(tide.models.profile{ reference = "user", weights = { 1, 1, 2, 2, 4 } }:fit(ev), "profile_user.tm")
end

function tests.model_file_errors()
  local ev = R.log()
  local p = R.path("corrupt.tm")
  tide.models.sar{}:fit(ev):save(p)
  local s = R.slurp(p)
  local mid = math.floor(#s / 2)
  R.spit(p, s:sub(1, mid - 1) .. string.char((s:byte(mid) + 1) % 256) .. s:sub(mid + 1))
  check.errors(function() tide.models.load(p) end, "corrupt.tm")
  check.errors(function() tide.models.load(R.path("missing.tm")) end, "models.load")
  check.errors(function() tide.models.load(42) end, "path must be a string")
  check.errors(function() tide.models.pop{}:save(R.path("x.tm")) end, "not fitted")
  -- a decay fit is not a recommender, and a recommender is not a decay fit
  local f = tide.decay.fit(ev, { family = "exponential", per = "global" })
  f:save(R.path("fit.tm"))
  check.errors(function() tide.models.load(R.path("fit.tm")) end, "decay_fit")
  check.errors(function() tide.decay.load(R.path("corrupt.tm")) end, "decay.load")
  -- a checkpoint that is not a Tide model file
  tide.checkpoint.save(R.path("ck.tm"), { w = T.ones({ 2 }) }, { kind = "pop" })
  check.errors(function() tide.models.load(R.path("ck.tm")) end, "not a Tide model file")
  check.errors(function() tide.models.sar{}:fit(ev):save("") end, "path must be a non-empty string")
end

local function same_fit(a, b, what)
  for _, k in ipairs({ "theta", "se", "half_life", "loglik", "status" }) do
    check.truthy(R.same(a[k], b[k]), what .. ": " .. k .. " identical")
  end
  for _, k in ipairs({ "family", "k", "per", "unit", "t_end", "n_series", "aic", "bic", "total_loglik" }) do
    check.eq(b[k], a[k], what .. ": " .. k)
  end
end

function tests.decay_fits_reload_exactly()
  local ev = R.log()
  local f = tide.decay.fit(ev, { family = "exponential", per = "user", min_gap = 1800 })
  f:save(R.path("fexp.tm"))
  local g = tide.decay.load(R.path("fexp.tm"))
  same_fit(f, g, "exponential per user")
  check.eq(g.prior.a[1], f.prior.a[1], "Gamma prior a"); check.eq(g.prior.b[1], f.prior.b[1], "Gamma prior b")
  check.truthy(R.same(f.mle_theta, g.mle_theta), "MLE before shrinkage")
  check.eq(g:value(3.5, 17), f:value(3.5, 17), "S(t) of a series")
  check.eq(g:params(4).half_life, f:params(4).half_life, "params")
  check.eq(tide.decay.forecast(g, 2, 1, 3, 5), tide.decay.forecast(f, 2, 1, 3, 5), "forecast")
  -- one Gamma prior per segment
  local seg = {}
  for u = 1, ev.n_users do seg[u] = 1 + u % 3 end
  local fs = tide.decay.fit(ev, { family = "exponential", per = "user", segment = T.fromtable(seg, "i32"), n_segments = 3 })
  fs:save(R.path("fseg.tm"))
  local gs = tide.decay.load(R.path("fseg.tm"))
  check.eq(#gs.prior.a, 3, "three priors")
  for i = 1, 3 do check.eq(gs.prior.a[i], fs.prior.a[i]); check.eq(gs.prior.b[i], fs.prior.b[i]) end
  check.truthy(R.same(fs.theta, gs.theta), "per-segment shrinkage")
  -- profiles weighted by the reloaded global law equal those from the original
  local w = tide.decay.fit(ev, { family = "weibull", per = "category", min_gap = 1800 })
  w:save(R.path("fweib.tm"))
  local w2 = tide.decay.load(R.path("fweib.tm"))
  same_fit(w, w2, "weibull per category")
  check.eq(w2.prior.prec, w.prior.prec, "Gaussian prior precision")
  check.eq(#w2.prior.theta, #w.prior.theta, "Gaussian prior centre")
  local gl = tide.decay.fit(ev, { family = "power", per = "global" })
  gl:save(R.path("fpow.tm"))
  local gl2 = tide.decay.load(R.path("fpow.tm"))
  check.eq(gl2.prior, nil, "no prior for a global fit")
  local p1 = tide.decay.profile(ev, { fit = gl, dense = true })
  local p2 = tide.decay.profile(ev, { fit = gl2, dense = true })
  check.truthy(R.same(p1, p2), "profile from the reloaded law")
end

function tests.hawkes_reload_exactly()
  local ev = R.log()
  local h = tide.decay.hawkes.fit_events(ev, { unit = "day", min_gap = 1800 })
  h:save(R.path("hawkes.tm"))
  local h2 = tide.decay.load(R.path("hawkes.tm"))
  for _, k in ipairs({ "mu", "alpha", "beta", "branching", "half_life", "loglik", "origin", "unit", "t_end" }) do
    check.eq(h2[k], h[k], "hawkes " .. k)
  end
  check.eq(h2.se.alpha, h.se.alpha, "standard error")
  check.eq(#h2.users, #h.users, "fitted users")
  check.eq(#h2.times, #h.times, "visit times")
  for i = 1, #h.times do if h2.times[i] ~= h.times[i] then error("time " .. i .. " differs") end end
  local a = h:prob_users(7)
  local b = h2:prob_users(7)
  check.truthy(R.same(a, b), "P(return within 7 days) identical")
  -- a single-sequence fit (no users) round-trips too
  local one = tide.decay.hawkes.fit({ 0, 0.5, 0.6, 2, 2.1, 2.15, 5, 7, 7.2 }, { t0 = 0, t1 = 10 })
  one:save(R.path("h1.tm"))
  local one2 = tide.decay.hawkes.load(R.path("h1.tm"))
  check.eq(one2.mu, one.mu); check.eq(one2.off, nil, "no sequences stored")
  check.eq(one2:intensity({ 0, 1, 2 }, 3), one:intensity({ 0, 1, 2 }, 3), "intensity")
  check.errors(function() tide.decay.hawkes.load(R.path("fexp.tm")) end, "not one of the kinds")
end

function tests.pack_f64_exact()
  local io = require "tide.models.io"
  local a = { 0, -0.0, 1 / 3, 1e308, -2.5e-310, math.pi * 1e10, 123456789.123456789 }
  local b = io.unpack_f64(io.pack_f64(a))
  for i = 1, #a do check.eq(b[i], a[i], "double " .. i) end
  check.eq(#io.unpack_f64(io.pack_f64({})), 0, "empty")
end

return tests
