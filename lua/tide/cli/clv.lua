-- tide clv fit|predict — customer-base models (tide.clv) from a transaction CSV: fit BG/NBD,
-- Pareto/NBD or MBG/NBD (plus Gamma-Gamma spend when a value column is given) on the
-- calibration period, save them in one model file (atomic, exact reload), then score
-- customers: probability alive, expected purchases and expected spend over a horizon.
local HELP = [[
usage: tide clv fit     --data TX.csv --customer COL --date COL [--value COL] --calibration-end DATE
                        [--model auto|bgnbd|paretonbd|mbgnbd] [--unit week|day] --out MODEL
       tide clv predict --model MODEL --data TX.csv --horizon N [--discount D] [--out FILE.csv]
                        (--customer/--date/--value default to the columns used at fit time)
common: --quiet (no report on stdout)  --sep C (default ,)
        --no-strict (fit: keep a fit that did not converge, with a warning, instead of failing)
        --time-format auto|iso|ymd|epoch|epoch_ms (default auto; use ymd for YYYYMMDD dates)
fit: builds the Fader-Hardie summary (repeat purchase days up to --calibration-end, recency and
  age T in --unit, default week), fits the count model by maximum likelihood and, with --value,
  Gamma-Gamma spend on the repeat customers; prints parameters with standard errors. The default
  --model auto fits BG/NBD, Pareto/NBD and MBG/NBD and keeps the converged one with the highest
  log-likelihood (all have 4 parameters: the lowest AIC). A fit that does not converge is an
  error that says why.
predict: rebuilds the summary at the model's calibration end and writes CSV
  customer,p_alive,expected,value  where expected = purchases in the next N units and value =
  their expected spend (Gamma-Gamma), discounted at D per unit (default 0). Without a spend
  model the value column is empty.]]

local cli_util = {}

local function need(a, k)
  local v = a[k]
  if type(v) ~= "string" or v == "" then error("--" .. k .. " is required (tide clv --help)", 0) end
  return v
end

local function num(a, k)
  if a[k] == nil then return nil end
  return tonumber(a[k]) or error("--" .. k .. " must be a number, got '" .. tostring(a[k]) .. "'", 0)
end

-- transactions of the CSV as a tide.data event table (customer as user, value as price)
function cli_util.read(a, cols)
  local schema = { user = cols.customer, time = cols.date, price = cols.value ~= "" and cols.value or nil,
                   sep = a.sep or ",", time_format = a["time-format"] or "auto", event_default = "buy" }
  local ok, ev = pcall(require("tide").data.read_events, a.data, schema)
  if not ok then error((tostring(ev):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
  return ev
end

local function summary(ev, cal, unit)
  local ok, s = pcall(require("tide").clv.summary, ev, { calibration_end = cal, unit = unit, value = ev.price and "price" or nil })
  if not ok then error((tostring(s):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
  return s
end

local function show(m)
  local p, parts = m:params(), {}
  for _, nm in ipairs(m.names) do parts[#parts + 1] = ("%s=%.4g (se %.3g)"):format(nm, p[nm], p.se[nm]) end
  return ("%s: %s  LL=%.2f"):format(m.kind, table.concat(parts, " "), p.loglik)
end

local cmds = {}

-- --model auto: fit the three count models and keep, of those that converge, the one with the
-- highest log-likelihood (each has four parameters, so this is also the lowest AIC / BIC)
local function choose(s, print)
  local best, seen = nil, {}
  for _, kind in ipairs({ "bgnbd", "paretonbd", "mbgnbd" }) do
    local m = require("tide").clv.model(kind)
    local ok, err = pcall(m.fit, m, s, { strict = true })
    if ok then
      seen[#seen + 1] = ("%s LL %.2f"):format(kind, m.ll)
      if not best or m.ll > best.ll then best = m end
    else
      seen[#seen + 1] = ("%s did not fit (%s)"):format(kind, (tostring(err):gsub("^[^:]*%.lua:%d+: ", ""):gsub("; pass strict=false to keep it", "")))
    end
  end
  if not best then
    error("no count model converged on this log:\n  " .. table.concat(seen, "\n  ") ..
      "\n(--model NAME --no-strict keeps one model's end point)", 0)
  end
  print(("model auto: %s, the highest log-likelihood of the fits that converged (%s)"):format(best.kind, table.concat(seen, "; ")))
  return best
end

function cmds.fit(a)
  local clv = require("tide").clv
  local cols = { customer = need(a, "customer"), date = need(a, "date"), value = a.value or "" }
  need(a, "data"); need(a, "out")
  local cal = need(a, "calibration-end")
  local kind = a.model or "auto"
  if kind ~= "auto" and kind ~= "bgnbd" and kind ~= "paretonbd" and kind ~= "mbgnbd" then
    error("--model must be auto, bgnbd, paretonbd or mbgnbd, got '" .. kind .. "'", 0)
  end
  local unit = a.unit or "week"
  local s = summary(cli_util.read(a, cols), cal, unit)
  local strict = not a["no-strict"]
  local function fit(model, opts)
    opts.strict = strict
    local ok, r = pcall(model.fit, model, s, opts)
    if not ok then
      r = tostring(r):gsub("^[^:]*%.lua:%d+: ", ""):gsub("pass strict=false to keep it",
        "--no-strict keeps it; another --model may suit this log")
      error(r, 0)
    end
    if not r.converged then
      io.stderr:write(("warning: %s did not converge (%s): kept its end point (--no-strict); its standard errors are not valid\n")
        :format(r.kind, r.reason))
    end
    return r
  end
  local print = a.quiet and function() end or print
  print(("%d customers, calibration end %s (%s)"):format(s.n, os.date("!%Y-%m-%d", s.calibration_end), unit))
  local m
  if kind == "auto" then m = choose(s, print) else m = fit(clv.model(kind), {}) end
  print(show(m))
  local spend
  if cols.value ~= "" then
    spend = fit(clv.gammagamma(), { skip_zero_spend = true })
    print(show(spend) .. (spend.skipped > 0 and ("  (%d repeat customers with spend <= 0 left out)"):format(spend.skipped) or ""))
  end
  m:save(a.out, { spend = spend, meta = { calibration_end = s.calibration_end, unit = unit, customer = cols.customer,
                                          date = cols.date, value = cols.value } })
  print("saved " .. a.out)
  return 0
end

local function csv_field(v)
  v = tostring(v)
  if v:find('[,"\n\r]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

function cmds.predict(a)
  local clv = require("tide").clv
  local path = need(a, "model")
  need(a, "data")
  local h = num(a, "horizon") or error("--horizon N is required", 0)
  if h <= 0 then error("--horizon must be > 0", 0) end
  local ok, m, extra = pcall(clv.load, path)
  if not ok then error((tostring(m):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
  local meta = extra.meta
  if not meta.calibration_end then error(path .. ": no calibration end stored (not written by tide clv fit)", 0) end
  for _, mm in ipairs({ m, extra.spend }) do
    if not mm.converged then
      io.stderr:write(("warning: %s: the %s fit did not converge (%s); predictions are at its end point\n")
        :format(path, mm.kind, tostring(mm.reason)))
    end
  end
  local cols = { customer = a.customer or meta.customer, date = a.date or meta.date, value = a.value or meta.value or "" }
  local s = summary(cli_util.read(a, cols), meta.calibration_end, meta.unit)
  local pa = m:p_alive(s.frequency, s.recency, s.T)
  local ex = m:conditional_expected(h, s.frequency, s.recency, s.T)
  local val
  if extra.spend then
    if not s.monetary then error("--value column needed for the spend model", 0) end
    local per = { unit = meta.unit, discount = num(a, "discount") or 0 }
    per[meta.unit == "day" and "days" or "weeks"] = h
    if h ~= math.floor(h) then error("--horizon must be a whole number of " .. meta.unit .. "s for the value column", 0) end
    val = clv.value(m, extra.spend, s, per)
  end
  local lines = { "customer,p_alive,expected,value" }
  for i = 1, s.n do
    lines[#lines + 1] = ("%s,%.6f,%.6f,%s"):format(csv_field(s.customer[i]), pa[i], ex[i], val and ("%.4f"):format(val[i]) or "")
  end
  local text = table.concat(lines, "\n") .. "\n"
  if a.out then
    require("tide").core.io.write_atomic(a.out, text) -- never a half-written predictions file
    if not a.quiet then print(("wrote %d customers to %s"):format(s.n, a.out)) end
  else
    io.stdout:write(text)
  end
  return 0
end

return {
  summary = "customer lifetime value: BG/NBD, Pareto/NBD, MBG/NBD + Gamma-Gamma (fit / predict)",
  help = HELP,
  run = function(args)
    local sub = args[1]
    if sub == "--help" or sub == "-h" then print(HELP); return 0 end
    if not cmds[sub] then error("expected fit or predict\n" .. HELP, 0) end
    local rest = { unpack(args, 2) }
    if rest[1] == "--help" or rest[1] == "-h" then print(HELP); return 0 end
    return cmds[sub](require("tide.cli").parse(rest, { quiet = true }))
  end,
}
