-- paired_seqrec.lua — is model B above model A on a set, beyond noise? Trains both at their
-- defaults with several seeds (early stopping on the validation item, as quality_seqrec.lua),
-- ranks every test user's held-out item over all items, and compares per user: d_u = the mean
-- over seeds of NDCG@10(B) − NDCG@10(A). Prints each run and the mean of d_u with a 95 %
-- normal interval over users (the users are the unit; seeds only average training noise).
--   luajit tests/bench/paired_seqrec.lua SET A B [SEEDS]   (SET: sim | movielens)
-- Environment: TIDE_SHARED_DATA (default ../shared/data).
local tide = require "tide"
local SHARED = os.getenv("TIDE_SHARED_DATA") or "../shared/data"
local set, A, B, nseeds = arg[1] or "sim", arg[2] or "sasrec", arg[3] or "decay_attention", tonumber(arg[4] or 3)
local path = ({ sim = { "examples/data/sim/sim_exponential.csv.gz", "sim" },
                movielens = { SHARED .. "/movielens-latest-small/ratings.csv.gz", "movielens" } })[set]
assert(path, "set must be sim or movielens")
local ev = tide.data.read_events(path[1], path[2])
local s_test = tide.split.split(ev, { by = "leave_last", n_valid = 0, min_len = 3 })
local s_val = tide.split.split(s_test.train, { by = "leave_last", n_valid = 0, min_len = 2 })

local function ndcg_per_user(name, seed)
  local m = tide.models[name]{ n_items = ev.n_items, seed = seed }
  m:fit(s_val.train, { valid = s_val.test })
  m:set_history({ s_test.train })
  local r = tide.metrics.evaluate(m, s_test, { k = { 10 }, per_user = true, block = 1024 })
  local out = {}
  for i = 1, r.ranks:numel() do
    local k = r.ranks:get(i)
    out[i] = k < 10 and 1 / (math.log(k + 2) / math.log(2)) or 0
  end
  return out, r["NDCG@10"], m.history.best
end

local d, n = {}, nil
for seed = 1, nseeds do
  local a, na, va = ndcg_per_user(A, seed)
  local b, nb, vb = ndcg_per_user(B, seed)
  n = #a
  for u = 1, n do d[u] = (d[u] or 0) + (b[u] - a[u]) / nseeds end
  print(("%s seed %d: %s %.4f (valid %.4f)   %s %.4f (valid %.4f)"):format(set, seed, A, na, va, B, nb, vb))
  io.stdout:flush()
end
local s, ss = 0, 0
for u = 1, n do s, ss = s + d[u], ss + d[u] * d[u] end
local mean = s / n
local se = math.sqrt(math.max(ss - n * mean * mean, 0) / (n - 1) / n)
print(("%s: %s − %s, NDCG@10 per user averaged over %d seeds: %+.4f, 95 %% interval [%+.4f, %+.4f] over %d users"):format(
  set, B, A, nseeds, mean, mean - 1.96 * se, mean + 1.96 * se, n))
