-- test_decay_response_marked.lua — the marked response kernel λ_{u,k} = λ_u · π_{u,k}: the mark
-- likelihood against a brute-force sum over the history (ties and a delay included), its
-- gradient against finite differences, the scoring state against brute force, recovery of
-- planted preference parameters from a simulated log, expectations that never peek past t,
-- the "marked" row of response_eval, and clear errors.
local check = require "check"
local tide = require "tide"
local T = tide.tensor
local D = tide.core.decay

local tests = {}
local DAY = 86400

-- a small user-major log: per user, time-sorted events {time, key, type, target}
local function random_log(seed, n_users, K, ties)
  math.randomseed(seed)
  local users = {}
  for u = 1, n_users do
    local ev, t = {}, 0
    for _ = 1, 3 + math.floor(math.random() * 12) do
      if not (ties and math.random() < 0.3) then t = t + math.random() * 3 end -- 30 %: same time as the last
      local ty = math.random() < 0.5 and 1 or (math.random() < 0.5 and 2 or 3)
      ev[#ev + 1] = { t, 1 + math.floor(math.random() * K), ty, ty == 3 and 1 or 0 }
    end
    users[u] = ev
  end
  return users
end

local function data_of(users, K, delay, t0)
  local off, time, key, ty, tg, prior = { 0 }, {}, {}, {}, {}, {}
  for _, ev in ipairs(users) do
    for _, e in ipairs(ev) do
      time[#time + 1], key[#key + 1], ty[#ty + 1], tg[#tg + 1] = e[1], e[2], e[3], e[4]
    end
    off[#off + 1] = #time
  end
  local s = 0
  for k = 1, K do prior[k] = k; s = s + k end
  for k = 1, K do prior[k] = prior[k] / s end
  return { off = T.fromtable(off, "i64"), time = time, key = T.fromtable(key, "i32"), type = T.fromtable(ty, "i32"),
           target = T.fromtable(tg, "i32"), n_types = 3, ref = 3, prior = prior, delay = delay or 0, t0 = t0 }, prior
end

-- π_{u,k}(t) straight from the definition (decay_mark.h), over interactions with t_i + delay < t
local function share(ev, k, t, par, prior, delay)
  local beta, alpha, phi, w = par[1], par[2], par[3], { par[4], par[5], par[6] }
  local A, B = alpha * prior[k], alpha
  for _, e in ipairs(ev) do
    if e[1] + delay < t then
      local x = w[e[3]] * (math.exp(-beta * (t - e[1])) + phi)
      B = B + x
      if e[2] == k then A = A + x end
    end
  end
  return A / B
end

local function brute_loglik(users, par, prior, delay, t0)
  local ll = 0
  for _, ev in ipairs(users) do
    for _, e in ipairs(ev) do
      if e[4] == 1 and e[1] >= (t0 or -math.huge) then ll = ll + math.log(share(ev, e[2], e[1], par, prior, delay)) end
    end
  end
  return ll
end

function tests.loglik_equals_the_definition_with_ties_and_a_delay()
  local users = random_log(3, 25, 6, true)
  local par = { 0.4, 1.7, 0.15, 0.6, 2.2, 1 }
  for _, delay in ipairs({ 0, 0.8 }) do
    for _, t0 in ipairs({ -math.huge, 5 }) do
      local d, prior = data_of(users, 6, delay, t0 > -math.huge and t0 or nil)
      local ll, _, n = D.mark_loglik(d, par)
      check.near(ll, brute_loglik(users, par, prior, delay, t0), 1e-9, ("delay %g, t0 %g"):format(delay, t0))
      check.truthy(n > 0, "marks counted")
    end
  end
end

function tests.gradient_matches_finite_differences()
  local users = random_log(5, 30, 5, true)
  local d = data_of(users, 5, 0.5)
  local par = { 0.3, 0.9, 0.2, 0.7, 1.6, 1 }
  local _, g = D.mark_loglik(d, par)
  -- free parameters: log β, log α, log φ, log w1, log w2 (w3, the target's, is fixed at 1)
  local idx = { 1, 2, 3, 4, 5 }
  for j, i in ipairs(idx) do
    local h = 1e-6
    local p1, p2 = {}, {}
    for q = 1, #par do p1[q], p2[q] = par[q], par[q] end
    p1[i], p2[i] = par[i] * math.exp(h), par[i] * math.exp(-h)
    local fd = (D.mark_loglik(d, p1) - D.mark_loglik(d, p2)) / (2 * h)
    check.near(g[j], fd, 1e-5 * math.max(1, math.abs(fd)), "d/d log par " .. i)
  end
end

-- 32 types: 34 free parameters, past the 32 × 32 that the shared matrix inverse once held (a
-- stack overflow under ASan); types that never occur are kept finite by the ridge
function tests.fit_takes_the_largest_type_count()
  local users = random_log(9, 40, 5, false)
  local d = data_of(users, 5, 0)
  d.n_types = 32
  local par = { 0.3, 1, 0.1 }
  for c = 1, 32 do par[3 + c] = 1 end
  local p, se, ll, _, n = D.mark_fit(d, par, 50)
  check.eq(#p, 35, "parameters")
  check.eq(#se, 35, "standard errors")
  check.truthy(ll < 0 and n > 0, "a likelihood over the marks")
  for i = 1, 35 do check.truthy(p[i] > 0 and p[i] < math.huge, "finite parameter " .. i) end
end

function tests.state_equals_the_definition()
  local users = random_log(7, 12, 5, true)
  local d, prior = data_of(users, 5, 0.4)
  local par = { 0.25, 1.3, 0.1, 0.5, 2, 1 }
  local t = 11
  for _, h in ipairs({ 0, 6 }) do
    local user, key, sh, rows, visits = D.mark_state(d, par, t, h)
    local u, k, s = user:totable(), key:totable(), sh:totable()
    local seen = {}
    for q = 1, #u do
      local before = {} -- scoring sees every interaction before t (the delay guards marks, not forecasts)
      for _, e in ipairs(users[u[q]]) do if e[1] < t then before[#before + 1] = e end end
      local want = share(before, k[q], t, par, prior, 0)
      if h > 0 then -- the mean over [t, t + h] with no new events, by a fine midpoint rule
        want = 0
        for i = 1, 2000 do want = want + share(before, k[q], t + h * (i - 0.5) / 2000, par, prior, 0) / 2000 end
      end
      check.near(s[q], want, 1e-6, ("share, horizon %g"):format(h))
      seen[u[q] .. ":" .. k[q]] = true
    end
    for uu, ev in ipairs(users) do
      local r, v, prev = 0, 0, nil
      for _, e in ipairs(ev) do
        if e[1] < t then
          if not seen[uu .. ":" .. e[2]] then error("pair missing from the state") end
          local x = math.exp(-par[1] * (t - e[1]))
          r = r + e[4] * x
          if not prev or e[1] - prev > 0.4 then v = v + x end
          prev = e[1]
        end
      end
      check.near(rows:get(uu), r, 1e-5, "decayed target rows")
      check.near(visits:get(uu), v, 1e-5, "decayed visits")
    end
  end
end

-- a log whose keys are drawn from π itself: browse (type 1) and buy (type 2), target buy
local function planted(seed, n_users, K, truth)
  math.randomseed(seed)
  local beta, alpha, phi, w = truth.beta, truth.alpha, truth.phi, { truth.w_browse, 1 }
  local prior = {}
  for k = 1, K do prior[k] = 1 / K end
  local U, I, Tm, E = {}, {}, {}, {}
  for u = 1, n_users do
    local S, N, last, t = {}, {}, 0, 0
    for k = 1, K do S[k], N[k] = 0, 0 end
    while true do
      t = t + -math.log(1 - math.random()) / 0.8
      if t > 150 then break end
      local e = math.exp(-beta * (t - last))
      local B = alpha
      for k = 1, K do S[k] = S[k] * e; B = B + S[k] + phi * N[k] end
      last = t
      local x, acc, key = math.random() * B, 0, K
      for k = 1, K do
        acc = acc + S[k] + phi * N[k] + alpha * prior[k]
        if x < acc then key = k; break end
      end
      local ty = math.random() < 0.4 and 2 or 1
      S[key], N[key] = S[key] + w[ty], N[key] + w[ty]
      U[#U + 1], I[#I + 1], Tm[#Tm + 1], E[#E + 1] = u, key, math.floor(t * DAY), ty == 2 and "buy" or "browse"
    end
  end
  return tide.data.from_columns{ user = U, item = I, time = Tm, event = E }
end

function tests.recovers_planted_preference_parameters()
  local truth = { beta = math.log(2) / 10, alpha = 3, phi = 0.15, w_browse = 0.5 }
  local ev = planted(11, 400, 12, truth)
  local f = tide.decay.response.fit_marked(ev, { key = "item", delay = 0 })
  check.truthy(f.converged, "converged")
  local function within(est, se, true_v, what)
    check.truthy(se > 0 and math.abs(est - true_v) < 4 * se,
      ("%s: %.4g ± %.3g, true %.4g"):format(what, est, se, true_v))
  end
  within(f.beta, f.se_beta, truth.beta, "beta")
  within(f.alpha, f.se_alpha, truth.alpha, "alpha")
  within(f.floor, f.se_floor, truth.phi, "floor")
  within(f.weights.browse, f.se_weights.browse, truth.w_browse, "browse weight")
  check.eq(f.weights.buy, 1)
  check.truthy(f.n_marks > 1000, "marks fitted: " .. f.n_marks)
end

-- tide.sim's visit process is a Hawkes process (background μ, kernel n·β·e^{−βt}); with one
-- segment of fixed parameters and no churn, the ground kernel must find it. Offspring within a
-- visit's gap merge into it: the ground's dead time equal to the gap keeps β unbiased, and the
-- observed branching is n·e^{−β·gap}.
function tests.ground_recovers_the_simulators_visit_kernel()
  local out = os.tmpname() .. ".csv.gz"
  local mu, n, beta = 0.2, 0.4, 2
  tide.sim.generate{ users = 800, seed = 5, decay = "exponential", hawkes = true, churn = false, join_spread = 0,
    horizon = 120, out = out, truth = false, segments = { { weight = 1, rate_shape = 1e9, rate_rate = 1e9 / mu,
    branching = n, beta = beta, branching_conc = 1e9, beta_shape = 1e9 } } }
  local ev = tide.data.read_events(out, "sim")
  os.remove(out)
  local f = tide.decay.response.fit_marked(ev, { key = "category", family = "exponential", frailty = false, se = true })
  local g = f.ground
  local gap = f.delay
  local function within(est, se, want, what)
    check.truthy(se > 0 and math.abs(est - want) < 3.5 * se, ("%s: %.4g ± %.3g, true %.4g"):format(what, est, se, want))
  end
  within(g.mu, g.se_mu, mu, "background rate")
  within(g.theta[1], g.se_theta[1], beta, "kernel rate")
  within(g.weights.buy, g.se_weights.buy, n * math.exp(-beta * gap), "observed branching")
end

function tests.expected_never_peeks_past_t()
  local ev = planted(13, 80, 6, { beta = 0.1, alpha = 2, phi = 0.1, w_browse = 0.5 })
  local f = tide.decay.response.fit_marked(ev, { key = "item" })
  local t = ev.time:min():item() + 100 * DAY
  local a = f:expected(ev, t, 14)
  local b = f:expected(ev:filter(ev.time:lt(t)), t, 14)
  check.eq(a.user:numel(), b.user:numel(), "same pairs")
  local sa, sb = a.score:totable(), b.score:totable()
  for i = 1, #sa do
    check.near(sa[i], sb[i], 1e-6 * math.max(1, sa[i]), "score " .. i)
    check.truthy(sa[i] >= 0, "non-negative")
  end
  -- every scored pair was touched before t
  local touched = {}
  local u, it, tm = ev.user:totable(), ev.item:totable(), ev.time:totable()
  for i = 1, #u do if tm[i] < t then touched[u[i] .. ":" .. it[i]] = true end end
  local au, ak = a.user:totable(), a.key:totable()
  for i = 1, #au do check.truthy(touched[au[i] .. ":" .. ak[i]], "pair touched before t") end
end

function tests.response_eval_has_a_marked_row()
  local ev = planted(17, 100, 8, { beta = 0.1, alpha = 2, phi = 0.1, w_browse = 0.5 })
  local rows = require("tide.decay.response_eval").evaluate(ev, { methods = { "none", { "marked", family = "exponential" } }, horizon = 14 })
  check.eq(rows[2].method, "marked")
  check.truthy(rows[2].f1 >= 0 and rows[2].f1 <= 1, "an F1")
end

function tests.save_load_round_trip_scores_identically()
  local ev = planted(23, 80, 6, { beta = 0.1, alpha = 2, phi = 0.1, w_browse = 0.5 })
  local f = tide.decay.response.fit_marked(ev, { key = "item", family = "exponential" })
  local path = os.tmpname()
  f:save(path)
  local g = tide.decay.load(path)
  for _, k in ipairs({ "beta", "alpha", "floor", "se_alpha", "loglik", "rows_per_visit", "rows_prior", "delay" }) do
    check.eq(g[k], f[k], k)
  end
  check.eq(g.weights.browse, f.weights.browse, "weight")
  check.eq(g.ground.mu, f.ground.mu, "ground mu")
  local t = ev.time:max():item() + 1
  local a, b = f:expected(ev, t, 14), g:expected(ev, t, 14)
  check.all_near(b.score, a.score:totable(), 0, "scores (bit for bit)")
  -- a truncated file is refused by name
  local h = io.open(path, "rb")
  local bytes = h:read("*a")
  h:close()
  h = io.open(path, "wb")
  h:write(bytes:sub(1, math.floor(#bytes / 2)))
  h:close()
  check.errors(function() tide.decay.load(path) end, path)
  os.remove(path)
end

function tests.interest_model_scores_with_the_marked_kernel_and_reloads()
  local ev = planted(29, 80, 6, { beta = 0.1, alpha = 2, phi = 0.1, w_browse = 0.5 })
  local m = tide.models.interest{ marked = true, family = "exponential" }
  m:fit(ev)
  check.eq(getmetatable(m.law), require("tide.decay.response_marked").Marked, "a marked law")
  local users = T.fromtable({ 1, 2, 3 }, "i32")
  local s = m:score(users)
  check.eq(s:size(1), 3)
  -- the pair scores are the law's expectations (plus the popularity tie-break)
  local e = m.law:expected(ev, ev.time:max():item() + 1, 14)
  local eu, ek, es = e.user:totable(), e.key:totable(), e.score:totable()
  for i = 1, #eu do
    if eu[i] <= 3 then check.near(s:get(eu[i], ek[i]), es[i], 1e-5 + 1e-5 * es[i], "pair score") end
  end
  local path = os.tmpname()
  m:save(path)
  local r = tide.models.load(path)
  check.all_near(r:score(users), s:totable(), 0, "reloaded scores (bit for bit)")
  os.remove(path)
  check.errors(function() tide.models.interest{ marked = "yes" } end, "marked must be true or false")
end

function tests.rate_prior_recovers_a_planted_gamma_shape()
  math.randomseed(31)
  local a, m, R, V = 2, 3, {}, {}
  for u = 1, 4000 do
    V[u] = 1 + math.floor(math.random() * 10)
    local rho = (-math.log(1 - math.random()) - math.log(1 - math.random())) * m / a -- Gamma(2, a/m)
    local L, k, p = math.exp(-rho * V[u]), 0, math.random()
    while p > L do k = k + 1; p = p * math.random() end -- Poisson(ρV), Knuth
    R[u] = k
  end
  local mf, af = require("tide.decay.response_marked").rate_prior(R, V)
  check.near(mf, m, 0.1, "population rate")
  check.truthy(math.abs(af - a) < 0.3, "shape: " .. af)
  local _, big = require("tide.decay.response_marked").rate_prior({ 3, 3, 3, 3 }, { 1, 1, 1, 1 })
  check.truthy(big > 1e3, "no spread between users: the prior takes over (" .. big .. ")")
end

function tests.bad_input_is_named()
  local ev = planted(19, 20, 4, { beta = 0.1, alpha = 2, phi = 0.1, w_browse = 0.5 })
  local F = tide.decay.response.fit_marked
  check.errors(function() F(ev, { colour = 1 }) end, "unknown option 'colour'")
  check.errors(function() F(ev, { key = "brand" }) end, "no 'brand' column")
  check.errors(function() F(ev, { target = "cart" }) end, "no 'cart' events")
  check.errors(function() F(ev, { target = "sell" }) end, "unknown target event 'sell'")
  check.errors(function() F(ev, { delay = -1 }) end, "delay must be a number")
  check.errors(function() F(ev, { half_life = 0 }) end, "half_life must be")
  check.errors(function() F(ev, { unit = "fortnight" }) end, "unit must be")
  check.errors(function() F(ev:filter(ev.time:lt(0)), {}) end, "empty")
  local users = random_log(3, 4, 3, false)
  local d = data_of(users, 3, 0)
  d.prior = { 0.5, 0.2, 0.2 }
  check.errors(function() D.mark_loglik(d, { 0.1, 1, 0.1, 1, 1, 1 }) end, "sum to")
  d = data_of(users, 3, 0)
  check.errors(function() D.mark_loglik(d, { 0.1, -1, 0.1, 1, 1, 1 }) end, "must be finite and > 0")
  check.errors(function() D.mark_loglik(d, { 0.1, 1, 0.1 }) end, "par has 3 values")
  d.time[2], d.time[1] = d.time[1], d.time[2] + 1
  check.errors(function() D.mark_loglik(d, { 0.1, 1, 0.1, 1, 1, 1 }) end, "not sorted by time")
end

return tests
