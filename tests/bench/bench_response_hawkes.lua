-- bench_response_hawkes.lua — the response kernel on simulated marked Hawkes logs whose kernel
-- is known (tests/lua/response_sim.lua): recovery of μ, the per-type weights and the kernel
-- (estimate ± se against the planted value), then the set-based F1 of no decay, the fitted
-- response kernel and the oracle (Fit:expected under the planted parameters) on the same log
-- (tide.decay.response_eval: k and threshold chosen on the validation window, scored once on
-- the last 14 days, with the 95 % bootstrap interval over users of the F1 difference).
-- One log is one draw of a weak signal: BENCH_SEEDS=n also averages n logs (seeds 7, 8, …).
-- Usage: [BENCH_SEEDS=n] [BENCH_TRANSFER=auto|threshold|share|plugin] luajit bench_response_hawkes.lua
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local sim = require "response_sim"
local E = require "tide.decay.response_eval"
local DAY = 86400
local W = { [1] = 0.1, [3] = 0.6, [5] = 0.3 }
local n_seeds = tonumber(os.getenv("BENCH_SEEDS") or 1)
local transfer = os.getenv("BENCH_TRANSFER")

local cases = {
  { name = "exponential kernel, rate 0.25/day", family = "exponential", p = 1, b1 = 0.25, b2 = 1, theta = { 0.25 } },
  { name = "fast 40/day + slow 0.05/day, p = 0.5", family = "mixture", p = 0.5, b1 = 40, b2 = 0.05,
    theta = { 0.5, 0.5, 40, 0.05 } },
}
for _, c in ipairs(cases) do
  local mean, wins = {}, {}
  for seed = 7, 6 + n_seeds do
    local ev = sim.simulate(2000, 120, 0.002, W, c.p, c.b1, c.b2, seed, 5)
    local f = tide.decay.response.fit(ev, { key = "item", target = "buy", family = c.family, window = { 0, 120 * DAY }, max_hist = 0 })
    print(("%s, seed %d: %d events, %d users; fitted %s kernel, converged %s"):format(c.name, seed, ev.n, ev.n_users,
      f.family, tostring(f.converged)))
    if seed == 7 then
      local rows = { { "mu", f.mu, f.se_mu, 0.002 }, { "w browse", f.weights.browse, f.se_weights.browse, 0.1 },
                     { "w cart", f.weights.cart, f.se_weights.cart, 0.6 }, { "w buy", f.weights.buy, f.se_weights.buy, 0.3 } }
      if c.family == "exponential" then
        rows[#rows + 1] = { "rate", f.theta[1], f.se_theta[1], c.b1 }
      else
        local fast = f.theta[3] > f.theta[4] and 1 or 2
        rows[#rows + 1] = { "p fast", f.theta[fast], f.se_theta[fast], c.p }
        rows[#rows + 1] = { "rate fast", f.theta[2 + fast], f.se_theta[2 + fast], c.b1 }
        rows[#rows + 1] = { "rate slow", f.theta[5 - fast], f.se_theta[5 - fast], c.b2 }
      end
      for _, r in ipairs(rows) do
        local z = (r[2] - r[4]) / r[3]
        print(("  %-10s %10.5f ± %-9.5f planted %-8g z = %+.2f %s"):format(r[1], r[2], r[3], r[4], z, math.abs(z) < 2 and "within 2 se" or "OUTSIDE 2 se"))
      end
    end
    local oracle = sim.planted(f, 0.002, W, c.theta)
    local methods = { "none", { "response", family = c.family }, { "response", law = oracle } }
    local names = { "none", "response", "oracle" }
    for i, m in ipairs(E.evaluate(ev, { methods = methods, family = c.family, horizon = 14, bootstrap = 500, transfer = transfer })) do
      print(("  F1 %-9s k %3s threshold %-10.4g (%-9s) val F1 %.4f  test F1 %.4f  precision %.4f  recall %.4f%s"):format(names[i],
        m.k == math.huge and "all" or tostring(m.k),
        m.threshold, m.transfer, m.val_f1, m.f1, m.precision, m.recall,
        m.diff_lo and ("  F1 − none [%+.4f, %+.4f]"):format(m.diff_lo, m.diff_hi) or ""))
      mean[i] = (mean[i] or 0) + m.f1 / n_seeds
      if i > 1 and m.diff_lo then
        wins[i] = wins[i] or { 0, 0, 0 }
        local w = wins[i]
        if m.diff_lo > 0 then w[1] = w[1] + 1 elseif m.diff_hi < 0 then w[3] = w[3] + 1 else w[2] = w[2] + 1 end
      end
    end
  end
  if n_seeds > 1 then
    print(("  mean test F1 over %d logs: none %.4f, response %.4f, oracle %.4f; intervals vs none above / across / below 0:"
      .. " response %d/%d/%d, oracle %d/%d/%d"):format(n_seeds, mean[1], mean[2], mean[3], wins[2][1], wins[2][2], wins[2][3],
      wins[3][1], wins[3][2], wins[3][3]))
  end
end
