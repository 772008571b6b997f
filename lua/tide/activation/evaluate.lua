-- tide.activation.evaluate — the scorecard of a propensity model on labelled rows: AUC,
-- PR-AUC (average precision), log-loss, Brier, ECE and lift at the top k, with 95% intervals
-- where they are cheap:
--   AUC: Hanley & McNeil (1982) standard error,
--     SE² = [A(1 − A) + (n₁ − 1)(Q₁ − A²) + (n₀ − 1)(Q₂ − A²)] / (n₁ n₀),
--     Q₁ = A / (2 − A), Q₂ = 2A² / (1 + A);
--   log-loss, Brier: the mean of per-row losses ± 1.96 sd / √n;
--   lift: the top-k precision as a binomial proportion with a Wilson interval (base rate
--   taken as known).
local tide = require "tide"
local T = tide.tensor
local metrics = require "tide.metrics"

local M = {}

local Z = 1.959963984540054

local function mean_se(v)
  local n = v:numel()
  local m = v:mean():item()
  local sd = n > 1 and v:std():item() or 0
  return m, sd / math.sqrt(n)
end

--- evaluate(p, y, {k = 0.1, bins = 10}) -> {n, positives, base_rate, auc, auc_lo, auc_hi,
--- pr_auc, log_loss, log_loss_lo, log_loss_hi, brier, brier_lo, brier_hi, ece, lift, lift_lo,
--- lift_hi, k}
function M.evaluate(p, y, opts)
  opts = opts or {}
  if not T.is_tensor(p) or not T.is_tensor(y) or p:numel() ~= y:numel() then
    error("activation.evaluate: p and y must be tensors of the same length", 2)
  end
  p, y = p:contiguous():float():view({ p:numel() }), y:contiguous():float():view({ y:numel() })
  local n = p:numel()
  local n1 = y:sum():item()
  local n0 = n - n1
  if n1 == 0 or n0 == 0 then error("activation.evaluate: the labels hold one class only (" .. n1 .. " positives of " .. n .. ")", 2) end
  local r = { n = n, positives = n1, base_rate = n1 / n }
  local A = metrics.auc(p, y)
  local q1, q2 = A / (2 - A), 2 * A * A / (1 + A)
  local se = math.sqrt(math.max(0, (A * (1 - A) + (n1 - 1) * (q1 - A * A) + (n0 - 1) * (q2 - A * A)) / (n1 * n0)))
  r.auc, r.auc_lo, r.auc_hi = A, math.max(0, A - Z * se), math.min(1, A + Z * se)
  r.pr_auc = metrics.pr_auc(p, y)
  local pc = p:clamp(1e-15, 1 - 1e-15)
  local ll = -(y * pc:log() + (1 - y) * (1 - pc):log())
  local m, s = mean_se(ll)
  r.log_loss, r.log_loss_lo, r.log_loss_hi = m, m - Z * s, m + Z * s
  local d = p - y
  m, s = mean_se(d * d)
  r.brier, r.brier_lo, r.brier_hi = m, m - Z * s, m + Z * s
  r.ece = metrics.ece(p, y, opts.bins or 10)
  local k = opts.k or 0.1
  local lift, prec = metrics.lift_at(p, y, k)
  local top = math.ceil(k * n)
  -- Wilson score interval (Wilson 1927): unlike Wald's, it does not collapse to zero width
  -- when every one of the top-k rows is positive (or none is)
  local z2 = Z * Z / top
  local centre = (prec + z2 / 2) / (1 + z2)
  local half = Z * math.sqrt(prec * (1 - prec) / top + z2 / (4 * top)) / (1 + z2)
  r.k, r.lift = k, lift
  r.lift_lo, r.lift_hi = math.max(0, centre - half) / r.base_rate, math.min(1, centre + half) / r.base_rate
  return r
end

--- format(r) -> multi-line text of an evaluate() result
function M.format(r)
  local lines = {
    ("rows %d, positives %d (base rate %.4f)"):format(r.n, r.positives, r.base_rate),
    ("AUC       %.4f  [%.4f, %.4f]"):format(r.auc, r.auc_lo, r.auc_hi),
    ("PR-AUC    %.4f"):format(r.pr_auc),
    ("log-loss  %.4f  [%.4f, %.4f]"):format(r.log_loss, r.log_loss_lo, r.log_loss_hi),
    ("Brier     %.4f  [%.4f, %.4f]"):format(r.brier, r.brier_lo, r.brier_hi),
    ("ECE       %.4f"):format(r.ece),
    ("lift@%d%%  %.3f  [%.3f, %.3f]"):format(math.floor(r.k * 100 + 0.5), r.lift, r.lift_lo, r.lift_hi),
  }
  return table.concat(lines, "\n")
end

return M
