-- tide.sentiment.metrics.compare: paired accuracy difference, Wald interval, McNemar's exact
-- p-value, against hand counts and Python's exact binomial sums (math.comb).
local check = require "check"
local S = require("tide").sentiment
local T = {}

-- rows 1-5 both right, 6-8 only a, 9 only b, 10 both wrong (labels all 1)
function T.compare_counts_interval_and_p()
  local y, pa, pb = {}, {}, {}
  for i = 1, 10 do
    y[i] = 1
    pa[i] = (i <= 8) and 0.9 or 0.1
    pb[i] = (i <= 5 or i == 9) and 0.8 or 0.3
  end
  local r = S.metrics.compare(y, pa, pb)
  check.eq(r.n, 10); check.eq(r.b, 3); check.eq(r.c, 1)
  check.near(r.acc_a, 0.8, 1e-12); check.near(r.acc_b, 0.6, 1e-12); check.near(r.diff, 0.2, 1e-12)
  -- se = sqrt(4 - 4/10) / 10
  check.near(r.lo, -0.17187702231605545, 1e-9); check.near(r.hi, 0.5718770223160554, 1e-9)
  check.near(r.p, 10 / 16, 1e-12, "2 (C(4,0) + C(4,1)) / 2^4")
  local s = S.metrics.compare(y, pb, pa)
  check.near(s.diff, -0.2, 1e-12); check.near(s.p, r.p, 1e-12, "symmetric p")
end

function T.compare_extremes()
  local y, pa, pb = {}, {}, {}
  for i = 1, 10 do y[i], pa[i], pb[i] = 0, 0.2, 0.7 end
  local r = S.metrics.compare(y, pa, pb)
  check.eq(r.b, 10); check.eq(r.c, 0)
  check.near(r.p, 2 / 1024, 1e-15); check.near(r.lo, 1, 1e-12); check.near(r.hi, 1, 1e-12)
  local same = S.metrics.compare(y, pa, pa)
  check.eq(same.p, 1, "no discordant pair"); check.eq(same.diff, 0)
  -- 1000 discordant pairs (600 / 400): the tail stays accurate in log space
  local yy, qa, qb = {}, {}, {}
  for i = 1, 2000 do
    yy[i] = 1
    qa[i] = (i <= 600 or i > 1000) and 1 or 0
    qb[i] = (i > 600) and 1 or 0
  end
  local big = S.metrics.compare(yy, qa, qb)
  check.eq(big.b, 600); check.eq(big.c, 400)
  check.near(big.p / 2.7284641560660184e-10, 1, 1e-9, "Python: 2 sum_{j<=400} C(1000, j) / 2^1000")
end

function T.compare_errors()
  check.errors(function() S.metrics.compare({ 1, 0 }, { 0.5 }, { 0.5, 0.5 }) end, "2 labels but 1 and 2 scores")
  check.errors(function() S.metrics.compare({}, {}, {}) end, "no rows")
end

return T
