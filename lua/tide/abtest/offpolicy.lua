-- tide.abtest.offpolicy — estimating a new policy's value from logs of an old one (off-policy
-- evaluation), before running it live. Rows i = 1..n are logged decisions: the action a_i the
-- logging policy took with probability μ_i = μ(a_i | x_i) (the logging propensity: it must be
-- recorded at decision time and be > 0), and the observed reward r_i. The target policy gives
-- π(a | x_i) for every action; q̂(x_i, a) is an optional reward model.
--   replay (Li, Chu, Langford & Wang 2011, WSDM): mean reward over rows where the logged action is
--     the target's choice (argmax π); unbiased only when logging was uniformly random;
--   IPS (Horvitz-Thompson): mean of w_i r_i with w_i = π(a_i | x_i) / μ_i;
--   SNIPS (Swaminathan & Joachims 2015, NeurIPS): Σ w r / Σ w, slightly biased, lower variance;
--   DM: mean of Σ_a π(a|x_i) q̂(x_i, a) (biased when q̂ is);
--   DR (Dudík, Langford & Li 2011, ICML): DM + mean of w_i (r_i - q̂(x_i, a_i)); unbiased when
--     either the propensities or q̂ are right.
-- Standard errors are the sample sd of the per-row terms / sqrt(n) (SNIPS: delta method).
local util = require("tide.abtest.util")

local M = {}

-- n x K matrix from a tensor [n, K] or a table of rows
local function matrix(x, n, fn, what)
  local T = require("tide").tensor
  if T.is_tensor(x) then
    if x:dim() ~= 2 or x:size(1) ~= n then error(("%s: '%s' must be a [%d, K] tensor"):format(fn, what, n), 3) end
    x = x:contiguous():totable()
  end
  if type(x) ~= "table" or #x ~= n then
    error(("%s: '%s' must have one row per logged decision (%d), got %s"):format(fn, what, n,
      type(x) == "table" and #x or type(x)), 3)
  end
  local K = type(x[1]) == "table" and #x[1] or 0
  if K < 1 then error(("%s: %s[1] must be a row of per-action values"):format(fn, what), 3) end
  for i = 1, n do
    local row = x[i]
    if type(row) ~= "table" or #row ~= K then error(("%s: %s[%d] must have %d entries"):format(fn, what, i, K), 3) end
    for a = 1, K do
      local v = row[a]
      if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
        error(("%s: %s[%d][%d] must be a finite number"):format(fn, what, i, a), 3)
      end
    end
  end
  return x, K
end

local function mean_se(t)
  local m, v, n = util.mean_var(t)
  return m, math.sqrt(v / n)
end

--- offpolicy.estimate{rewards=, actions=, propensities=, target=, model=nil} ->
---   {n, replay = {value, se, matched}, ips = {value, se}, snips = {value, se},
---    dm = {value} (with model), dr = {value, se} (with model), ess (effective sample size
---    (Σw)²/Σw², small values warn that a few rows dominate), max_weight}
--- rewards, actions (1..K), propensities (0, 1]: arrays or tensors of length n; target: [n, K]
--- probabilities (rows sum to 1); model: [n, K] predicted rewards.
function M.estimate(o)
  local fn = "abtest.offpolicy"
  o = util.opts(o, { rewards = 1, actions = 1, propensities = 1, target = 1, model = 1 }, fn)
  for _, k in ipairs({ "rewards", "actions", "propensities", "target" }) do
    if o[k] == nil then error(("%s: '%s' is required"):format(fn, k), 2) end
  end
  local r = util.numbers(o.rewards, fn, "rewards", 1)
  local n = #r
  local act = util.numbers(o.actions, fn, "actions")
  local mu = util.numbers(o.propensities, fn, "propensities")
  if #act ~= n or #mu ~= n then
    error(("%s: rewards, actions and propensities need one entry per row (%d, %d, %d)"):format(fn, n, #act, #mu), 2)
  end
  local pi, K = matrix(o.target, n, fn, "target")
  local q = o.model ~= nil and matrix(o.model, n, fn, "model") or nil
  if q and #q[1] ~= K then error(("%s: model has %d actions, target %d"):format(fn, #q[1], K), 2) end
  local wr, w, dm, dr, sw, sw2, maxw = {}, {}, {}, {}, 0, 0, 0
  local rep, mk = {}, 0
  for i = 1, n do
    local a = act[i]
    if a ~= math.floor(a) or a < 1 or a > K then error(("%s: actions[%d] = %s is not in 1..%d"):format(fn, i, tostring(a), K), 2) end
    if not (mu[i] > 0 and mu[i] <= 1) then error(("%s: propensities[%d] = %s is not in (0, 1]"):format(fn, i, tostring(mu[i])), 2) end
    local s, best = 0, 1
    for b = 1, K do
      local p = pi[i][b]
      if p < 0 then error(("%s: target[%d][%d] is negative"):format(fn, i, b), 2) end
      s = s + p
      if p > pi[i][best] then best = b end
    end
    if math.abs(s - 1) > 1e-6 then error(("%s: target[%d] sums to %.6g, not 1"):format(fn, i, s), 2) end
    local wi = pi[i][a] / mu[i]
    w[i], wr[i] = wi, wi * r[i]
    sw, sw2, maxw = sw + wi, sw2 + wi * wi, math.max(maxw, wi)
    if best == a then mk = mk + 1; rep[mk] = r[i] end
    if q then
      local d = 0
      for b = 1, K do d = d + pi[i][b] * q[i][b] end
      dm[i], dr[i] = d, d + wi * (r[i] - q[i][a])
    end
  end
  local res = { n = n, ess = sw > 0 and sw * sw / sw2 or 0, max_weight = maxw }
  local v, se = mean_se(wr)
  res.ips = { value = v, se = se }
  if sw > 0 then
    local sn = 0
    for i = 1, n do sn = sn + wr[i] end
    sn = sn / sw
    local dev = {}
    for i = 1, n do dev[i] = w[i] * (r[i] - sn) end
    local _, dv = util.mean_var(dev)
    res.snips = { value = sn, se = math.sqrt(dv / n) / (sw / n) }
  end
  if mk > 0 then
    local m, s2 = util.mean_var(rep)
    res.replay = { value = m, se = math.sqrt(s2 / mk), matched = mk }
  else
    res.replay = { matched = 0 }
  end
  if q then
    res.dm = { value = (mean_se(dm)) }
    local dv, dse = mean_se(dr)
    res.dr = { value = dv, se = dse }
  end
  return res
end

return M
