-- examples/clv.lua — customer-base analysis on CDNOW (Fader, Hardie & Lee 2005): build the
-- calibration/holdout summary from the raw transactions, fit BG/NBD, Pareto/NBD, MBG/NBD and
-- Gamma-Gamma, print them next to the published estimates, check the holdout forecasts, value
-- the customers, and compare next-visit forecasters (ARIMA, GRU, Hawkes) on the full log.
-- Run: tide run examples/clv.lua [out/clv.html]  (the next-visit part takes ~40 s)
local tide = require "tide"
local clv = tide.clv
local DIR = "examples/data/cdnow/"

local ev = tide.data.read_events(DIR .. "CDNOW_sample.txt", { user = 2, time = 3, value = 4, price = 5,
  whitespace = true, header = false, time_format = "ymd", event_default = "buy" })
local s = clv.summary(ev, { calibration_end = "1997-09-30", observation_end = "1998-06-30", unit = "week" })
print(("== CDNOW sample: %d customers, 39-week calibration, 39-week holdout"):format(s.n))

-- published estimates (see tests/lua/test_clv.lua for the sources)
local published = {
  bgnbd = { r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, ll = -9582.4 },
  paretonbd = { r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, ll = -9595.0 },
  mbgnbd = { r = 0.525, alpha = 6.183, a = 0.891, b = 1.614 },
  gammagamma = { p = 6.25, q = 3.74, gamma = 15.44 },
}
local models = {}
for _, kind in ipairs({ "bgnbd", "paretonbd", "mbgnbd", "gammagamma" }) do
  local m = clv.model(kind):fit(s)
  models[kind] = m
  local p = m:params()
  local parts = {}
  for _, nm in ipairs(m.names) do
    parts[#parts + 1] = ("%s %.4g (se %.3g; published %s)"):format(nm, p[nm], p.se[nm], tostring(published[kind][nm]))
  end
  print(("%-10s %s  LL %.2f%s"):format(kind, table.concat(parts, ", "), p.loglik,
    published[kind].ll and (" (published " .. published[kind].ll .. ")") or ""))
end

local R = tide.report.new("CDNOW customer-base models")
for _, kind in ipairs({ "bgnbd", "paretonbd", "mbgnbd" }) do
  local h = clv.holdout_check(models[kind], s)
  print(("%s holdout: %d actual vs %.1f predicted repeat purchases"):format(kind, h.actual_total, h.predicted_total))
  for _, row in ipairs(h.rows) do
    print(("  calibration frequency %s%d: n %4d  actual %.3f  predicted %.3f"):format(
      row.frequency == h.max_frequency and ">=" or "  ", row.frequency, row.n, row.actual, row.predicted))
  end
  clv.holdout_plot(R, h, kind .. ": holdout repeat purchases by calibration frequency")
end

local v = clv.value(models.bgnbd, models.gammagamma, s, { months = 12, discount = 0.01 })
local total = 0
for _, x in ipairs(v) do total = total + x end
print(("12-month CLV at 1 %%/month (BG/NBD x Gamma-Gamma): mean $%.2f per customer, total $%.0f"):format(total / #v, total))

print("== next-visit time on CDNOW master (customers with >= 4 purchase days; last gap held out)")
local master = tide.data.read_events(DIR .. "CDNOW_master.txt.gz", "cdnow")
local c = tide.forecast.compare(master, {})
print(("%d customers (ARIMA fitted for %d); MAE in days:"):format(c.n_users, c.arima_fitted))
for _, nm in ipairs({ "arima", "gru", "hawkes", "last_gap", "median_gap" }) do print(("  %-10s %.2f"):format(nm, c.mae[nm])) end
R:bars{ title = "next-visit MAE (days)", labels = { "ARIMA", "GRU", "Hawkes", "last gap", "median gap" },
        values = { c.mae.arima, c.mae.gru, c.mae.hawkes, c.mae.last_gap, c.mae.median_gap } }
if arg and arg[1] then R:save(arg[1]); print("report: " .. arg[1]) end
