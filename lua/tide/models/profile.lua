-- tide.models.profile — decayed category-profile recommender: a user's interest in category
-- c is Σ_e w(type_e)·2^(−(T − t_e)/half_life) over their events in c (engine/interest.c);
-- every item inherits its category's interest, and decayed item popularity (scaled to [0, eps])
-- orders items inside a category. Needs a category column.
--   local m = require("tide.models.profile").new{half_life = 14}
local common = require("tide.models.common")
local pop = require("tide.models.pop")
local M = {}
M.__index = M

-- opts.blend (default nil): when set, score = interest/max_interest + blend·pop/max_pop per
-- user, a soft mix instead of categories first with popularity as a tie-break (opts.eps).
-- opts.half_life (in `unit`s, default days), opts.pop_half_life, opts.weights, opts.eps,
-- opts.unit (seconds, default 86400), opts.reference = "global" | "user" (see models/sar.lua).
function M.new(opts)
  opts = opts or {}
  return setmetatable({ half_life = opts.half_life or 14, pop_half_life = opts.pop_half_life or 7,
                        weights = opts.weights, eps = opts.eps or 1e-3, unit = opts.unit or 86400,
                        reference = opts.reference or "global", blend = opts.blend, name = "profile" }, M)
end

function M:fit(ev)
  local tide = require("tide")
  local T = tide.tensor
  local seq = require("tide.decay.seq")
  local s = seq.of(ev)
  if not s.category then error("profile: the event table has no category column", 2) end
  self.train_ev, self.n_users, self.n_items, self.n_cat = ev, s.n_users, s.n_items, s.n_categories
  self.seen = { off = s.off, item = s.item }
  -- category of each item: the one of its first event (items have one category)
  local cat = {}
  local item, c = ev.item, ev.category
  for i = 1, self.n_items do cat[i] = 1 end
  local seen = {}
  for e = 1, ev.item:numel() do
    local it = item:get(e)
    if not seen[it] then seen[it] = true; cat[it] = c:get(e) end
  end
  self.item_category = T.fromtable(cat, "i32")
  self.t_ref = seq.t_end(ev)
  -- reference = "user": category interest and item popularity are both taken at each user's
  -- own last event (popularity from events up to then only, see models/pop.lua)
  local p = tide.core.decay.popularity(ev.item, ev.time, nil, nil, s.n_items, self.t_ref, self.pop_half_life * self.unit, 0)
  if self.reference == "user" then self.t_ref = seq.last_times(ev) end
  local mx = p:max():item()
  self.pop = mx > 0 and p / mx or p
  self.spec = { family = "exponential", unit = self.unit, weights = pop.type_weights(self.weights),
                theta = { math.log(2) / self.half_life } }
  self.seq = s
  return self
end

local function profile_rows(self, first, count)
  local s = self.seq
  return require("tide").core.decay.interest(self.spec, s.off, s.category, s.time,
    self.spec.weights and s.event or nil, self.n_cat, self.t_ref, { dense = true, first = first, count = count })
end

function M:score(users)
  users = common.users(users)
  local core = require("tide").core.decay
  local first, count = common.range(users)
  local prof
  if first then
    prof = profile_rows(self, first, count)
  else
    local T = require("tide").tensor
    prof = T.zeros({ users:numel(), self.n_cat })
    for b = 1, users:numel() do prof:narrow(1, b, 1):copy(profile_rows(self, users:get(b), 1)) end
  end
  if self.blend then prof = prof / (prof:max(2, true) + 1e-12) end
  local w = self.blend or self.eps
  if self.reference ~= "user" then return core.profile_scores(prof, self.item_category, self.pop, w) end
  local ev = self.train_ev
  local at = require("tide.decay.seq").last_times(ev):index_select(1, users)
  local pu = core.popularity_at(ev.item, ev.time, nil, nil, self.n_items, at, self.pop_half_life * self.unit, 0)
  -- scale each user's popularity row by its own maximum: a maximum over the scoring block
  -- would make a user's scores (and the metrics) depend on which users share the block
  local mx = pu:max(2, true) + 1e-12
  return core.profile_scores(prof, self.item_category, nil, 0) + pu / mx * w
end

function M:topk(users, k, opts) return common.topk(self, users, k, opts) end

return M
