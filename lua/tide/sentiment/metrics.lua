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

return M
