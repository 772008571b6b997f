-- tide.clv — customer-base analysis: who is still a customer, how much will they buy, what
-- are they worth. Models fitted by maximum likelihood in C (engine/clv_*.c):
--   BG/NBD (Fader, Hardie & Lee 2005), Pareto/NBD (Schmittlein, Morrison & Colombo 1987;
--   Fader & Hardie 2005 note), MBG/NBD (Batislam, Denizel & Filiztekin 2007), Gamma-Gamma
--   spend (Fader & Hardie 2013 note).
--
--   local s = tide.clv.summary(tx, {calibration_end = "1997-09-30", observation_end = "1998-06-30"})
--   local m = tide.clv.bgnbd():fit(s)            -- m:params(), m:p_alive(f, r, T), ...
--   local g = tide.clv.gammagamma():fit(s)
--   local v = tide.clv.value(m, g, s, {months = 12, discount = 0.01})
--   local h = tide.clv.holdout_check(m, s)       -- actual vs predicted holdout purchases
local model = require "tide.clv.model"
local summary = require "tide.clv.summary"
local value = require "tide.clv.value"

local M = {}

--- bgnbd() / paretonbd() / mbgnbd() / gammagamma() -> unfitted model (see tide.clv.model)
function M.bgnbd() return model.new("bgnbd") end
function M.paretonbd() return model.new("paretonbd") end
function M.mbgnbd() return model.new("mbgnbd") end
function M.gammagamma() return model.new("gammagamma") end
--- model(kind) -> unfitted model of that kind
M.model = model.new
M.load = model.load
M.summary = summary.summary
M.value = value.value
M.holdout_check = value.holdout_check
M.holdout_plot = value.holdout_plot

return M
