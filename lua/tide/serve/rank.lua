-- tide.serve.rank — top-K at request time: the model's candidates re-ranked with the user's
-- decayed interest at the moment of the request.
--   score(i) = model_weight · m̂(i) + interest_weight · interest(u, key(i), now)
-- m̂ = the model score min-max normalised over the user's candidates (time-independent);
-- interest = the shared decayed profile (tide.serve.profile), NOT normalised, so it keeps
-- its decay: two requests an hour apart differ by exactly the decay of the interest term.
-- Ties break on the smaller item id, so the list is deterministic.
local M = {}

--- recommend(state, profile, user, k, now) -> array of {item = dense id, score =, model = m̂,
--- interest =} (k or fewer), best first. user is a dense id in 1..state.n_users.
function M.recommend(s, P, user, k, now)
  local tide = require "tide"
  local T = tide.tensor
  local users = T.fromtable({ user }, "i32")
  local scores = s.model:score(users)
  local off, seen
  if s.conf.exclude_seen and s.model.seen then
    off, seen = require("tide.models.common").rows(s.model.seen.off, s.model.seen.item, nil, users)
  end
  local n = math.min(math.max(s.conf.n_candidates, k), s.n_items)
  local ids, vals = tide.core.metrics.topk(scores, off, seen, n)
  ids, vals = ids:view({ -1 }):totable(), vals:view({ -1 }):totable()
  local lo, hi = math.huge, -math.huge
  for i = 1, #ids do
    if ids[i] > 0 then lo, hi = math.min(lo, vals[i]), math.max(hi, vals[i]) end
  end
  local keys, seen_key = {}, {}
  for i = 1, #ids do
    local key = ids[i] > 0 and s.key_of[ids[i]]
    if key and not seen_key[key] then seen_key[key] = true; keys[#keys + 1] = key end
  end
  local interest = P:values(user, keys, now)
  local out = {}
  local wm, wi = s.conf.model_weight, s.conf.interest_weight
  for i = 1, #ids do
    if ids[i] > 0 then
      local m = hi > lo and (vals[i] - lo) / (hi - lo) or 1
      local it = interest[s.key_of[ids[i]]]
      out[#out + 1] = { item = ids[i], model = m, interest = it, score = wm * m + wi * it }
    end
  end
  table.sort(out, function(a, b) return a.score > b.score or (a.score == b.score and a.item < b.item) end)
  for i = #out, k + 1, -1 do out[i] = nil end
  return out
end

return M
