-- tide.clv.value — what the fitted models are for: discounted customer lifetime value
-- (count model x spend model) and the calibration/holdout check of Fader, Hardie & Lee (2005,
-- Fig. 4): mean actual vs predicted repeat purchases in the holdout period, grouped by the
-- number of repeat purchases in the calibration period.
local M = {}

local DAYS_PER_MONTH = 365.25 / 12
local UNIT_DAYS = { day = 1, week = 7 }

--- value(model, spend_model, summary, opts) -> array of CLV per customer (summary order).
--- CLV_i = sum_{k=1..K} (E[Y(k P)] - E[Y((k-1) P)]) * E[spend_i] / (1 + discount)^k, the
--- conditional expected purchases of each period of length P discounted at the period's end
--- (the discrete form of Fader, Hardie & Lee 2005 "RFM and CLV", JMR 42(4), eq. 2).
--- opts: months | weeks | days = K periods of that length (exactly one), discount (per
--- period, default 0), unit (the summary's time unit; default summary.unit or "week").
--- spend_model: a fitted gammagamma model, or a number (the same spend for everyone).
function M.value(model, spend, summary, opts)
  opts = opts or {}
  if type(model) ~= "table" or not model.conditional_expected or model.kind == "gammagamma" then
    error("clv.value: argument #1 must be a fitted bgnbd/paretonbd/mbgnbd model", 2)
  end
  if type(summary) ~= "table" or type(summary.frequency) ~= "table" then error("clv.value: argument #3 must be a clv.summary table", 2) end
  local unit = opts.unit or summary.unit or "week"
  local ud = UNIT_DAYS[unit] or error("clv.value: unit must be 'day' or 'week', got " .. tostring(unit), 2)
  local K, plen, given = nil, nil, 0
  for name, days in pairs({ months = DAYS_PER_MONTH, weeks = 7, days = 1 }) do
    if opts[name] ~= nil then K, plen, given = opts[name], days / ud, given + 1 end
  end
  if given ~= 1 then error("clv.value: give exactly one of opts.months, opts.weeks, opts.days", 2) end
  if type(K) ~= "number" or K < 1 or K ~= math.floor(K) then error("clv.value: the number of periods must be an integer >= 1", 2) end
  local d = opts.discount or 0
  if type(d) ~= "number" or d ~= d or d <= -1 then error("clv.value: opts.discount must be a number > -1", 2) end
  local f, r, T = summary.frequency, summary.recency, summary.T
  local m
  if type(spend) == "number" then
    m = {}
    for i = 1, #f do m[i] = spend end
  elseif type(spend) == "table" and spend.kind == "gammagamma" then
    m = spend:conditional_value(f, summary.monetary or error("clv.value: the summary has no monetary column", 2))
  else
    error("clv.value: argument #2 must be a fitted gammagamma model or a number", 2)
  end
  local out, prev = {}, {}
  for i = 1, #f do out[i], prev[i] = 0, 0 end
  for k = 1, K do
    local e = model:conditional_expected(k * plen, f, r, T)
    local disc = (1 + d) ^ -k
    for i = 1, #f do
      out[i] = out[i] + (e[i] - prev[i]) * m[i] * disc
      prev[i] = e[i]
    end
  end
  return out
end

--- holdout_check(model, summary, opts) -> {rows = {{frequency, n, actual, predicted}, ...},
---   actual_total, predicted_total}. Needs a summary built with observation_end. Customers
--- with calibration frequency >= opts.max_frequency (default 7) share the last row (its
--- frequency is that bound, labelled "7+" by holdout_plot).
function M.holdout_check(model, summary, opts)
  opts = opts or {}
  if type(summary) ~= "table" or type(summary.frequency_holdout) ~= "table" then
    error("clv.holdout_check: the summary has no holdout columns (build it with observation_end)", 2)
  end
  local maxf = opts.max_frequency or 7
  local f = summary.frequency
  local pred = model:conditional_expected(summary.duration_holdout, f, summary.recency, summary.T)
  local rows, at, pt = {}, 0, 0
  for k = 0, maxf do rows[k + 1] = { frequency = k, n = 0, actual = 0, predicted = 0 } end
  for i = 1, #f do
    local row = rows[math.min(f[i], maxf) + 1]
    row.n, row.actual, row.predicted = row.n + 1, row.actual + summary.frequency_holdout[i], row.predicted + pred[i]
    at, pt = at + summary.frequency_holdout[i], pt + pred[i]
  end
  local kept = {}
  for _, row in ipairs(rows) do
    if row.n > 0 then
      row.actual, row.predicted = row.actual / row.n, row.predicted / row.n
      kept[#kept + 1] = row
    end
  end
  return { rows = kept, actual_total = at, predicted_total = pt, max_frequency = maxf }
end

--- holdout_plot(report, check [, title]) — adds the actual-vs-predicted line chart of a
--- holdout_check result to a tide.report
function M.holdout_plot(report, check, title)
  local xs, a, p = {}, {}, {}
  for i, row in ipairs(check.rows) do xs[i], a[i], p[i] = row.frequency, row.actual, row.predicted end
  report:lines{ title = title or "Holdout repeat purchases by calibration frequency",
    x_label = ("repeat purchases in calibration (%d = %d+)"):format(check.max_frequency, check.max_frequency),
    y_label = "mean repeat purchases in holdout",
    series = { { name = "actual", x = xs, y = a }, { name = "predicted", x = xs, y = p } } }
  return report
end

return M
