-- tide.recommend — top-K lists from any recommender's candidates, re-ranked by a scriptable
-- score over model score, decayed interest, activation probability and item sentiment, with
-- exclusions, MMR diversity, and the reason every item is there.
--
--   local rec = tide.recommend.new{
--     candidates = {sar, pop} | function(users, n) -> ids i32 [B, n] (0 = none) [, scores],
--     n_candidates = 200,                      -- per model and user (C top-K)
--     score = {model = 1, interest = 0.5, activation = 0.3, sentiment = 0.2}  -- default
--           | function(sig) -> number | "path/score.lua" (a file returning that function),
--     signals = {interest = profile model | tide.decay.profile(...) | dense [U, C or I] |
--                           function(users, items) -> [B, W],
--                activation = P(return) per user (tensor [U], table, function(users) -> [B]),
--                sentiment = per item (tensor [I], {[item] = s}, tide.sentiment.aggregate result),
--                <name> = function(users, items) -> [B, W] (any other item signal)},
--     exclude = {seen = true | event table, blocked = set | ids, out_of_stock = set | ids},
--     mmr = {lambda = 0.7, similarity = "category" | function(a, b) | embeddings [I, D]},
--     item_category = i32 [I] (else taken from a profile model), interest_by = "category"|"item"}
--   rec:topk(users, k) -> per user (in the order given) an array of
--     {item =, score = combined score, reason = signal name, signals = {normalised}, raw = {}}
--
-- Signals are normalised per user over that user's candidates (tide.recommend.signals: min-max
-- to [0, 1]); activation is a per-user probability used as is. With weights the score is
-- Σ w_s·signal_s. REASON: the item signal with the largest contribution to the item's score —
-- w_s·signal_s for weights, f(sig) − f(sig with signal s set to 0) for a score function — or
-- "model" when none contributes (the item is there because a model proposed it). Per-user
-- signals never are the reason: they cannot put one item above another.
-- A score function gets sig = {model=, interest=, sentiment=, activation=, <names>=, item=, user=}
-- (one table reused for every candidate: copy it to keep it).
-- rec:save(path) / tide.recommend.load(path): models, signals and exclusions in one file;
-- functions cannot be saved (a scripted score is saved as its script path).
local sources = require("tide.recommend.sources")
local M = {}
local R = {}
R.__index = R
M.Recommender = R

local KNOWN = { candidates = 1, n_candidates = 1, score = 1, signals = 1, exclude = 1, mmr = 1,
                item_category = 1, interest_by = 1, n_items = 1, n_users = 1 }
local DEFAULT = { model = 1, interest = 0.5, activation = 0.3, sentiment = 0.2 }

local function fail(fmt, ...) error("recommend.new: " .. fmt:format(...), 3) end

local function models_of(self, c)
  if type(c) == "function" then self.cand_fn, self.models = c, {}; return end
  if type(c) ~= "table" then fail("candidates must be a model, a list of models or a function, got %s", type(c)) end
  self.models = c.score and { c } or c
  if #self.models == 0 then fail("candidates is an empty list") end
  local used = {}
  self.model_names = {}
  for i, m in ipairs(self.models) do
    if type(m) ~= "table" or type(m.score) ~= "function" or not m.n_items then
      fail("candidates[%d] is not a fitted model (needs :score and n_items; call :fit first)", i)
    end
    local name = m.name or ("model" .. i)
    while used[name] or DEFAULT[name] do name = name .. "_" .. i end
    used[name], self.model_names[i] = true, name
  end
end

local function interest_of(self, v, by)
  if v == nil then return nil end
  local T = require("tide").tensor
  local I
  if type(v) == "function" then I = { kind = "fn", src = v }
  elseif T.is_tensor(v) then I = { kind = "dense", src = v:cast("f32"), by = by or (self.item_category and "category" or "item") }
  elseif type(v) == "table" and type(v.score) == "function" then I = { kind = "model", src = v, by = "item" }
  elseif type(v) == "table" and v.off and v.key and v.val then I = { kind = "sparse", src = v, by = by or v.by or "category" }
  else fail("signals.interest must be a profile model, a tide.decay.profile, a tensor or a function") end
  if I.by == "category" and not self.item_category then fail("signals.interest by category needs item_category") end
  if I.kind == "sparse" and self.n_users and (I.src.n_users or 0) < self.n_users then
    fail("signals.interest: the profile covers %s users, the models %d", tostring(I.src.n_users), self.n_users)
  end
  if I.kind == "dense" then
    local sh, X = I.src:shape(), I.by == "category" and self.item_category:max():item() or self.n_items
    if #sh ~= 2 or (self.n_users and sh[1] < self.n_users) or sh[2] < X then
      fail("signals.interest: a dense profile must be [n_users, %d] (%s), got [%s]", X, I.by, table.concat(sh, ", "))
    end
  end
  if I.by and I.by ~= "category" and I.by ~= "item" then fail("interest_by must be 'category' or 'item'") end
  return I
end

--- recommend.new(opts) -> recommender (options in the header comment)
function M.new(opts)
  if type(opts) ~= "table" then fail("expected an options table, got %s", type(opts)) end
  for k in pairs(opts) do if not KNOWN[k] then fail("unknown option '%s'", tostring(k)) end end
  local self = setmetatable({ n_candidates = opts.n_candidates or 200, custom = {}, custom_names = {} }, R)
  if type(self.n_candidates) ~= "number" or self.n_candidates < 1 then fail("n_candidates must be >= 1") end
  models_of(self, opts.candidates)
  local m1 = self.models[1] or {}
  self.n_items = opts.n_items or m1.n_items or fail("n_items is required with a candidates function")
  self.n_users = opts.n_users or m1.n_users
  for i, m in ipairs(self.models) do
    if m.n_items ~= self.n_items then fail("candidates[%d] scores %d items, candidates[1] %d", i, m.n_items, self.n_items) end
  end
  self.item_category = opts.item_category
  for _, m in ipairs(self.models) do self.item_category = self.item_category or m.item_category end
  local ic = self.item_category
  if ic ~= nil and (not require("tide").tensor.is_tensor(ic) or ic:dim() ~= 1 or ic:numel() < self.n_items) then
    fail("item_category must be an id tensor [n_items = %d]", self.n_items)
  end
  local sg = opts.signals or {}
  self.interest = interest_of(self, sg.interest, opts.interest_by)
  if sg.activation ~= nil then
    self.activation = type(sg.activation) == "function" and sg.activation
      or sources.vector(sg.activation, self.n_users or fail("activation as a table needs n_users"), "signals.activation")
    if type(self.activation) ~= "function" and (self.activation:min():item() < 0 or self.activation:max():item() > 1) then
      fail("signals.activation must be probabilities in [0, 1]")
    end
  end
  if sg.sentiment ~= nil then self.sentiment = sources.sentiment(sg.sentiment, self.n_items) end
  for name, f in pairs(sg) do
    if name ~= "interest" and name ~= "activation" and name ~= "sentiment" then
      if type(f) ~= "function" then fail("signals.%s must be a function(users, items) -> [B, W]", tostring(name)) end
      self.custom[name] = f
      self.custom_names[#self.custom_names + 1] = name
    end
  end
  table.sort(self.custom_names)
  self.item_names = { "model" }
  if #self.models > 1 then for _, n in ipairs(self.model_names) do self.item_names[#self.item_names + 1] = n end end
  if self.interest then self.item_names[#self.item_names + 1] = "interest" end
  if self.sentiment then self.item_names[#self.item_names + 1] = "sentiment" end
  for _, n in ipairs(self.custom_names) do self.item_names[#self.item_names + 1] = n end
  self.weights, self.score_fn, self.score_path = sources.score(opts.score)
  if not self.weights and not self.score_fn then
    self.weights = {}
    for k, w in pairs(DEFAULT) do if k == "model" or self[k] then self.weights[k] = w end end
  end
  if self.weights then
    self.weight_names = {}
    for k in pairs(self.weights) do
      local known = k == "activation" and self.activation
      for _, n in ipairs(self.item_names) do known = known or n == k end
      if not known then fail("score weight '%s' names no signal (have: %s)", k, table.concat(self.item_names, ", ")) end
      self.weight_names[#self.weight_names + 1] = k
    end
    table.sort(self.weight_names)
  end
  local ex = opts.exclude or {}
  for k in pairs(ex) do
    if k ~= "seen" and k ~= "blocked" and k ~= "out_of_stock" then fail("unknown exclude option '%s'", tostring(k)) end
  end
  self.seen = sources.seen(ex.seen, self.models)
  self.blocked = ex.blocked and sources.ids(ex.blocked, "exclude.blocked")
  self.out_of_stock = ex.out_of_stock and sources.ids(ex.out_of_stock, "exclude.out_of_stock")
  self.mask = sources.mask({ self.blocked or false, self.out_of_stock or false }, self.n_items)
  if opts.mmr then
    local l, sim = opts.mmr.lambda or 0.7, opts.mmr.similarity or "category"
    if type(l) ~= "number" or not (l >= 0 and l <= 1) then fail("mmr.lambda must be in [0, 1], got %s", tostring(l)) end
    if sim == "category" and not self.item_category then fail("mmr similarity 'category' needs item_category") end
    if sim ~= "category" and type(sim) ~= "function" and not require("tide").tensor.is_tensor(sim) then
      fail("mmr.similarity must be 'category', a function(a, b) or an embedding tensor [n_items, D]")
    end
    self.mmr = { lambda = l, similarity = sim }
  end
  return self
end

require("tide.recommend.rank")(M, R)

return M
