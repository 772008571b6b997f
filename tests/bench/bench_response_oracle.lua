-- bench_response_oracle.lua — investigation: on logs simulated from a known marked Hawkes model
-- (tests/lua/response_sim.lua), does the model's own score, under the TRUE planted parameters,
-- beat no decay with response_eval's selection protocol? Rows: none (count of past
-- interactions), fit (response kernel fitted on the training log), oracle (expected target
-- actions in the horizon under the planted parameters). For each: F1 chosen on the validation
-- window, then test F1 when the choice carries over by threshold, by share and by a calibrated
-- expected-F1 cut (plug: sets.calibrate, link cloglog), and (diagnostic only, never used for a
-- choice) the best F1 any threshold reaches on the test window ("test max") and F1 of all
-- candidates. or@cut: the oracle scored at the cut rather than one second after the last
-- event; MC P>=1 (env MC=reps, first seed): Monte-Carlo P(at least one buy in the horizon).
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
      local function lam(at)
        local v = 0.002
        for _, x in ipairs(ev) do if x[1] < at then v = v + x[2] * g(at - x[1]) end end
        return v
      end
      local bought = false
      -- marks are the weights themselves here; the first buy decides N >= 1
      sim.thin(ev, sim.arrivals({ { W[1], 0.05 }, { W[3], 0.02 } }, H), lam, H, function() bought = true; return true end)
      if bought then hits = hits + 1 end
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
      local cal = S.calibrate(m[2], valid, { k = sel.k, link = "cloglog" })
      local pset = S.select(m[3], { k = sel.k, calibration = cal })
      local pp = S.prf(pset, test)
      if os.getenv("VERBOSE") then
        print(("   %s: calibration a %.4f b %.4f (P = 1 − exp(−(a + b·(score − %.4g)))), outside %d; E[F1] chosen %.4f"):format(
          m[1], cal.a, cal.b, cal.s0, cal.n_out, pset.expected_f1))
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
