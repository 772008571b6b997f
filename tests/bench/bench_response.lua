-- bench_response.lua — "which (user, key) pairs will buy in the next 14 days": F1, precision
-- and recall of no decay, the return-gap law chosen by AIC, the response kernel
-- (tide.decay.response; with a gamma frailty per pair or per user), the marked response kernel
-- (when the user acts × on which key, tide.decay.response_marked), the kernel's parts weighed by
-- trees learned on the horizon before each cut (tide.decay.response_stacked) and, for items, the
-- popularity and SAR candidates. Every method picks its top-k per user (1 … all) and its exact
-- best score threshold on a validation window inside the training period (train < T−28 d,
-- validate on [T−28 d, T−14 d)); then it is refitted on everything before T−14 d and scored once
-- on the test window [T−14 d, T) (tide.decay.response_eval, also `tide decay response-eval`);
-- whether the score threshold, the share of candidates or a calibrated expected-F1 cut
-- ("plugin", tide.metrics.sets.calibrate) carries over to the refit is chosen per method by a
-- backtest on [T−42 d, T−28 d) → [T−28 d, T−14 d) (the "transfer" column).
-- One test window is a noisy judge, so the protocol runs at BENCH_ORIGINS rolling origins (the
-- log cut at T, T−14 d, T−28 d, …; each with its own validation window and refits): F1,
-- precision and recall pool the test windows (micro-averages), "by window" lists each window's
-- F1 (the latest first), and val F1 / k / threshold / transfer are the latest window's.
-- The "chosen" row takes, in each window, the prediction of marked or stacked, whichever had
-- the better validation F1 there (its detail: the latest window's pick).
-- The interval columns are 95 % bootstrap intervals over users (with all their windows) of F1
-- minus no decay's F1 and minus the return-gap law's.
-- Usage: luajit bench_response.lua [log preset [item|category [delay days]]]
--   BENCH_BOOT=n user resamples (default 500; 0 = off); BENCH_ORIGINS=n test windows (default 4);
--   BENCH_ONLY=none,gap,marked,... only those methods' rows
local tide = require "tide"
local H = 14
local path, preset = arg[1] or "examples/data/uci-online-retail/online_retail.csv.gz", arg[2] or "retail"
local key = arg[3] or "item"
local delay = tonumber(arg[4]) -- logs with browse/cart rows: keep a session's own funnel out (1/48 day)
local ev = tide.data.read_events(path, preset)

local E = require "tide.decay.response_eval"
print(("%s: %d events, %d users, key %s; test window the last %d days (load average %s)"):format(path, ev.n,
  ev.n_users, key, H, io.open("/proc/loadavg"):read("*l"):match("^%S+")))
-- r = {method, family, frailty}
local runs = { { "none" }, { "gap" }, { "response", "exponential" }, { "response", "mixture" },
               { "response", "exponential", "pair" }, { "response", "exponential", "user" },
               { "response", "mixture", "user" }, { "marked", "mixture" }, { "stacked", "mixture" } }
if key == "item" then runs[#runs + 1] = { "popularity" }; runs[#runs + 1] = { "sar" } end
if os.getenv("BENCH_ONLY") then -- e.g. BENCH_ONLY=none,gap,marked,stacked: those rows only
  local want, kept = {}, {}
  for m in os.getenv("BENCH_ONLY"):gmatch("[^,]+") do want[m] = true end
  for _, r in ipairs(runs) do if want[r[1]] then kept[#kept + 1] = r end end
  runs = kept
end
local methods = {}
for i, r in ipairs(runs) do methods[i] = { r[1], family = r[2], frailty = r[3] } end
-- as many windows as asked for and the log allows: each needs three horizons before its test
-- window (the stacked row learns on the horizon before its validation cut)
local span = (ev.time:max():item() + 1 - ev.time:min():item()) / 86400
local origins = math.max(1, math.min(tonumber(os.getenv("BENCH_ORIGINS") or 4), math.ceil(span / H) - 3))
local has = {}
for _, r in ipairs(runs) do has[r[1]] = true end
local rows = E.evaluate(ev, { methods = methods, horizon = H, key = key, target = "buy", delay = delay,
                              bootstrap = tonumber(os.getenv("BENCH_BOOT") or 500), origins = origins,
                              versus = { "gap" }, choose = has.marked and has.stacked and { "marked", "stacked" } or nil })
print(("%d test windows of %d days, pooled"):format(origins, H))
print(("%-34s %4s %10s %9s %8s %8s %8s %8s %6s  %-18s  %-18s %s"):format("method", "k", "threshold", "transfer", "val F1", "F1", "prec",
  "recall", "sec", "F1 − none, 95 %", "F1 − gap, 95 %", "F1 by window"))
for i, x in ipairs(rows) do
  local r = runs[i] or {} -- the chosen row has no run of its own
  local by = {}
  for j, o in ipairs(x.by_origin or {}) do by[j] = ("%.4f"):format(o.f1) end
  local vg = x.versus and x.versus.gap
  print(("%-34s %4s %10.4g %9s %8.4f %8.4f %8.4f %8.4f %6.1f  %-18s  %-18s %s"):format(x.method .. (x.detail and " (" .. x.detail .. ")" or "")
    .. ((x.method == "response" or x.method == "marked") and delay and ", delay " .. arg[4] or "") .. (r[3] and " + " .. r[3] .. " frailty" or ""),
    x.k == math.huge and "all" or tostring(x.k), x.threshold, x.transfer, x.val_f1, x.f1, x.precision, x.recall, x.seconds,
    x.diff_lo and ("[%+.4f, %+.4f]"):format(x.diff_lo, x.diff_hi) or "", vg and ("[%+.4f, %+.4f]"):format(vg.lo, vg.hi) or "",
    table.concat(by, " ")))
end
