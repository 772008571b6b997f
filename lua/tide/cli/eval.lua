-- tide eval — leave-last-out evaluation of a baseline recommender on an event log, with
-- full ranking (or the labelled sampled protocol).
local function num_list(s)
  local out = {}
  for x in tostring(s):gmatch("[^,]+") do out[#out + 1] = tonumber(x) or error("eval: bad number '" .. x .. "'", 0) end
  return out
end

return {
  summary = "evaluate a baseline recommender (full-ranking HR/NDCG/MRR/Recall/MAP@K, leave-last-out)",
  help = [[usage: tide eval DATA [options]
  --schema NAME|FILE.lua|key=col,...  schema preset (taobao, movielens, ml1m, cdnow, retail,
                             sasrec, sim), a schema .lua file or inline columns
  --model M        pop | pop-recent | pop-decay | sar | profile          (default pop)
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
    local ok, ev = pcall(tide.data.read_events, path, schema)
    if not ok then error((tostring(ev):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
    local unit = ({ day = 86400, hour = 3600, second = 1 })[o.unit or "day"] or tonumber(o.unit)
    if not unit then error("eval: --unit must be day, hour, second or a number of seconds", 0) end
    local hl, win, ref = tonumber(o["half-life"] or 7), tonumber(o.window or 30), o.reference or "user"
    local name = o.model or "pop"
    local m
    if name == "pop" then m = require("tide.models.pop").new{ mode = "all" }
    elseif name == "pop-recent" then m = require("tide.models.pop").new{ mode = "recent", window = win, unit = unit, reference = ref }
    elseif name == "pop-decay" then m = require("tide.models.pop").new{ mode = "decay", half_life = hl, unit = unit, reference = ref }
    elseif name == "sar" then m = require("tide.models.sar").new{ half_life = hl, unit = unit, reference = ref }
    elseif name == "profile" then m = require("tide.models.profile").new{ half_life = hl, unit = unit, reference = ref }
    else error("eval: unknown --model '" .. name .. "' (pop, pop-recent, pop-decay, sar, profile)", 0) end
    local sp = tide.split.split(ev, { by = "leave_last", n_valid = 0, min_len = 2 })
    m:fit(sp.train)
    local r = tide.metrics.evaluate(m, sp, { k = num_list(o.k or "10,20"), protocol = o.protocol,
                                             n_neg = tonumber(o["n-neg"] or 100), beyond = o.beyond })
    print(("%s on %s (%d users, %d items, %d events)"):format(m.name, path, ev.n_users, ev.n_items, ev.n))
    print(tostring(r))
    return 0
  end,
}
