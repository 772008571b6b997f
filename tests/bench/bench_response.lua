-- bench_response.lua — "which (user, item) pairs will buy in the next 14 days": F1, precision
-- and recall of no decay, the return-gap law chosen by AIC, the response kernel
-- (tide.models.interest) with and without a gamma frailty per pair, and the popularity and SAR
-- candidates. Every method picks its
-- top-k per user and score threshold on a validation window inside the training period
-- (train < T−28 d, validate on [T−28 d, T−14 d)); then it is refitted on everything before
-- T−14 d and scored on the test window [T−14 d, T) (tide.decay.response_eval, also
-- `tide decay response-eval`). Usage: luajit bench_response.lua [log preset [item|category]]
local tide = require "tide"
local DAY, H = 86400, 14
local path, preset = arg[1] or "examples/data/uci-online-retail/online_retail.csv.gz", arg[2] or "retail"
local key = arg[3] or "item"
local ev = tide.data.read_events(path, preset)
local T_end = ev.time:max():item() + 1

local E = require "tide.decay.response_eval"
print(("%s: %d events, %d users, %d items; test window the last %d days (load average %s)"):format(path, ev.n,
  ev.n_users, ev.n_items, H, io.open("/proc/loadavg"):read("*l"):match("^%S+")))
print(("%-26s %4s %10s %8s %8s %8s %8s %6s"):format("method", "k", "threshold", "val F1", "F1", "prec", "recall", "sec"))
-- r = {method, family, delay, frailty}; BENCH_ONLY=frailty runs only the frailty rows and no decay
local runs = { { "none" }, { "gap" }, { "response", "auto" }, { "response", "exponential" }, { "response", "mixture" },
               { "response", "mixture", 1 / 48 }, { "response", "exponential", nil, true },
               { "response", "mixture", nil, true }, { "response", "mixture", 1 / 48, true }, { "popularity" }, { "sar" } }
if key ~= "item" then table.remove(runs); table.remove(runs) end -- item recommenders
if os.getenv("BENCH_ONLY") == "frailty" then runs = { runs[1], runs[7], runs[8], runs[9] } end
for _, r in ipairs(runs) do
  local rows = E.evaluate(ev, { methods = { r[1] }, family = r[2], horizon = H, key = key, target = "buy", delay = r[3],
                                frailty = r[4] })
  local x = rows[1]
  print(("%-26s %4d %10.4g %8.4f %8.4f %8.4f %8.4f %6.1f"):format(x.method .. (x.detail and " (" .. x.detail .. ")" or "")
    .. (r[3] and ", delay 30 min" or "") .. (r[4] and " + frailty" or ""),
    x.k, x.threshold, x.val_f1, x.f1, x.precision, x.recall, x.seconds))
end
