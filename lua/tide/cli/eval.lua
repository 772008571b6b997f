-- tide eval — leave-last-out evaluation of baseline recommenders on an event log, with full
-- ranking (or the labelled sampled protocol); by default every baseline side by side, with
-- intervals over users and each one's NDCG difference from popularity paired by user.
local function num_list(s)
  local out = {}
  for x in tostring(s):gmatch("[^,]+") do out[#out + 1] = tonumber(x) or error("eval: bad number '" .. x .. "'", 0) end
  return out
end

local BASELINES = { "pop", "pop-recent", "pop-decay", "profile", "sar" }

-- per-user HR@K and NDCG@K from the 0-based ranks of the (one) test target of each user
local function per_user(r, K)
  local ranks, hr, nd = r.ranks:totable(), {}, {}
  for i, rk in ipairs(ranks) do
    rk = tonumber(rk)
    hr[i] = rk < K and 1 or 0
    nd[i] = rk < K and 1 / (math.log(rk + 2) / math.log(2)) or 0
  end
  return hr, nd
end

-- mean and its 95 % normal interval (users are many; leave-last-out gives one target each)
local function mean_ci(x)
  local m, v, n = require("tide.abtest.util").mean_var(x)
  local h = n > 1 and 1.959964 * math.sqrt(v / n) or 0 / 0
  return m, m - h, m + h
end

local function comparison(rows, K, base)
  local lines = { ("%-11s %26s %26s %30s"):format("model", ("HR@%d [95%% CI]"):format(K), ("NDCG@%d [95%% CI]"):format(K),
    ("NDCG@%d - %s [paired 95%% CI]"):format(K, base.name)) }
  for _, row in ipairs(rows) do
    local h, hl, hh = mean_ci(row.hr)
    local d, dl, dh = mean_ci(row.nd)
    local diff = {}
    for i = 1, #row.nd do diff[i] = row.nd[i] - base.nd[i] end
    local x, xl, xh = mean_ci(diff)
    lines[#lines + 1] = ("%-11s %8.4f [%.4f, %.4f] %8.4f [%.4f, %.4f] %s"):format(row.name, h, hl, hh, d, dl, dh,
      row == base and ("%30s"):format("-") or ("%+10.4f [%+.4f, %+.4f]"):format(x, xl, xh))
  end
  return table.concat(lines, "\n")
end

return {
  summary = "evaluate baseline recommenders side by side (full-ranking HR/NDCG/MRR/Recall/MAP@K, leave-last-out)",
  help = [[usage: tide eval DATA [options]
  --schema NAME|FILE.lua|key=col,...  schema preset (taobao, movielens, ml1m, cdnow, retail,
                             sasrec, sim), a schema .lua file or inline columns
  --model M        all | pop | pop-recent | pop-decay | profile | sar    (default all: each
                   baseline, then a table of HR and NDCG at the first cutoff with 95 % intervals
                   over users and each model's NDCG difference from pop, paired by user)
  --half-life H    decay half-life in --unit units (default 7)
  --window W       recent-popularity window in --unit units (default 30)
  --unit U         seconds per unit, or day/hour (default day)
  --reference R    user | global: the "now" of decayed models (default user)
  --k 10,20        cutoffs                                             (default 10,20)
  --protocol P     full | sampled (rank among --n-neg random negatives; for paper comparison)
  --n-neg N        negatives of the sampled protocol                   (default 100)
  --beyond         also coverage, novelty and intra-list diversity
  --load PATH      a saved sequential model (tide train --save): evaluated on the test events of
                   the same split as training (last event test, second last validation)
  --config C.lua   train the config's sequential model (tide train), then evaluate it
Splits each user's last event off as the test target; all earlier events are the training
history and are excluded from the ranking.]],
  run = function(args)
    local cli = require "tide.cli"
    local o = cli.parse(args, { beyond = true })
    local path = o._[1] or error("eval: missing DATA path (tide eval --help)", 0)
    local tide = require "tide"
    local schema = cli.schema(o.schema or "sim")
    local k, proto = num_list(o.k or "10,20"), o.protocol
    if o.load or o.config then -- a sequential model: train (config) or load, then test
      local C = require "tide.train.config"
      local m, sp
      if o.config then
        local cfg = C.load(o.config)
        cfg.data = path
        m = C.run(cfg)
        sp = select(2, C.data(cfg))
      else
        local seq = require "tide.models.seq_io"
        local okl, mm = pcall(seq.load_any, o.load)
        if not okl then error((tostring(mm):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
        m = mm
        sp = select(2, C.data({ data = path, schema = o.schema or "sasrec" }))
      end
      local rs = C.evaluate(m, sp, { k = k, protocols = { proto or "full" }, n_neg = tonumber(o["n-neg"] or 100) })
      print(("%s on %s (%d users, %d items)"):format(m.name, path, m.n_users, m.n_items))
      for _, r in ipairs(rs) do print(tostring(r)) end
      return 0
    end
    local names = (o.model or "all") == "all" and BASELINES or { o.model }
    for _, nm in ipairs(names) do
      local known = false
      for _, b in ipairs(BASELINES) do known = known or b == nm end
      if not known then error("eval: unknown --model '" .. tostring(nm) .. "' (all, " .. table.concat(BASELINES, ", ") .. ")", 0) end
    end
    local ok, ev = pcall(tide.data.read_events, path, schema)
    if not ok then error((tostring(ev):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
    local unit = ({ day = 86400, hour = 3600, second = 1 })[o.unit or "day"] or tonumber(o.unit)
    if not unit then error("eval: --unit must be day, hour, second or a number of seconds", 0) end
    local hl, win, ref = tonumber(o["half-life"] or 7), tonumber(o.window or 30), o.reference or "user"
    local function model(name)
      if name == "pop" then return require("tide.models.pop").new{ mode = "all" }
      elseif name == "pop-recent" then return require("tide.models.pop").new{ mode = "recent", window = win, unit = unit, reference = ref }
      elseif name == "pop-decay" then return require("tide.models.pop").new{ mode = "decay", half_life = hl, unit = unit, reference = ref }
      elseif name == "sar" then return require("tide.models.sar").new{ half_life = hl, unit = unit, reference = ref }
      else return require("tide.models.profile").new{ half_life = hl, unit = unit, reference = ref } end
    end
    local sp = tide.split.split(ev, { by = "leave_last", n_valid = 0, min_len = 2 })
    local rows = {}
    for _, name in ipairs(names) do
      if name == "profile" and #names > 1 and not ev.category then
        print("profile: skipped (it ranks by category interest; the log has no category column)")
        goto continue
      end
      local m = model(name)
      m:fit(sp.train)
      local r = tide.metrics.evaluate(m, sp, { k = k, protocol = o.protocol, n_neg = tonumber(o["n-neg"] or 100),
                                               beyond = o.beyond, per_user = #names > 1 })
      print(("%s on %s (%d users, %d items, %d events)"):format(m.name, path, ev.n_users, ev.n_items, ev.n))
      print(tostring(r))
      if #names > 1 then
        local hr, nd = per_user(r, k[1])
        rows[#rows + 1] = { name = name, hr = hr, nd = nd }
      end
      ::continue::
    end
    if #rows > 1 then
      print(("\n%s, leave-last-out (each user's last event), %d users with a target, %s ranking:")
        :format(path, #rows[1].hr, o.protocol or "full"))
      print(comparison(rows, k[1], rows[1]))
    end
    return 0
  end,
}
