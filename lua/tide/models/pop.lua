-- tide.models.pop — popularity baselines: all-time counts, counts in a recent window, and
-- exponentially decayed popularity Σ w(type)·2^(−age/half_life) (computed in C,
-- engine/interest.c). Same interface as every recommender: fit(ev), score(users), topk(...),
-- save(path) (reload with tide.models.load(path)).
--   local m = require("tide.models.pop").new{mode = "decay", half_life = 7}   -- days
local common = require("tide.models.common")
local M = {}
M.__index = M

local DAY = 86400

-- opts.mode = "all" | "recent" | "decay"; opts.window (days, recent); opts.half_life (days,
-- decay); opts.weights = per event type (array or {browse=, click=, cart=, fav=, buy=});
-- opts.unit = seconds per window/half-life unit (default 86400); opts.reference = "global"
-- (popularity at the end of the log, one vector for everyone) or "user" (as each user would
-- have seen it at their last event: nothing from after it counts, which removes the
-- leave-last-out leak of other users' future events on logs spanning years).
function M.new(opts)
  opts = opts or {}
  local mode = opts.mode or "all"
  if mode ~= "all" and mode ~= "recent" and mode ~= "decay" then
    error("pop: mode must be 'all', 'recent' or 'decay', got " .. tostring(mode), 2)
  end
  return setmetatable({ mode = mode, window = opts.window or 30, half_life = opts.half_life or 7,
                        weights = opts.weights, unit = opts.unit or DAY,
                        reference = opts.reference or "global", name = "pop-" .. mode }, M)
end

local NAMES = { "browse", "click", "cart", "fav", "buy" }
function M.type_weights(w)
  if w == nil then return nil end
  if #w > 0 then return w end
  local out = {}
  for i, n in ipairs(NAMES) do out[i] = w[n] or 0 end
  return out
end

function M:fit(ev)
  local seq = require("tide.decay.seq")
  local s = seq.of(ev)
  self.train_ev, self.n_users, self.n_items = ev, s.n_users, s.n_items
  self.seen = { off = s.off, item = s.item }
  self.t_ref = seq.t_end(ev)
  local w = M.type_weights(self.weights)
  self.pop = require("tide").core.decay.popularity(ev.item, ev.time, w and ev.event or nil, w, s.n_items,
    self.t_ref, self.mode == "decay" and self.half_life * self.unit or 0, self.mode == "recent" and self.window * self.unit or 0)
  return self
end

function M:score(users)
  users = common.users(users)
  if self.reference == "user" then
    local ev, w = self.train_ev, M.type_weights(self.weights)
    local at = require("tide.decay.seq").last_times(ev):index_select(1, users)
    return require("tide").core.decay.popularity_at(ev.item, ev.time, w and ev.event or nil, w, self.n_items, at,
      self.mode == "decay" and self.half_life * self.unit or 0, self.mode == "recent" and self.window * self.unit or 0)
  end
  local I = self.n_items
  -- a broadcast view: the metric and top-K kernels read it without materialising [U, I]
  return self.pop:view({ 1, I }):expand({ users:numel(), I })
end

function M:topk(users, k, opts) return common.topk(self, users, k, opts) end

--- m:save(path) — the fitted popularity vector and seen lists (plus, for reference = "user",
--- the training events it scores from); tide.models.load(path) restores it. A reloaded model
--- has no train_ev: give tide.metrics.evaluate a split (or opts.seen).
function M:save(path) common.save(self, path) end

--- m:state() -> tensors, meta (what save writes; tide.models.io)
function M:state()
  local io = require("tide.models.io")
  local t = { pop = self.pop, seen_off = self.seen.off, seen_item = self.seen.item }
  local m = { kind = "pop", mode = self.mode, window = self.window, half_life = self.half_life,
              unit = self.unit, reference = self.reference, n_users = self.n_users,
              n_items = self.n_items, t_ref = self.t_ref }
  io.put_numbers(m, "weights", M.type_weights(self.weights))
  if self.reference == "user" then io.put_events(t, m, "ev.", self.train_ev) end
  return t, m
end

--- pop.from_state(tensors, meta) -> a fitted model (tide.models.load calls this)
function M.from_state(t, m)
  local io = require("tide.models.io")
  local self = M.new{ mode = m.mode, window = m.window, half_life = m.half_life, unit = m.unit,
                      reference = m.reference, weights = io.get_numbers(m, "weights") }
  self.pop, self.seen = t.pop, { off = t.seen_off, item = t.seen_item }
  self.n_users, self.n_items, self.t_ref = m.n_users, m.n_items, m.t_ref
  if self.reference == "user" then self.train_ev = io.get_events(t, m, "ev.") end
  return self
end

return M
