-- tide decay — fit return-gap decay laws to an event log and print half-lives / AIC ranking.
return {
  summary = "fit interest-decay laws (half-lives, AIC/BIC family choice) to an event log",
  help = [[usage: tide decay DATA [options]
  --schema NAME      schema preset (taobao, movielens, cdnow, retail, sasrec, sim)
  --family F|auto    exponential, linear, logarithmic, hyperbolic, power, weibull, mixture, or
                     auto: rank them all by AIC (default auto)
  --per P            global | user | category | item (default global)
  --unit U           day | hour | second (default day)
  --min-gap S        events within S seconds of the previous one are one visit (default 1800)
  --show N           print the first N series (default 5)
Estimand: the survival curve of the time until a user comes back (to the category/item with
--per category/item); the open gap at the end of the log is right-censored.]],
  run = function(args)
    local cli = require "tide.cli"
    local o = cli.parse(args)
    local path = o._[1] or error("decay: missing DATA path (tide decay --help)", 0)
    local tide = require "tide"
    local ok, ev = pcall(tide.data.read_events, path, o.schema or "sim")
    if not ok then error((tostring(ev):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
    local opts = { per = o.per or "global", unit = o.unit or "day", min_gap = tonumber(o["min-gap"] or 1800) }
    local fam = o.family or "auto"
    if fam == "auto" then
      for _, r in ipairs(tide.decay.select(ev, opts)) do
        print(("%-12s AIC %12.1f  ΔAIC %10.1f  BIC %12.1f  half-life %.3f %s"):format(r.family, r.aic, r.delta_aic, r.bic,
          r.fit.half_life:get(1), opts.unit))
      end
      return 0
    end
    opts.family = fam
    local f = tide.decay.fit(ev, opts)
    print(("%s per %s: %d series, %d gaps (%d returns), AIC %.1f, BIC %.1f"):format(f.family, f.per, f.n_series,
      f.n_gaps, f.n_returns, f.aic, f.bic))
    for s = 1, math.min(f.n_series, tonumber(o.show or 5)) do
      local p, parts = f:params(s), {}
      for k, v in pairs(p) do parts[#parts + 1] = ("%s=%.4g"):format(k, v) end
      table.sort(parts)
      print(("  series %d: %s"):format(s, table.concat(parts, " ")))
    end
    return 0
  end,
}
