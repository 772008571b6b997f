-- bench_response_hawkes.lua — the response kernel on simulated marked Hawkes logs whose kernel
-- is known (tests/lua/response_sim.lua): recovery of μ, the per-type weights and the kernel
-- (estimate ± se against the planted value), then the set-based F1 of no decay against the
-- response kernel on the same log (tide.decay.response_eval: k and threshold chosen on the
-- validation window, scored once on the last 14 days, with the 95 % bootstrap interval over
-- users of the F1 difference). Usage: luajit bench_response_hawkes.lua
package.path = "tests/lua/?.lua;" .. package.path
local tide = require "tide"
local sim = require "response_sim"
local E = require "tide.decay.response_eval"
local DAY = 86400
local W = { [1] = 0.1, [3] = 0.6, [5] = 0.3 }

local cases = {
  { name = "exponential kernel, rate 0.25/day", family = "exponential", p = 1, b1 = 0.25, b2 = 1 },
  { name = "fast 40/day + slow 0.05/day, p = 0.5", family = "mixture", p = 0.5, b1 = 40, b2 = 0.05 },
}
for _, c in ipairs(cases) do
  local ev = sim.simulate(2000, 120, 0.002, W, c.p, c.b1, c.b2, 7, 5)
  local f = tide.decay.response.fit(ev, { key = "item", target = "buy", family = c.family, window = { 0, 120 * DAY }, max_hist = 0 })
  print(("%s: %d events, %d users; fitted %s kernel, converged %s"):format(c.name, ev.n, ev.n_users, f.family, tostring(f.converged)))
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
  for _, m in ipairs(E.evaluate(ev, { methods = { "none", "response" }, family = c.family, horizon = 14, bootstrap = 500 })) do
    print(("  F1 %-9s k %3s threshold %-10.4g (%s) val F1 %.4f  test F1 %.4f  precision %.4f  recall %.4f%s"):format(m.method,
      m.k == math.huge and "all" or tostring(m.k),
      m.threshold, m.transfer, m.val_f1, m.f1, m.precision, m.recall,
      m.diff_lo and ("  F1 − none [%+.4f, %+.4f]"):format(m.diff_lo, m.diff_hi) or ""))
  end
end
