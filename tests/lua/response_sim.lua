-- response_sim.lua — a marked Hawkes simulator with a known response kernel, for the
-- response-kernel tests and tests/bench/bench_response_hawkes.lua.
local tide = require "tide"
local T = tide.tensor
local DAY = 86400
local M = {}

-- per (user, item): browses / carts as Poisson(ρ) per day, buys by Ogata thinning of
-- λ(t) = μ + Σ w[type]·g(t − t_i), g(a) = p β1 e^(−β1 a) + (1 − p) β2 e^(−β2 a); g ≤ g(0)
-- so λ just after now bounds λ until the next event.
--- simulate(n_pairs, horizon_days, mu, w = {[code] = weight}, p, b1, b2, seed, items_per_user = 1)
--- -> event table; pair q is user ceil(q / items_per_user), item (q − 1) % items_per_user + 1
function M.simulate(n_pairs, horizon, mu, w, p, b1, b2, seed, ipu)
  ipu = ipu or 1
  math.randomseed(seed)
  local g = function(a) return p * b1 * math.exp(-b1 * a) + (1 - p) * b2 * math.exp(-b2 * a) end
  local rows = {}
  for pair = 1, n_pairs do
    local ex = {}
    for _, spec in ipairs({ { 1, 0.05 }, { 3, 0.02 } }) do
      local t = -math.log(1 - math.random()) / spec[2]
      while t < horizon do ex[#ex + 1] = { t, spec[1] }; t = t - math.log(1 - math.random()) / spec[2] end
    end
    table.sort(ex, function(a, b) return a[1] < b[1] end)
    local hist, t, j = {}, 0, 1
    local function lam(at)
      local s = mu
      for _, e in ipairs(hist) do if e[1] < at then s = s + w[e[2]] * g(at - e[1]) end end
      return s
    end
    while t < horizon do
      local nxt = ex[j] and ex[j][1] or horizon
      local bound = lam(t + 1e-12) + 1e-12
      local cand = t - math.log(1 - math.random()) / bound
      if cand >= nxt then
        if not ex[j] then break end
        hist[#hist + 1] = ex[j]; t = nxt; j = j + 1
      else
        t = cand
        if math.random() * bound <= lam(t) then hist[#hist + 1] = { t, 5 } end
      end
    end
    for _, e in ipairs(hist) do rows[#rows + 1] = { pair, e[2], math.floor(e[1] * DAY) } end
  end
  table.sort(rows, function(a, b) return a[3] < b[3] end)
  local c = { user = {}, item = {}, event = {}, time = {} }
  for r, x in ipairs(rows) do
    c.user[r], c.item[r], c.event[r], c.time[r] = math.ceil(x[1] / ipu), (x[1] - 1) % ipu + 1, x[2], x[3]
  end
  return tide.data.from_columns{ user = T.fromtable(c.user, "i32"), item = T.fromtable(c.item, "i32"),
                                 event = T.fromtable(c.event, "i32"), time = T.fromtable(c.time, "i64") }
end

return M
