-- bench_response_oracle.lua — investigation: on logs simulated from a known marked Hawkes model
-- (tests/lua/response_sim.lua), does the model's own score, under the TRUE planted parameters,
-- beat no decay with response_eval's selection protocol? Rows: none (count of past
-- interactions), fit (response kernel fitted on the training log), oracle (expected target
-- actions in the horizon under the planted parameters). For each: F1 chosen on the validation
-- window, then test F1 when the choice carries over by threshold and by share, and (diagnostic
-- only, never used for a choice) the best F1 any threshold reaches on the test window.
-- Usage: luajit tests/bench/bench_response_oracle.lua [seeds (default 3)]
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local sim = require "response_sim"
local E = require "tide.decay.response_eval"
local S = require "tide.metrics.sets"
local R = tide.decay.response
local DAY, H = 86400, 14
local W = { [1] = 0.1, [3] = 0.6, [5] = 0.3 }
local n_seeds = tonumber(arg[1]) or 3

local cases = {
  { name = "exponential 0.25/day", family = "exponential", p = 1, b1 = 0.25, b2 = 1, theta = { 0.25 } },
  { name = "mixture 40/day + 0.05/day", family = "mixture", p = 0.5, b1 = 40, b2 = 0.05, theta = { 0.5, 0.5, 40, 0.05 } },
}

-- the planted law as a Fit (same fields as a fitted one, so Fit:expected scores with it)
local function oracle(f, c)
  local o = setmetatable({}, R.Fit)
  for k, v in pairs(f) do o[k] = v end
  o.mu, o.theta, o.weights = 0.002, c.theta, { browse = W[1], cart = W[3], buy = W[5] }
  return o
end

-- at: the decision time (default, as response_eval does: one second after the last event)
local function cands_of(law, train, at)
  local e = law:expected(train, at or train.time:max():item() + 1, H)
  local u, k, s = e.user:totable(), e.key:totable(), e.score:totable()
  local out = {}
  for i = 1, #u do
    out[u[i]] = out[u[i]] or {}
    table.insert(out[u[i]], { k[i], s[i] })
  end
  return out
end

-- P(at least one action) = 1 − exp(−(a + b·score)), a, b > 0, fitted by maximum likelihood on
-- the validation labels of the top-k candidates (complementary log-log link: the Poisson
-- chance of a first event when the score is an expected count)
local function calibrate(cands, truth, k)
  local s, y, m = {}, {}, 0
  for u, list in pairs(cands) do
    table.sort(list, function(x, z) return x[2] > z[2] end)
    for i = 1, math.min(k, #list) do
      s[#s + 1], y[#y + 1] = list[i][2], truth[u] and truth[u][list[i][1]] and 1 or 0
      m = m + list[i][2]
    end
  end
  local scale = m / #s
  local function nll(x)
    local a, b, f, ga, gb = math.exp(x[1]), math.exp(x[2]), 0, 0, 0
    for i = 1, #s do
      local eta = a + b * s[i] / scale
      local d
      if y[i] == 1 then f = f - math.log(1 - math.exp(-eta)); d = -1 / (math.exp(eta) - 1)
      else f = f + eta; d = 1 end
      ga, gb = ga + d * a, gb + d * b * s[i] / scale
    end
    return f, { ga, gb }
  end
  local x = tide.lbfgs.minimize(nll, { math.log(0.1), math.log(0.1) })
  local a, b = math.exp(x[1]), math.exp(x[2]) / scale
  local n_out = 0 -- true pairs outside the top-k candidates
  local inc = {}
  for u, list in pairs(cands) do for i = 1, math.min(k, #list) do inc[u .. ":" .. list[i][1]] = true end end
  for u, row in pairs(truth) do if type(u) == "number" then for key in pairs(row) do if not inc[u .. ":" .. key] then n_out = n_out + 1 end end end end
  return a, b, n_out
end

-- the top-k candidates whose calibrated chance keeps E[F1] ≈ 2·Σp / (n + Σp_all + n_out) highest
local function plugin(cands, k, a, b, n_out)
  local pool, tot = {}, 0
  for u, list in pairs(cands) do
    table.sort(list, function(x, z) return x[2] > z[2] end)
    for i = 1, math.min(k, #list) do
      local p = 1 - math.exp(-(a + b * list[i][2]))
      pool[#pool + 1] = { u, list[i][1], p }; tot = tot + p
    end
  end
  table.sort(pool, function(x, z) return x[3] > z[3] end)
  local best, bn, acc = -1, 0, 0
  for n = 1, #pool do
    acc = acc + pool[n][3]
    local f = 2 * acc / (n + tot + n_out)
    if f > best then best, bn = f, n end
  end
  local out = { n = bn, expected_f1 = best, expected_f1_all = 2 * tot / (#pool + tot + n_out) }
  for i = 1, bn do out[pool[i][1]] = out[pool[i][1]] or {}; out[pool[i][1]][pool[i][2]] = true end
  return out, best
end

-- Monte-Carlo P(at least one buy in [cut, cut + H)) under the planted model, simulating forward
-- each pair's future browses / carts (Poisson, the simulator's rates) and buys by Ogata
-- thinning, the cascade included (each simulated buy excites the next); MC reps per pair
local function mc(train, cut, c, reps)
  reps = reps or tonumber(os.getenv("MC")) or 100
  local g = function(a) return c.p * c.b1 * math.exp(-c.b1 * a) + (1 - c.p) * c.b2 * math.exp(-c.b2 * a) end
  local u, it, e, t = train.user:totable(), train.item:totable(), train.event:totable(), train.time:totable()
  local hist, order = {}, {}
  for i = 1, #u do
    local id = u[i] * 1000 + it[i]
    if not hist[id] then hist[id] = {}; order[#order + 1] = id end
    table.insert(hist[id], { (t[i] - cut) / DAY, W[e[i]] })
  end
  local out = {}
  for _, id in ipairs(order) do
    local past = hist[id]
    local hits = 0
    for _ = 1, reps do
      local ev = {}
      for i = 1, #past do ev[i] = past[i] end
      local ex = {}
      for _, spec in ipairs({ { W[1], 0.05 }, { W[3], 0.02 } }) do
        local s = -math.log(1 - math.random()) / spec[2]
        while s < H do ex[#ex + 1] = { s, spec[1] }; s = s - math.log(1 - math.random()) / spec[2] end
      end
      table.sort(ex, function(a, b) return a[1] < b[1] end)
      local function lam(at)
        local v = 0.002
        for _, x in ipairs(ev) do if x[1] < at then v = v + x[2] * g(at - x[1]) end end
        return v
      end
      local s, j, n = 0, 1, 0
      while s < H do
        local nxt = ex[j] and ex[j][1] or H
        local bound = lam(s + 1e-12) + 1e-12
        local cand = s - math.log(1 - math.random()) / bound
        if cand >= nxt then
          if not ex[j] then break end
          ev[#ev + 1] = ex[j]; s = nxt; j = j + 1
        else
          s = cand
          if math.random() * bound <= lam(s) then n = n + 1; break end -- the first buy decides N >= 1
        end
      end
      if n > 0 then hits = hits + 1 end
    end
    local uu = math.floor(id / 1000)
    out[uu] = out[uu] or {}
    table.insert(out[uu], { id % 1000, hits / reps })
  end
  return out
end

for _, c in ipairs(cases) do
  print(("== %s (%d seeds)"):format(c.name, n_seeds))
  print(("%-7s %4s %8s %8s %8s %8s %8s %8s %8s %8s %8s"):format("method", "seed", "val F1", "thr→F1", "thr R", "share→F1",
    "share R", "test max", "all→F1", "plug→F1", "plug R"))
  local sum = {}
  for seed = 1, n_seeds do
    local ev = sim.simulate(2000, 120, 0.002, W, c.p, c.b1, c.b2, 6 + seed, 5)
    local t_end = ev.time:max():item() + 1
    local tv, tt = t_end - 2 * H * DAY, t_end - H * DAY
    local lab = { key = "item", target = "buy" }
    local valid, test = S.labels(ev, tv, tt, lab), S.labels(ev, tt, t_end, lab)
    local tr_v, tr_t = ev:filter(ev.time:lt(tv)), ev:filter(ev.time:lt(tt))
    local fv = R.fit(tr_v, { family = c.family, max_hist = 0, se = false })
    local ft = R.fit(tr_t, { family = c.family, max_hist = 0, se = false })
    local methods = {
      { "none", E.candidates("none", tr_v, {}), E.candidates("none", tr_t, {}) },
      { "fit", cands_of(fv, tr_v), cands_of(ft, tr_t) },
      { "oracle", cands_of(oracle(fv, c), tr_v), cands_of(oracle(ft, c), tr_t) },
      { "or@cut", cands_of(oracle(fv, c), tr_v, tv), cands_of(oracle(ft, c), tr_t, tt) },
    }
    if os.getenv("MC") and seed == 1 then
      methods[#methods + 1] = { "MC P>=1", mc(tr_v, tv, c), mc(tr_t, tt, c) }
    end
    for _, m in ipairs(methods) do
      local sel = S.sweep(m[2], valid)
      local a = S.prf(S.select(m[3], { k = sel.k, threshold = sel.threshold }), test)
      local b = S.prf(S.select(m[3], { k = sel.k, share = sel.share }), test)
      local best = S.sweep(m[3], test).f1
      local all = S.prf(S.select(m[3], { k = math.huge }), test).f1
      local ca, cb, n_out = calibrate(m[2], valid, sel.k)
      local pset = plugin(m[3], sel.k, ca, cb, n_out)
      local pp = S.prf(pset, test)
      if os.getenv("VERBOSE") then
        print(("   %s: calibration a %.4f b %.4f (P = 1 − exp(−(a + b·score))), outside %d; E[F1] chosen %.4f, all %.4f"):format(
          m[1], ca, cb, n_out, pset.expected_f1, pset.expected_f1_all))
      end
      local r = { sel.f1, a.f1, a.recall, b.f1, b.recall, best, all, pp.f1, pp.recall }
      sum[m[1]] = sum[m[1]] or { 0, 0, 0, 0, 0, 0, 0, 0, 0 }
      for i = 1, #r do sum[m[1]][i] = sum[m[1]][i] + r[i] / n_seeds end
      print(("%-7s %4d %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f"):format(m[1], seed, unpack(r)))
    end
  end
  for _, name in ipairs({ "none", "fit", "oracle", "or@cut" }) do
    print(("%-7s %4s %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f"):format(name, "mean", unpack(sum[name])))
  end
end
