-- tide.sentiment.metrics — binary classification quality: accuracy, precision, recall, F1 at a
-- threshold, and ROC AUC (Mann-Whitney U statistic, ties counted as one half via mid-ranks).
local M = {}

function M.binary(labels, probs, threshold)
  threshold = threshold or 0.5
  local n = #labels
  if #probs ~= n then error(("sentiment.metrics: %d labels but %d scores"):format(n, #probs), 2) end
  local tp, fp, tn, fn = 0, 0, 0, 0
  for i = 1, n do
    local y, yhat = labels[i], probs[i] > threshold and 1 or 0
    if y == 1 and yhat == 1 then tp = tp + 1 elseif y == 1 then fn = fn + 1
    elseif yhat == 1 then fp = fp + 1 else tn = tn + 1 end
  end
  -- AUC from mid-ranks of the scores
  local idx = {}
  for i = 1, n do idx[i] = i end
  table.sort(idx, function(a, b) return probs[a] < probs[b] end)
  local rank_sum, npos, i = 0, 0, 1
  while i <= n do
    local j = i
    while j < n and probs[idx[j + 1]] == probs[idx[i]] do j = j + 1 end
    local mid = (i + j) / 2
    for k = i, j do if labels[idx[k]] == 1 then rank_sum = rank_sum + mid; npos = npos + 1 end end
    i = j + 1
  end
  local nneg = n - npos
  local auc = (npos > 0 and nneg > 0) and (rank_sum - npos * (npos + 1) / 2) / (npos * nneg) or 0 / 0
  local prec = tp + fp > 0 and tp / (tp + fp) or 0
  local rec = tp + fn > 0 and tp / (tp + fn) or 0
  return { n = n, accuracy = n > 0 and (tp + tn) / n or 0 / 0, precision = prec, recall = rec,
           f1 = prec + rec > 0 and 2 * prec * rec / (prec + rec) or 0, auc = auc,
           tp = tp, fp = fp, tn = tn, fn = fn }
end

-- Paired comparison of two classifiers on the same labelled rows (probabilities pa, pb,
-- threshold 0.5 unless given): accuracies, their difference d = acc_a - acc_b, the discordant
-- counts b (only a right) and c (only b right), a 95 % Wald interval for the paired
-- difference, se = sqrt((b + c) - (b - c)^2 / n) / n (Agresti, Categorical Data Analysis,
-- sec. 10.1), and McNemar's exact two-sided p-value, 2 P[X <= min(b, c)] for X ~ Bin(b + c, 1/2)
-- (capped at 1). A difference whose interval contains 0 is not evidence either way.
function M.compare(labels, pa, pb, threshold)
  threshold = threshold or 0.5
  local n = #labels
  if #pa ~= n or #pb ~= n then
    error(("sentiment.metrics.compare: %d labels but %d and %d scores"):format(n, #pa, #pb), 2)
  end
  if n == 0 then error("sentiment.metrics.compare: no rows", 2) end
  local ra, rb, b, c = 0, 0, 0, 0
  for i = 1, n do
    local oka = (pa[i] > threshold and 1 or 0) == labels[i]
    local okb = (pb[i] > threshold and 1 or 0) == labels[i]
    if oka then ra = ra + 1 end
    if okb then rb = rb + 1 end
    if oka and not okb then b = b + 1 elseif okb and not oka then c = c + 1 end
  end
  local d = (b - c) / n
  local se = math.sqrt(math.max(0, (b + c) - (b - c) ^ 2 / n)) / n
  -- exact binomial tail in log space: log C(m, k) by summing logs (m = b + c discordant pairs)
  local m, k = b + c, math.min(b, c)
  local tail, logc = 0, 0
  for j = 0, k do
    if j > 0 then logc = logc + math.log(m - j + 1) - math.log(j) end
    tail = tail + math.exp(logc - m * math.log(2))
  end
  return { n = n, acc_a = ra / n, acc_b = rb / n, diff = d, b = b, c = c,
           lo = d - 1.959964 * se, hi = d + 1.959964 * se, p = math.min(1, 2 * tail) }
end

return M
