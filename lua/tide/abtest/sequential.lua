-- tide.abtest.sequential — always-valid inference for a difference in means, so the test can be
-- looked at after every batch without inflating the false-positive rate.
--
-- Mixture SPRT (Robbins 1970; Johari, Koomen, Pekelis & Walsh 2017/2022, "Always valid
-- inference: continuous monitoring of A/B tests", Operations Research, sec. 4): with the
-- estimate Δ̂ ~ N(θ, s²) (s² = v_a/n_a + v_b/n_b, variances plugged in) and a N(θ0, τ²) mixture
-- over the alternative, the likelihood ratio against θ = θ0 is
--   Λ = sqrt(s² / (s² + τ²)) exp(τ² (Δ̂ - θ0)² / (2 s² (s² + τ²))),
-- a nonnegative martingale under θ0, so by Ville's inequality P(sup Λ ≥ 1/α) ≤ α. The
-- always-valid p-value is the running minimum of min(1, 1/Λ), and the confidence sequence
-- (the θ0 with Λ < 1/α; Howard, Ramdas, McAuliffe & Sekhon 2021, normal mixture boundary) is
--   Δ̂ ± sqrt(2 s² (s² + τ²) / τ² · log(sqrt((s² + τ²) / s²) / α)),
-- intersected with the previous ones. τ is the scale of effects worth detecting (in metric
-- units); fix it before the test starts.
local util = require("tide.abtest.util")

local M = {}
local Seq = {}
Seq.__index = Seq

--- sequential.new{tau=, alpha=0.05, theta0=0} -> monitor with :update(a_batch, b_batch) and
---   :state(); tau (> 0) is required: the mixture scale, e.g. the minimum effect of interest
function M.new(opts)
  local fn = "abtest.sequential.new"
  opts = util.opts(opts, { tau = 1, alpha = 1, theta0 = 1 }, fn)
  if type(opts.tau) ~= "number" or not (opts.tau > 0 and opts.tau < math.huge) then
    error(fn .. ": 'tau' (mixture scale in metric units, > 0) is required", 2)
  end
  local alpha = util.level(opts.alpha or 0.05, fn, "alpha")
  local s = { tau2 = opts.tau ^ 2, alpha = alpha, theta0 = opts.theta0 or 0, p = 1, lo = -math.huge,
              hi = math.huge, looks = 0, rejected = false,
              n = { 0, 0 }, sum = { 0, 0 }, sum2 = { 0, 0 } }
  return setmetatable(s, Seq)
end

-- running sums; values are centred on the first observation seen (either arm) so the
-- variance from sums does not cancel catastrophically for metrics with a large mean
local function add(self, arm, x)
  local sh = self.shift
  for i = 1, #x do
    local v = x[i] - sh
    self.n[arm], self.sum[arm], self.sum2[arm] = self.n[arm] + 1, self.sum[arm] + v, self.sum2[arm] + v * v
  end
end

--- mon:update(a_batch, b_batch) -> state: adds the new observations of both arms and returns
---   {estimate, se, p (always valid), lo, hi (confidence sequence), rejected, looks, n_a, n_b}
function Seq:update(a, b)
  local fn = "abtest.sequential:update"
  a, b = util.numbers(a, fn, "a_batch"), util.numbers(b, fn, "b_batch")
  if not self.shift then self.shift = a[1] or b[1] end
  add(self, 1, a)
  add(self, 2, b)
  local na, nb = self.n[1], self.n[2]
  if na < 2 or nb < 2 then return self:state() end
  local ma, mb = self.sum[1] / na, self.sum[2] / nb
  local va = (self.sum2[1] - na * ma * ma) / (na - 1)
  local vb = (self.sum2[2] - nb * mb * mb) / (nb - 1)
  local s2 = math.max(va, 0) / na + math.max(vb, 0) / nb
  self.looks = self.looks + 1
  self.estimate, self.se = mb - ma, math.sqrt(s2)
  if s2 > 0 then
    local t2 = self.tau2
    local d = self.estimate - self.theta0
    local loglr = 0.5 * math.log(s2 / (s2 + t2)) + t2 * d * d / (2 * s2 * (s2 + t2))
    self.p = math.min(self.p, math.min(1, math.exp(-loglr)))
    local half = math.sqrt(2 * s2 * (s2 + t2) / t2 * (0.5 * math.log((s2 + t2) / s2) - math.log(self.alpha)))
    self.lo = math.max(self.lo, self.estimate - half)
    self.hi = math.min(self.hi, self.estimate + half)
  end
  self.rejected = self.rejected or self.p <= self.alpha
  return self:state()
end

--- mon:state() -> the current {estimate, se, p, lo, hi, rejected, looks, n_a, n_b}
function Seq:state()
  return { estimate = self.estimate, se = self.se, p = self.p, lo = self.lo, hi = self.hi,
           rejected = self.rejected, looks = self.looks, n_a = self.n[1], n_b = self.n[2] }
end

--- sequential.replay({tau=, looks = 20}, t_a, y_a, t_b, y_b, alpha) -> the final state of a
---   monitor fed the observations in time order (t: timestamps), in `looks` equal slices of the
---   merged timeline: what continuous monitoring of a logged test would have reported.
function M.replay(o, ta, ya, tb, yb, alpha)
  local ev = {}
  for i = 1, #ya do ev[#ev + 1] = { ta[i], 1, ya[i] } end
  for i = 1, #yb do ev[#ev + 1] = { tb[i], 2, yb[i] } end
  table.sort(ev, function(x, y) return x[1] < y[1] end)
  local mon = M.new { tau = o.tau, alpha = alpha }
  local looks, pos = o.looks or 20, 1
  for l = 1, looks do
    local stop = math.floor(#ev * l / looks)
    local ba, bb = {}, {}
    for i = pos, stop do
      local e = ev[i]
      if e[2] == 1 then ba[#ba + 1] = e[3] else bb[#bb + 1] = e[3] end
    end
    pos = stop + 1
    mon:update(ba, bb)
  end
  return mon:state()
end

return M
