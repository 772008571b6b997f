-- tide decay — fit return-gap decay laws to an event log and print half-lives / AIC ranking;
-- `tide decay response` fits the interest-response kernel (type weights, half-life, the
-- nonparametric curve); `tide decay response-eval` runs the set-based F1 evaluation.
local HELP = [[usage: tide decay DATA [options]                    return-gap laws (or --data DATA)
       tide decay response DATA [options]           response kernel of a target action
       tide decay response-eval DATA [options]      F1 of none / gap / response / marked / stacked / pop / SAR
  --schema S         preset (taobao, movielens, cdnow, retail, sasrec, sim; default sim), a
                     schema .lua file or key=col,... (e.g. user=customer,time=when)
  --family F|auto    exponential, linear, logarithmic, hyperbolic, power, weibull, mixture, or
                     auto: rank them by AIC (return gaps) / held-out likelihood (response)
  --per P            global | user | category | item (default global)      [return gaps]
  --unit U           day | hour | second (default day)
  --min-gap S        events within S seconds of the previous one are one visit (default 1800)
  --show N           print the first N series (default 5)
  --key K            item | category: what the response is about (default item) [response]
  --target E         the action modelled: buy (default), cart, fav, click, browse
  --k N              mixture components (default 2); --max-hist N (default 50)
  --delay D          dead time in units before an interaction excites (e.g. 0.02 day: keeps a
                     session's own view-cart-buy funnel out of the kernel)
  --frailty L        pair | user: a gamma frailty per (user, key) pair or shared by a user's pairs
  --marked           response: the marked kernel instead, when a user acts (a per-user kernel
                     over visits) × on which key (a decayed preference); --family is the
                     ground kernel's (default mixture), --delay the visit gap (0.0208 day)
  --stacked          response: the marked kernel's parts and pair / user / key statistics weighed
                     by gradient-boosted trees learned on the log's last --horizon days (P of
                     acting in the horizon; prints the features' gain)
  --bootstrap N      response-eval: 95 % interval of each F1 minus no decay's (N user resamples)
  --transfer R       response-eval: auto (default), threshold, share or plugin (calibrated
                     expected-F1 cut): how the validation choice carries to the refitted model
                     (tide.decay.response_eval)
  --edges LIST       age bins of the nonparametric curve, e.g. 0,1,2,4,7,14,30,60
  --holdout D        days held out for --family auto (default 14)
  --out FILE         save the response fit (tide.decay.load reads it)
  --horizon D        response-eval: days of each window; response --stacked: days predicted;
                     response --marked: the horizon of the printed recalibration (14)
  --origins N        response-eval: N consecutive test windows (rolling origin, each with its
                     own validation window and refits), F1 pooled over them (default 1)
  --methods LIST     response-eval: subset of none,gap,response,marked,stacked,popularity,sar
  --choose LIST      response-eval: a "chosen" row, in each window the listed method with the
                     best validation F1 (default marked,stacked when the default methods run both)
Return gaps: the survival curve of the time until a user comes back (to the category/item with
--per category/item); the open gap at the end of the log is right-censored. Response kernel:
λ(t) = μ + Σ w[type]·g(t − t_i) over the user's past interactions with the key.]]

local function fail(msg) error(tostring(msg):gsub("^[^:\n]*%.lua:%d+: ", ""), 0) end

local function read(o)
  local path = o.data or o._[1] or fail("decay: missing DATA path (tide decay --help)")
  local ok, ev = pcall(require("tide").data.read_events, path, require("tide.cli").schema(o.schema or "sim"))
  if not ok then fail(ev) end
  return ev
end

local function list(s, conv)
  local out = {}
  for x in tostring(s):gmatch("[^,%s]+") do out[#out + 1] = conv and (tonumber(x) or fail("decay: not a number: " .. x)) or x end
  return out
end

-- --horizon D (default 14), a number or a named error
local function horizon(o)
  return tonumber(o.horizon or 14) or fail("decay: --horizon must be a number of days, got " .. tostring(o.horizon))
end

local function frailty(o)
  local f = o.frailty
  if f == nil then return nil end
  if f ~= "pair" and f ~= "user" then fail("decay: --frailty must be pair or user, got " .. tostring(f)) end
  return f
end

-- the options every response fit takes from the command line (plus `extra`)
local function fit_opts(o, extra)
  local t = { key = o.key or "item", target = o.target or "buy", unit = o.unit or "day", k = tonumber(o.k),
              max_hist = tonumber(o["max-hist"]), delay = tonumber(o.delay), frailty = frailty(o) }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

-- --out: the fit saved atomically (tide.decay.load reads it)
local function save(f, path)
  if not path then return end
  local ok, err = pcall(f.save, f, path)
  if not ok then fail(err) end
  print("saved " .. path)
end

-- `tide decay response --marked`: fit, print both parts, save
local function marked(o)
  local tide = require "tide"
  local h = horizon(o) -- of the printed recalibration
  local ev = read(o)
  local ok, f = pcall(tide.decay.response.fit_marked, ev, fit_opts(o, { family = o.family, se = true }))
  if not ok then fail(f) end
  local g, u = f.ground, o.unit or "day"
  print(("marked response kernel of %s on %s: lambda_{u,k}(t) = lambda_u(t) * pi_{u,k}(t)"):format(f.target, f.key))
  local w = g.weights[f.target]
  print(("when (per-user %s kernel over visits, gap %.4g %s): mu %.4g ± %.2g per %s%s"):format(g.family, f.delay, u,
    g.mu, g.se_mu, u, g.kappa and (", frailty shape %.3g ± %.2g"):format(g.kappa, g.se_kappa) or ""))
  if g.family == "mixture" then -- θ = (shares, rates): each component's visits and half-life
    local k = #g.theta / 2
    for j = 1, k do
      print(("  component %d: each visit adds %.4g visits, half-life %.4g %s"):format(j, w * g.theta[j],
        math.log(2) / g.theta[k + j], u))
    end
  else
    print(("  each visit adds %.4g ± %.2g visits, half-life %.4g %s"):format(w, g.se_weights[f.target], g.half_life, u))
  end
  print(("on what (decayed preference over %d marks): half-life %.4g ± %.2g %s, floor %.4g ± %.2g, prior strength %.4g ± %.2g%s"):format(
    f.n_marks, f.half_life, f.se_half_life, u, f.floor, f.se_floor, f.alpha, f.se_alpha,
    f.converged and "" or ("  [optimiser status " .. f.status .. "]")))
  print("  type      weight in the preference (the target's = 1) ± se")
  for _, name in ipairs(f.type_names) do print(("  %-8s  %.5g ± %.2g"):format(name, f.weights[name], f.se_weights[name])) end
  print(("target rows per visit: %.4g (Gamma prior shape %.3g)"):format(f.rows_per_visit, f.rows_prior))
  -- the query-time recalibration of expected visits, as scoring at the log's end would make it
  local c = f:expected(ev, ev.time:max():item() + 1, h).calibration
  if c then
    print(("expected visits in the next %g %ss, recalibrated on the last %g: log E' = %.3f + %.3f log E + %.3f log r"
      .. " (E the kernel's, r the user's long-run visit rate)"):format(h, u, h, c.c, c.a, c.b))
  else
    print("expected visits: the kernel's own (the log starts inside its last horizon)")
  end
  save(f, o.out)
  return 0
end

-- `tide decay response --stacked`: fit, print what the trees learned from, save
local function stacked(o)
  local tide = require "tide"
  local H = horizon(o)
  local ev = read(o)
  local so = fit_opts(o, { family = o.family, horizon = H })
  so.unit = nil -- --horizon is in days, the stacked model's default unit
  local ok, f = pcall(tide.decay.response.fit_stacked, ev, so)
  if not ok then fail(f) end
  print(("stacked response model of %s on %s: P(a pair acts in the next %g days), trees learned on the last %g days"):format(
    f.target, f.key, H, H))
  print(("  %d candidate pairs, %d of them acted (%.2f %%); the marked kernel fitted on the rows before"):format(
    f.n_train, f.n_positive, 100 * f.n_positive / f.n_train))
  if f.warning then print("warning: " .. f.warning) end
  print("  feature          share of the trees' split gain")
  for _, x in ipairs(f:importance()) do print(("  %-16s %.3f"):format(x.name, x.gain)) end
  save(f, o.out)
  return 0
end

local function response(o)
  if o.marked then return marked(o) end
  if o.stacked then return stacked(o) end
  local tide = require "tide"
  local R = tide.decay.response
  local ev = read(o)
  local base = fit_opts(o)
  local fam = o.family or "auto"
  local ok, f = pcall(function()
    if fam == "auto" then
      local so = { holdout = tonumber(o.holdout or 14) }
      for k, v in pairs(base) do so[k] = v end
      local ranked = R.select(ev, so)
      for _, r in ipairs(ranked) do print(("  %-12s held-out LL per action %.4f  AIC %.1f"):format(r.family, r.heldout, r.aic)) end
      fam = ranked[1].family
    end
    base.family, base.segment = fam, o.segment
    return R.fit(ev, base)
  end)
  if not ok then fail(f) end
  print(("response kernel (%s) of %s on %s: mu %.4g ± %.2g per pair per %s, half-life %.3f %s, LL %.1f, AIC %.1f%s"):format(
    f.family, f.target, f.key, f.mu, f.se_mu, base.unit, f.half_life, base.unit, f.loglik, f.aic,
    f.converged and "" or ("  [" .. f.message .. "]")))
  print("  type      weight (expected actions each interaction adds) ± se")
  for _, name in ipairs(f.type_names) do print(("  %-8s  %.5g ± %.2g"):format(name, f.weights[name], f.se_weights[name])) end
  for i, v in ipairs(f.theta) do print(("  theta[%d] %.5g ± %.2g"):format(i, v, f.se_theta[i])) end
  local edges = o.edges and list(o.edges, true) or { 0, 1, 2, 4, 7, 14, 30, 60 }
  local ok2, c = pcall(R.curve, ev, { key = base.key, target = base.target, unit = base.unit, edges = edges })
  if not ok2 then fail(c) end
  print(("nonparametric curve: %s per pair per %s by age of the latest interaction (95%% interval)"):format(base.target, base.unit))
  local head = { ("  %-12s"):format("age") }
  for _, name in ipairs(f.type_names) do if c[name] then head[#head + 1] = ("%-26s"):format(name) end end
  print(table.concat(head, " "))
  for b = 1, #edges - 1 do
    local cells = { ("  %-12s"):format(("[%g, %g)"):format(edges[b], edges[b + 1])) }
    for _, name in ipairs(f.type_names) do
      local r = c[name]
      if r then cells[#cells + 1] = ("%-26s"):format(("%.4g [%.3g, %.3g]"):format(r.rate[b], r.lo[b], r.hi[b])) end
    end
    print(table.concat(cells, " "))
  end
  save(f, o.out)
  return 0
end

local function evaluate(o)
  local E = require "tide.decay.response_eval"
  local h = horizon(o)
  local ev = read(o)
  local ok, rows = pcall(E.evaluate, ev, { key = o.key, target = o.target, horizon = h,
    family = o.family, methods = o.methods and list(o.methods), k = tonumber(o.k), max_hist = tonumber(o["max-hist"]),
    delay = tonumber(o.delay), frailty = frailty(o), bootstrap = tonumber(o.bootstrap),
    transfer = o.transfer, choose = o.choose and list(o.choose), origins = o.origins and (tonumber(o.origins) or fail("decay: --origins must be a number")) })
  if not ok then fail(rows) end
  if rows.origins == 1 then
    print(("(user, %s) pairs with a %s in the last %s days; k and threshold chosen on the %s days before"):format(
      o.key or "item", o.target or "buy", h, h))
  else
    print(("(user, %s) pairs with a %s in each of the last %d windows of %s days, pooled; each window's k and threshold"
      .. " chosen on the %s days before it (k, threshold, val F1: the latest window's)"):format(o.key or "item",
      o.target or "buy", rows.origins, h, h))
  end
  -- the interval column only when there is one to show (it needs --bootstrap N)
  local boot = false
  for _, r in ipairs(rows) do boot = boot or r.diff_lo ~= nil end
  local fmt = "%-12s %-12s %4s %10s %9s %8s %8s %8s %8s"
  print((fmt .. (boot and "  %s" or "")):format("method", "detail", "k", "threshold", "transfer", "val F1",
    "F1", "prec", "recall", "F1 − none, 95 %"))
  for _, r in ipairs(rows) do
    print(("%-12s %-12s %4s %10.4g %9s %8.4f %8.4f %8.4f %8.4f%s"):format(r.method, r.detail or "",
      r.k == math.huge and "all" or tostring(r.k), r.threshold, r.transfer, r.val_f1, r.f1, r.precision, r.recall,
      r.diff_lo and ("  [%+.4f, %+.4f]"):format(r.diff_lo, r.diff_hi) or ""))
  end
  if not boot then
    print("(for a 95 % interval of each method's F1 minus no decay's, over users, add --bootstrap 500)")
  end
  return 0
end

return {
  summary = "decay laws: return-gap fits (AIC), the response kernel of an action, its F1 evaluation",
  help = HELP,
  run = function(args)
    local cli = require "tide.cli"
    local sub = args[1]
    if sub == "response" or sub == "response-eval" then
      local rest = {}
      for i = 2, #args do rest[#rest + 1] = args[i] end
      local o = cli.parse(rest, { marked = true, stacked = true })
      return sub == "response" and response(o) or evaluate(o)
    end
    local o = cli.parse(args)
    local tide = require "tide"
    local ev = read(o)
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
