-- tide.abtest.multiple — adjusted p-values for several comparisons read together.
--   holm: Holm (1979) step-down, controls the family-wise error rate under any dependence;
--   bh:   Benjamini & Hochberg (1995) step-up, controls the false discovery rate (independent or
--         positively dependent tests);
--   bonferroni: m p, for reference.
-- Adjusted p-values (Wright 1992) compare directly with alpha; they are the values
-- statsmodels.stats.multitest.multipletests returns for 'holm', 'fdr_bh' and 'bonferroni'.
local util = require("tide.abtest.util")

local M = {}

local function check(p, fn)
  p = util.numbers(p, fn, "p", 1)
  for i, v in ipairs(p) do
    if v < 0 or v > 1 then error(("%s: p[%d] = %s is not in [0, 1]"):format(fn, i, tostring(v)), 3) end
  end
  local order = {}
  for i = 1, #p do order[i] = i end
  table.sort(order, function(a, b) if p[a] ~= p[b] then return p[a] < p[b] end return a < b end)
  return p, order
end

--- multiple.holm(p) -> adjusted p-values (same order as p)
function M.holm(p)
  local order
  p, order = check(p, "abtest.holm")
  local m, out, run = #p, {}, 0
  for r, i in ipairs(order) do
    run = math.max(run, math.min(1, (m - r + 1) * p[i]))
    out[i] = run
  end
  return out
end

--- multiple.bh(p) -> Benjamini-Hochberg adjusted p-values (q-values), same order as p
function M.bh(p)
  local order
  p, order = check(p, "abtest.bh")
  local m, out, run = #p, {}, 1
  for r = m, 1, -1 do
    local i = order[r]
    run = math.min(run, m * p[i] / r)
    out[i] = run
  end
  return out
end

--- multiple.bonferroni(p) -> min(1, m p)
function M.bonferroni(p)
  p = check(p, "abtest.bonferroni")
  local out = {}
  for i, v in ipairs(p) do out[i] = math.min(1, #p * v) end
  return out
end

--- multiple.adjust(p, method) -> adjusted p-values; method "holm" | "bh" | "bonferroni" | "none"
function M.adjust(p, method)
  method = method or "holm"
  if method == "none" then return util.numbers(p, "abtest.adjust", "p") end
  local f = ({ holm = M.holm, bh = M.bh, fdr_bh = M.bh, bonferroni = M.bonferroni })[method]
  if not f then error("abtest.adjust: method must be holm, bh, bonferroni or none, got " .. tostring(method), 2) end
  return f(p)
end

return M
