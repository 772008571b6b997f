-- clv.lua — demo stage: the customer base. BG/NBD and Gamma-Gamma (Fader, Hardie & Lee 2005)
-- on the CDNOW sample (MIT, bundled): 39-week calibration, 39-week holdout; parameters next to
-- the published ones, P(alive), the holdout check, and 12-month CLV.
return function(S)
  local tide, clv = S.tide, S.tide.clv
  local ev = tide.data.read_events(S.DATA .. "cdnow/CDNOW_sample.txt", { user = 2, time = 3, value = 4, price = 5,
    whitespace = true, header = false, time_format = "ymd", event_default = "buy" })
  local s = clv.summary(ev, { calibration_end = "1997-09-30", observation_end = "1998-06-30", unit = "week" })
  local bg = clv.bgnbd():fit(s)
  local gg = clv.gammagamma():fit(s)
  local p = bg:params()
  print(("CDNOW sample, %d customers: BG/NBD r %.3f, alpha %.3f, a %.3f, b %.3f (published 0.243, 4.414, 0.793, 2.426)"):format(
    s.n, p.r, p.alpha, p.a, p.b))
  local h = clv.holdout_check(bg, s)
  print(("holdout weeks 40-78: %d repeat purchases, BG/NBD predicted %.0f"):format(h.actual_total, h.predicted_total))
  local v = clv.value(bg, gg, s, { months = 12, discount = 0.01 })
  local total = 0
  for _, x in ipairs(v) do total = total + x end
  print(("12-month CLV at 1 %%/month: mean $%.2f per customer"):format(total / #v))
  S.R:section("9. Customer base (CDNOW sample)")
    :text(("BG/NBD fitted by maximum likelihood: r %.3f, α %.3f, a %.3f, b %.3f; Fader, Hardie & Lee (2005) publish 0.243, 4.414, 0.793, 2.426. Holdout (weeks 40-78): %d repeat purchases, %.0f predicted. 12-month CLV (BG/NBD × Gamma-Gamma, 1 %%/month discount): mean $%.2f per customer."):format(
      p.r, p.alpha, p.a, p.b, h.actual_total, h.predicted_total, total / #v))
  clv.holdout_plot(S.R, h, "BG/NBD: holdout repeat purchases by calibration frequency")
end
