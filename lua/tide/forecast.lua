-- tide.forecast — when will a user come back? Time-series and sequence forecasters of activity
-- and return gaps, and their comparison with the Hawkes forecast (tide.decay.hawkes):
--   tide.forecast.arima(series, {p=, d=, q=}) / auto_arima(series, {max_p=, max_q=, max_d=})
--   tide.forecast.gru_gap(seqs, opts)   GRU regressor of the log next gap from past gaps
--   model:save(path); tide.forecast.load_arima(path) / load_gru_gap(path)
--   tide.forecast.compare(ev, opts)     MAE of next-visit time: ARIMA, GRU, Hawkes, last gap
local arima = require "tide.forecast.arima"

local M = {}
M.arima = arima.arima
M.auto_arima = arima.auto_arima
M.kpss = arima.kpss
M.load_arima = arima.load

-- the sequence models load on first use (they pull in tide.nn)
setmetatable(M, { __index = function(_, k)
  if k == "gru_gap" or k == "load_gru_gap" then return require("tide.forecast.gru")[k == "gru_gap" and "fit" or "load"] end
  if k == "compare" or k == "visits" then return require("tide.forecast.compare")[k] end
end })

return M
