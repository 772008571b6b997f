-- tide.models.profile — decayed category-profile recommender: a user's interest in category
-- c is Σ_e w(type_e)·2^(−(T − t_e)/half_life) over their events in c (engine/interest.c);
-- every item inherits its category's interest, and decayed item popularity (scaled to [0, eps])
-- orders items inside a category. Needs a category column. m:save(path) / tide.models.load.
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

-- Fields derived from the training events alone (shared by fit and from_state).
local function attach(self, ev, level)
  local s = require("tide.decay.seq").of(ev)
  if not s.category then error("profile: the event table has no category column", level + 1) end
  self.train_ev, self.n_users, self.n_items, self.n_cat = ev, s.n_users, s.n_items, s.n_categories
  self.seen = { off = s.off, item = s.item }
  self.spec = { family = "exponential", unit = self.unit, weights = pop.type_weights(self.weights),
                theta = { math.log(2) / self.half_life } }
  self.seq = s
  return s
end

function M:fit(ev)
  local tide = require("tide")
  local seq = require("tide.decay.seq")
  local s = attach(self, ev, 2)
  self.item_category = common.item_category(ev, self.n_items)
  self.t_ref = seq.t_end(ev)
  -- reference = "user": category interest and item popularity are both taken at each user's
  -- own last event (popularity from events up to then only, see models/pop.lua)
  local p = tide.core.decay.popularity(ev.item, ev.time, nil, nil, s.n_items, self.t_ref, self.pop_half_life * self.unit, 0)
  if self.reference == "user" then self.t_ref = seq.last_times(ev) end
  local mx = p:max():item()
  self.pop = mx > 0 and p / mx or p
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

--- m:save(path) — the training events (the profile is computed from them at scoring time),
--- item categories and popularity; tide.models.load(path) restores it
function M:save(path) common.save(self, path) end

--- m:state() -> tensors, meta (what save writes; tide.models.io)
function M:state()
  local io = require("tide.models.io")
  local t = { item_category = self.item_category, pop = self.pop }
  local m = { kind = "profile", half_life = self.half_life, pop_half_life = self.pop_half_life,
              eps = self.eps, unit = self.unit, reference = self.reference, blend = self.blend,
              t_ref = type(self.t_ref) == "number" and self.t_ref or nil }
  io.put_numbers(m, "weights", pop.type_weights(self.weights))
  io.put_events(t, m, "ev.", self.train_ev)
  return t, m
end

--- profile.from_state(tensors, meta) -> a fitted model (tide.models.load calls this)
function M.from_state(t, m)
  local io = require("tide.models.io")
  local self = M.new{ half_life = m.half_life, pop_half_life = m.pop_half_life, eps = m.eps, unit = m.unit,
                      reference = m.reference, blend = m.blend, weights = io.get_numbers(m, "weights") }
  local ev = io.get_events(t, m, "ev.")
  attach(self, ev, 2)
  self.item_category, self.pop = t.item_category, t.pop
  self.t_ref = m.reference == "user" and require("tide.decay.seq").last_times(ev) or m.t_ref
  return self
end

return M
