-- test_serve_rank.lua — the scoring service's request-time re-ranking (tide.serve.rank) outside
-- nginx: a saved popularity model and a table-backed decayed profile, checked against the
-- documented formula computed independently (min-max of the model's scores over the unseen
-- items, plus the explicit sum Σ w·2^(−age/hl) of the user's events in the item's category);
-- an hour later only the interest term changes, by exactly 2^(−1h/hl).
local check = require "check"
local tide = require "tide"
local R = require "reco_util"
local profile = require "tide.serve.profile"
local rank = require "tide.serve.rank"

local tests = {}
local HL, DAY = 3, 86400

local function fixture()
  local ev = R.log()
  local model = tide.models.pop{ mode = "decay", half_life = 10 }
  model:fit(ev)
  model:save(R.path("serve_pop.tm"))
  model = tide.models.load(R.path("serve_pop.tm"))
  local t_end = require("tide.decay.seq").t_end(ev)
  local P = profile.new(profile.table_dict(), { half_life = HL, t0 = t_end })
  local u, it, c, e, t = ev.user:totable(), ev.item:totable(), ev.category:totable(), ev.event:totable(), ev.time:totable()
  local key_of = require("tide.models.common").item_category(ev, ev.n_items):totable()
  for i = 1, #u do assert(P:add(u[i], key_of[it[i]], e[i], t[i])) end
  local S = { model = model, n_items = ev.n_items, key_of = key_of,
              conf = { exclude_seen = true, n_candidates = 10 ^ 6, model_weight = 1, interest_weight = 0.25 } }
  return ev, S, P, t_end, { u = u, it = it, c = c, t = t }
end

local function expected(ev, S, cols, user, k, now)
  local s = S.model:score(tide.tensor.fromtable({ user }, "i32")):view({ -1 }):totable()
  local seen = {}
  for i = 1, #cols.u do if cols.u[i] == user then seen[cols.it[i]] = true end end
  local lo, hi = math.huge, -math.huge
  for i = 1, #s do if not seen[i] then lo, hi = math.min(lo, s[i]), math.max(hi, s[i]) end end
  local interest = {}
  for i = 1, #cols.u do
    if cols.u[i] == user then interest[cols.c[i]] = (interest[cols.c[i]] or 0) + 2 ^ (-(now - cols.t[i]) / (HL * DAY)) end
  end
  local rows = {}
  for i = 1, #s do
    if not seen[i] then
      local x = interest[S.key_of[i]] or 0
      rows[#rows + 1] = { item = i, score = (s[i] - lo) / (hi - lo) + 0.25 * x, interest = x }
    end
  end
  table.sort(rows, function(a, b) return a.score > b.score or (a.score == b.score and a.item < b.item) end)
  return { unpack(rows, 1, k) }
end

function tests.matches_the_formula_and_decays()
  local ev, S, P, t_end, cols = fixture()
  for _, user in ipairs({ 1, 17, 150 }) do
    local now = t_end + 5 * DAY
    local got = rank.recommend(S, P, user, 10, now)
    local want = expected(ev, S, cols, user, 10, now)
    check.eq(#got, 10, "k items")
    for i = 1, 10 do
      check.near(got[i].score, want[i].score, 1e-9, ("user %d rank %d score"):format(user, i))
      check.eq(got[i].item, want[i].item, ("user %d rank %d item"):format(user, i))
    end
    local later = rank.recommend(S, P, user, 10, now + 3600)
    local by_item = {}
    for _, r in ipairs(got) do by_item[r.item] = r end
    for _, r in ipairs(later) do
      local r0 = by_item[r.item]
      if r0 then
        check.near(r.interest, r0.interest * 2 ^ (-3600 / (HL * DAY)), 1e-12, "interest decays")
        check.near(r.model, r0.model, 1e-15, "model term unchanged")
      end
    end
  end
end

function tests.k_larger_than_candidates()
  local ev, S, P, t_end = fixture()
  S.conf.n_candidates = 5
  local got = rank.recommend(S, P, 3, 8, t_end)
  check.eq(#got, 8, "the candidate pool grows to k")
  for i = 2, #got do check.truthy(got[i - 1].score >= got[i].score, "sorted") end
end

return tests
