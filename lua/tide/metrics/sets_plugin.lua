-- tide.metrics.sets_plugin — choose a pair set by its expected F1 under calibrated chances,
-- instead of the cut whose empirical F1 was best on the validation window. The empirical best
-- cut is the maximum of a noisy curve over thousands of cut points: on a flat F1 curve (a weak
-- signal) it lands far from the optimum and carries badly to the next window (the winner's
-- curse; bench_response_oracle.lua shows it even for the true model's own scores). Here the
-- chance that a candidate acts is fitted, by maximum likelihood, as a function of its score on
-- the validation labels, either
--   link = "isotonic" (default): any non-decreasing function (pool adjacent violators, Zadrozny
--     & Elkan 2002; the engine's glm_isotonic.c), which no score scale can mis-specify, or
--   link = "cloglog": P = 1 − exp(−(a + b·(score − s0))), a, b > 0 — the Poisson chance of a
--     first action when the score is an expected count (a absorbs what the score leaves out,
--     e.g. interactions still to come); two numbers, but wrong when the score is not one,
-- and the new window's set is the top of its candidates by that chance, cut where
-- 2·Σ p / (n + Σ p_all + n_out) is highest: the ratio-of-expectations form of E[F1] (Jansche
-- 2007; Lipton, Elkan & Naryanaswamy 2014: the optimal cut of calibrated chances sits at F*/2).
-- Used by tide.metrics.sets, which passes its top_k(cands, k) -> {{user, key, score}, ...}
-- (each user's top-k candidates, best first, checked).
local M = {}

-- negative log-likelihood of y ~ Bernoulli(1 − e^(−η)), η = a + b·x, and its gradient in
-- (log a, log b); d/dη of −log(1 − e^(−η)) is −1 / (e^η − 1)
local function nll(x, y, la, lb)
  local a, b, f, ga, gb = math.exp(la), math.exp(lb), 0, 0, 0
  for i = 1, #x do
    local eta = a + b * x[i]
    local d
    if y[i] then
      local q = math.exp(-eta)
      f = f - (eta < 1e-8 and math.log(eta) or math.log(1 - q))
      d = -q / (1 - q)
    else
      f, d = f + eta, 1
    end
    ga, gb = ga + d * a, gb + d * b * x[i]
  end
  return f, ga, gb
end

--- calibrate(cands, truth, {k = math.huge, link = "isotonic"|"cloglog"}, top_k) ->
--- {link, s0 (lowest score), kx, ky (isotonic: knots in score − s0, ascending) | a, b
--- (cloglog), n_out, n, positives}: the fit above on each user's top-k candidates of a validation window;
--- n_out counts the true pairs outside them (carried to the next window of the same length).
function M.calibrate(cands, truth, opts, top_k)
  local k = opts.k or math.huge
  local link = opts.link or "isotonic"
  if link ~= "isotonic" and link ~= "cloglog" then
    error(("sets.calibrate: link must be isotonic or cloglog, got %s"):format(tostring(link)), 3)
  end
  local rows = top_k(cands, k)
  if #rows == 0 then error("sets.calibrate: no candidates", 3) end
  local s0, x, y, pos, inside = math.huge, {}, {}, 0, {}
  for _, r in ipairs(rows) do s0 = math.min(s0, r[3]) end
  local mean = 0
  for i, r in ipairs(rows) do
    local tr = truth[r[1]]
    y[i] = (tr and tr[r[2]]) and true or false
    if y[i] then pos = pos + 1 end
    x[i] = r[3] - s0
    mean = mean + x[i] / #rows
    inside[r[1]] = inside[r[1]] or {}
    inside[r[1]][r[2]] = true
  end
  if pos == 0 or pos == #rows then
    error(("sets.calibrate: need both acting and idle candidates to calibrate (%d of %d act)"):format(pos, #rows), 3)
  end
  local n_out = 0
  for u, row in pairs(truth) do
    if type(u) == "number" then
      for key in pairs(row) do if not (inside[u] and inside[u][key]) then n_out = n_out + 1 end end
    end
  end
  if link == "isotonic" then
    -- the engine's pool adjacent violators (glm_isotonic.c, as sklearn's IsotonicRegression:
    -- ties pooled, knots applied by linear interpolation, clipped); scores measured from s0
    -- keep their differences in f32
    local T, y01 = require("tide").tensor, {}
    for i = 1, #y do y01[i] = y[i] and 1 or 0 end
    local kx, ky = require("tide").core.glm.isotonic_fit(T.fromtable(x, "f32"), T.fromtable(y01, "f32"))
    return { link = link, kx = kx, ky = ky, s0 = s0, n_out = n_out, n = #rows, positives = pos, converged = true }
  end
  -- optimise in (log a, log b) with the score rescaled to mean 1 (well-conditioned start)
  local sc = mean > 0 and mean or 1
  for i = 1, #x do x[i] = x[i] / sc end
  local p0 = pos / #rows
  local z, info = require("tide.lbfgs").minimize(function(v)
    local f, ga, gb = nll(x, y, v[1], v[2])
    return f, { ga, gb }
  end, { math.log(-math.log(1 - p0) / 2), math.log(-math.log(1 - p0) / 2) }, { max_iter = 200 })
  return { link = link, a = math.exp(z[1]), b = math.exp(z[2]) / sc, s0 = s0, n_out = n_out, n = #rows, positives = pos,
           converged = info.converged }
end

--- select(cands, {k, calibration}, top_k) -> pair set with .n and .expected_f1: the
--- top-k candidates whose calibrated chances give the highest expected F1 (ties kept together)
function M.select(cands, opts, top_k)
  local c = opts.calibration
  local iso = c.kx ~= nil
  for _, f in ipairs(iso and { "s0", "n_out" } or { "a", "b", "s0", "n_out" }) do
    if type(c[f]) ~= "number" or c[f] ~= c[f] then error(("sets.select: calibration.%s must be a number"):format(f), 3) end
  end
  if iso and not (type(c.kx) == "table" and type(c.ky) == "table" and #c.kx == #c.ky and #c.kx > 0) then
    error("sets.select: calibration.kx and .ky must be lists of the same length > 0", 3)
  end
  local rows, tot = top_k(cands, opts.k or 10), c.n_out
  local p = {}
  if iso and #rows > 0 then
    local x = {}
    for i, r in ipairs(rows) do x[i] = r[3] - c.s0 end
    local T = require("tide").tensor
    p = require("tide").core.glm.isotonic_apply(c.kx, c.ky, T.fromtable(x, "f32")):totable()
  end
  for i, r in ipairs(rows) do
    r[4] = iso and p[i] or 1 - math.exp(-(c.a + c.b * math.max(r[3] - c.s0, 0)))
    tot = tot + r[4]
  end
  table.sort(rows, function(p, q) return p[4] > q[4] end)
  local best, cut, acc = 0, 0, 0
  for n, r in ipairs(rows) do
    acc = acc + r[4]
    if (not rows[n + 1] or rows[n + 1][4] < r[4]) and 2 * acc / (n + tot) > best then best, cut = 2 * acc / (n + tot), n end
  end
  local out = { n = cut, expected_f1 = best }
  for _, r in ipairs(rows) do if type(r[1]) == "number" and not out[r[1]] then out[r[1]] = {} end end
  for i = 1, cut do out[rows[i][1]][rows[i][2]] = true end
  return out
end

return M
