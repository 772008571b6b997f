-- tide.models.sar — SAR-style recommender ("Smart Adaptive Recommendations", Microsoft
-- Recommenders): item-item similarity from co-occurrence counts (Jaccard, lift, cosine or raw
-- counts; built in C, engine/cooc.c, sparse) times a time-decayed user affinity
-- a(u, i) = Σ_e w(type_e)·2^(−(T − t_e)/half_life). score(u) = a(u, ·) · S.
--   local m = require("tide.models.sar").new{half_life = 30, similarity = "jaccard"}
-- m:save(path) stores the sparse similarity and affinity matrices; tide.models.load reads them.
local common = require("tide.models.common")
local pop = require("tide.models.pop")
local M = {}
M.__index = M

local KIND = { counts = 0, jaccard = 1, lift = 2, cosine = 3 }

-- opts.half_life (in `unit`s, default days; 0 or false = no decay), opts.similarity,
-- opts.max_neighbors (per item, 0 = all), opts.weights (per event type), opts.unit (seconds per
-- half-life unit, default 86400), opts.reference = "global" (decay to the log's end) or "user"
-- (to each user's last event: for logs whose time is an order index).
function M.new(opts)
  opts = opts or {}
  local kind = KIND[opts.similarity or "jaccard"]
  if not kind then error("sar: similarity must be counts, jaccard, lift or cosine", 2) end
  return setmetatable({ half_life = opts.half_life == nil and 30 or opts.half_life, kind = kind,
                        max_neighbors = opts.max_neighbors or 0, weights = opts.weights,
                        unit = opts.unit or 86400, reference = opts.reference or "global",
                        name = "sar" }, M)
end

function M:fit(ev)
  local tide = require("tide")
  local seq = require("tide.decay.seq")
  local s = seq.of(ev)
  self.train_ev, self.n_users, self.n_items = ev, s.n_users, s.n_items
  self.seen = { off = s.off, item = s.item }
  local core = tide.core.decay
  self.soff, self.scol, self.sval = core.cooc(s.off, s.item, s.n_items, self.max_neighbors, self.kind, true)
  local hl = self.half_life
  local spec = { family = "exponential", unit = self.unit, weights = pop.type_weights(self.weights),
                 theta = { (hl and hl > 0) and math.log(2) / hl or 1e-12 } }
  local t_end = self.reference == "user" and seq.last_times(ev) or seq.t_end(ev)
  self.aoff, self.acol, self.aval = core.interest(spec, s.off, s.item, s.time,
    spec.weights and s.event or nil, s.n_items, t_end, {})
  return self
end

function M:score(users)
  users = common.users(users)
  local off, col, val = common.rows(self.aoff, self.acol, self.aval, users)
  return require("tide").core.decay.sparse_scores(off, col, val, self.n_items, self.soff, self.scol, self.sval)
end

function M:topk(users, k, opts) return common.topk(self, users, k, opts) end

--- m:save(path) — similarity and affinity CSRs and seen lists (tide.models.load restores it;
--- a reloaded model has no train_ev: give tide.metrics.evaluate a split)
function M:save(path) common.save(self, path) end

local KIND_NAME = {}
for name, k in pairs(KIND) do KIND_NAME[k] = name end

--- m:state() -> tensors, meta (what save writes; tide.models.io)
function M:state()
  local t = { soff = self.soff, scol = self.scol, sval = self.sval, aoff = self.aoff,
              acol = self.acol, aval = self.aval, seen_off = self.seen.off, seen_item = self.seen.item }
  local m = { kind = "sar", half_life = self.half_life or 0, similarity = KIND_NAME[self.kind],
              max_neighbors = self.max_neighbors, unit = self.unit, reference = self.reference,
              n_users = self.n_users, n_items = self.n_items }
  require("tide.models.io").put_numbers(m, "weights", pop.type_weights(self.weights))
  return t, m
end

--- sar.from_state(tensors, meta) -> a fitted model (tide.models.load calls this)
function M.from_state(t, m)
  local self = M.new{ half_life = m.half_life, similarity = m.similarity, max_neighbors = m.max_neighbors,
                      unit = m.unit, reference = m.reference,
                      weights = require("tide.models.io").get_numbers(m, "weights") }
  for _, k in ipairs({ "soff", "scol", "sval", "aoff", "acol", "aval" }) do self[k] = t[k] end
  self.seen = { off = t.seen_off, item = t.seen_item }
  self.n_users, self.n_items = m.n_users, m.n_items
  return self
end

return M
