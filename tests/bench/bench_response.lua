-- bench_response.lua — "which (user, item) pairs will buy in the next 14 days": F1, precision
-- and recall of no decay, the return-gap law chosen by AIC, the response kernel
-- (tide.models.interest), and the popularity and SAR candidates. Every method picks its
-- top-k per user and score threshold on a validation window inside the training period
-- (train < T−28 d, validate on [T−28 d, T−14 d)); then it is refitted on everything before
-- T−14 d and scored on the test window [T−14 d, T). Usage: luajit bench_response.lua [log preset]
local tide = require "tide"
local S = require "tide.metrics.sets"
local DAY, H = 86400, 14
local path, preset = arg[1] or "examples/data/uci-online-retail/online_retail.csv.gz", arg[2] or "retail"
local ev = tide.data.read_events(path, preset)
local T_end = ev.time:max():item() + 1

-- score(u, item) = Σ over the user's past interactions with the item of weight(age)
local function profile_model(name, weight_spec)
  local m = { name = name }
  function m.fit(train)
    local prof = tide.decay.profile(train, { by = "item", fit = weight_spec and weight_spec(train), half_life = 1e9 })
    m.cands = {}
    for u = 1, prof.n_users do
      local list = {}
      for _, kv in ipairs(prof:of(u)) do list[#list + 1] = kv end
      if #list > 0 then m.cands[u] = list end
    end
  end
  return m
end

local function model_cands(name, make)
  local m = { name = name }
  function m.fit(train)
    local r = make()
    r:fit(train)
    local users = {}
    for u = 1, train.n_users do users[u] = u end
    m.cands = S.candidates(r, users, { n = 30 })
  end
  return m
end

local methods = {
  profile_model("no decay (count)", nil),
  profile_model("return-gap law (AIC)", function(train)
    local ranked = tide.decay.select(train, { per = "global", min_gap = 1800, families = { "exponential", "weibull", "power", "mixture" } })
    return ranked[1].fit
  end),
  model_cands("response kernel (auto)", function() return tide.models.interest{ horizon = H } end),
  model_cands("response kernel (exp)", function() return tide.models.interest{ horizon = H, family = "exponential" } end),
  model_cands("popularity", function() return tide.models.pop{ mode = "all" } end),
  model_cands("SAR (decayed)", function() return tide.models.sar{ half_life = 30 } end),
}

print(("%s: %d events, %d users, %d items; test window the last %d days (load average %s)"):format(path, ev.n,
  ev.n_users, ev.n_items, H, io.open("/proc/loadavg"):read("*l"):match("^%S+")))
print(("%-24s %4s %10s %8s %8s %8s %8s %6s"):format("method", "k", "threshold", "val F1", "F1", "prec", "recall", "sec"))
for _, m in ipairs(methods) do
  local c0 = os.clock()
  local tv, tt = T_end - 2 * H * DAY, T_end - H * DAY
  m.fit(ev:filter(ev.time:lt(tv)))
  local sel = S.sweep(m.cands, S.labels(ev, tv, tt, { target = "buy" }), { ks = { 1, 2, 3, 5, 10, 20, 30 } })
  m.fit(ev:filter(ev.time:lt(tt)))
  local r = S.prf(S.select(m.cands, sel), S.labels(ev, tt, T_end, { target = "buy" }))
  print(("%-24s %4d %10.4g %8.4f %8.4f %8.4f %8.4f %6.1f"):format(m.name, sel.k, sel.threshold, sel.f1, r.f1,
    r.precision, r.recall, os.clock() - c0))
end
