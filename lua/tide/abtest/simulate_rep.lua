-- tide.abtest.simulate_rep — one replicate of tide.abtest.simulate: a fresh simulated
-- population (seed + r - 1), the strategies' selections from observable history, hash-random
-- arms, the paired futures (nobody treated vs each strategy's doses) and, per strategy and
-- metric, the A/B estimate (Welch or CUPED) next to the true effect.
local population = require("tide.abtest.population")
local stats = require("tide.abtest.stats")
local assign = require("tide.abtest.assign")

local function default_value(conf)
  -- expected spend per visit of the simulator's funnel: pv rows x buy rate x mean price
  local buys = conf.mean_pv * conf.p_click * conf.p_cart * conf.p_fav * conf.p_buy
  return buys * conf.price_median * math.exp(conf.price_sigma ^ 2 / 2)
end

-- per-user outcomes of one policy (doses) for the population
local function outcomes(s, ids_t, doses, effect, window, base)
  local T = require("tide").tensor
  local ret, vis = {}, {}
  for i = 1, #doses do ret[i], vis[i] = base.ret[i], base.vis[i] end
  local groups = {}
  for i, d in ipairs(doses) do
    if d > 0 then groups[d] = groups[d] or {}; table.insert(groups[d], i) end
  end
  for d, idx in pairs(groups) do
    local sub = ids_t:index_select(1, T.fromtable(idx, "i64"))
    local r, _, v = s:future(sub, T.ones({ #idx }, "i32"), effect * d, window)
    r, v = r:totable(), v:totable()
    for j, i in ipairs(idx) do ret[i], vis[i] = r[j], v[j] end
  end
  return { ret = ret, vis = vis }
end

local function metric_values(m, out, doses, c, pop, value)
  local v = {}
  for i = 1, #pop.users do
    if m == "retention" or m == "reactivation" then v[i] = out.ret[i]
    elseif m == "visits" then v[i] = out.vis[i]
    else v[i] = value * out.vis[i] - c.cost * (doses and doses[i] or 0) end
  end
  return v
end

--- replicate(cfg, r, c) -> {n, [strategy] = {treated_share, [metric] = {estimate, lo, hi, truth,
---   covered, n_a, n_b}}}; c: the checked options of tide.abtest.simulate
local function replicate(cfg, r, c)
  local T = require("tide").tensor
  local sim = require("tide").sim
  local cr = {}
  for k, v in pairs(cfg) do cr[k] = v end
  cr.seed = (cfg.seed or 1) + r - 1
  local s = sim.new(cr)
  local ok, res = pcall(function()
    local pop = population.build(s, { filter = c.population, recent_days = c.recent_days })
    local n = #pop.users
    if n < 8 then error(("abtest.simulate: the population has %d users in replicate %d (need >= 8)"):format(n, r), 0) end
    local ids_t = T.fromtable(pop.users, "i32")
    local r0, _, v0 = s:future(ids_t, nil, 0, c.window)
    local base = { ret = r0:totable(), vis = v0:totable() }
    local value = c.value or default_value(s:config())
    -- the replicate's observable log as tide.data events, written and read on first use
    local ev_cache
    local function events()
      if not ev_cache then
        local path = os.tmpname()
        os.remove(path)
        path = path .. ".csv"
        local g = {}
        for k, v in pairs(cr) do g[k] = v end
        g.out, g.truth, g.threads = path, false, 1
        local okg, err = pcall(function()
          require("tide").sim.generate(g)
          ev_cache = require("tide").data.read_events(path, "sim")
        end)
        os.remove(path)
        if not okg then error(err, 0) end
      end
      return ev_cache
    end
    local arms = assign.assign(pop.users, { salt = c.salt .. "#" .. r, arms = { "control", unpack(c.names) } })
    local out = { n = n }
    for _, name in ipairs(c.names) do
      local info = { users = pop.users, features = pop, X = pop.X, visits = pop.visits, horizon = pop.horizon,
                     window = c.window, replicate = r, seed = cr.seed, cfg = cr, events = events }
      local ctx = info
      if c.context then
        local okc, cx = pcall(c.context, info)
        if not okc then error(("abtest.simulate: context failed in replicate %d: %s"):format(r, tostring(cx)), 0) end
        ctx = cx
      end
      local users = {}
      for i, u in ipairs(pop.users) do users[i] = u end
      local okk, ans = pcall(c.strategies[name].select, users, ctx)
      if not okk then error(("abtest.simulate: strategy '%s' failed in replicate %d: %s"):format(name, r, tostring(ans)), 0) end
      local doses = population.doses(ans, pop.users, ("abtest.simulate: strategy '%s'"):format(name))
      local pol = outcomes(s, ids_t, doses, c.effect, c.window, base)
      local res, treated = {}, 0
      for i = 1, n do if doses[i] > 0 then treated = treated + 1 end end
      for _, m in ipairs(c.metrics) do
        local ys, y0 = metric_values(m, pol, doses, c, pop, value), metric_values(m, base, nil, c, pop, value)
        local a, b, xa, xb, diff, cnt = {}, {}, {}, {}, 0, 0
        for i = 1, n do
          if m ~= "reactivation" or pop.recency[i] >= c.dormant then
            diff, cnt = diff + ys[i] - y0[i], cnt + 1
            local x = c.cuped and pop[c.cuped][i]
            if arms[i] == "control" then a[#a + 1] = y0[i]; xa[#xa + 1] = x
            elseif arms[i] == name then b[#b + 1] = ys[i]; xb[#xb + 1] = x end
          end
        end
        local e = { truth = cnt > 0 and diff / cnt or 0 / 0, n_a = #a, n_b = #b }
        local okw, w = pcall(function()
          if c.cuped then return require("tide.abtest.cuped").cuped(a, xa, b, xb, { level = c.level }) end
          return stats.welch(a, b, { level = c.level })
        end)
        if okw then e.estimate, e.lo, e.hi, e.p = w.estimate, w.lo, w.hi, w.p
        else e.estimate, e.lo, e.hi = 0 / 0, 0 / 0, 0 / 0; e.error = tostring(w) end
        e.covered = e.lo <= e.truth and e.truth <= e.hi
        res[m] = e
      end
      res.treated_share = treated / n
      out[name] = res
    end
    return out
  end)
  s:free()
  if not ok then error(res, 0) end
  return res
end

return replicate
