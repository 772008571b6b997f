-- tide.recommend.rank — rec:topk: users in blocks; per block candidates (C top-K), signals
-- and the weighted score as tensor ops, the final top-k by the C top-K again; Lua touches
-- only the k chosen entries per user (reasons), or, for scripted scores and MMR, each user's
-- few candidates.
local candidates = require("tide.recommend.candidates")
local signals = require("tide.recommend.signals")
local mmr = require("tide.recommend.mmr")
local common = require("tide.models.common")

return function(M, R)
  -- Σ w_s·signal_s as one [b, W] tensor (names in sorted order: a fixed summation order)
  local function weighted(self, sig, b, W)
    local acc = require("tide").tensor.zeros({ b, W })
    for _, name in ipairs(self.weight_names) do
      local w = self.weights[name]
      if sig.norm[name] then acc = acc + sig.norm[name] * w
      else acc = acc + sig.user[name]:view({ b, 1 }) * w end
    end
    return acc
  end

  -- the value of a scripted score, checked
  local function call(self, s, u, item)
    local v = self.score_fn(s)
    if type(v) ~= "number" or v ~= v then
      error(("recommend: score function%s returned %s for user %d, item %d (expected a number)"):format(
        self.score_path and (" (" .. self.score_path .. ")") or "", tostring(v), u, item), 0)
    end
    return v
  end

  -- the item signal contributing most to an entry's score (see tide.recommend's header)
  local function reason(self, s, score)
    local best, bc = "model", 0
    for _, name in ipairs(self.item_names) do
      local c
      if self.weights then c = (self.weights[name] or 0) * s[name]
      else
        local keep = s[name]
        s[name] = 0
        c = score - call(self, s, s.user, s.item)
        s[name] = keep
      end
      if c > bc then best, bc = name, c end
    end
    return best
  end

  local function totables(t)
    local out = {}
    for k, v in pairs(t) do out[k] = v:totable() end
    return out
  end

  -- the signals of candidate (r, j) as the table a score function and a reason read
  local function sig_of(s, norm, user, r, j, id, u)
    s.item, s.user = id, u
    for name, x in pairs(norm) do s[name] = x[r][j] end
    for name, x in pairs(user) do s[name] = x[r] end
    return s
  end

  -- Per user, the chosen candidate positions j (best first) and their scores, in Lua: scripted
  -- scores are called once per candidate; MMR walks each user's candidates.
  local function pick_lua(self, users, items, sig, k, comb)
    local t = require("tide").tensor
    local it = items:totable()
    local norm, user = totables(sig.norm), totables(sig.user)
    local scratch = {} -- one table reused for every candidate's scripted score
    local P, V = {}, {}
    for r = 1, #it do
      local u = users:get(r)
      local cands = {}
      for j, id in ipairs(it[r]) do
        if id > 0 then
          local sc = comb and comb[r][j] or call(self, sig_of(scratch, norm, user, r, j, id, u), u, id)
          cands[#cands + 1] = { item = id, j = j, score = sc }
        end
      end
      local picked = cands
      if self.mmr then
        local ids = {}
        for i, c in ipairs(cands) do ids[i] = c.item end
        picked = mmr.select(cands, k, self.mmr.lambda, mmr.similarity(self.mmr.similarity, self, ids))
      else
        table.sort(cands, function(x, y) if x.score ~= y.score then return x.score > y.score end return x.j < y.j end)
      end
      P[r], V[r] = {}, {}
      for q = 1, k do P[r][q], V[r][q] = picked[q] and picked[q].j or 0, picked[q] and picked[q].score or 0 end
    end
    return t.fromtable(P, "i32"), V
  end

  local function rank_block(self, users, items, sig, k)
    local t = require("tide").tensor
    local b, W = items:shape()[1], items:shape()[2]
    local P, scores
    if self.weights and not self.mmr then
      -- weighted score, no MMR: the C top-K over the [b, W] scores (ties: earlier candidate)
      local C = t.where(sig.V, weighted(self, sig, b, W), 0 / 0)
      local vals
      P, vals = require("tide").core.metrics.topk(C, nil, nil, k)
      scores = vals:totable()
    else
      P, scores = pick_lua(self, users, items, sig, k, self.weights and weighted(self, sig, b, W):totable())
    end
    -- everything else is read at the k chosen positions only
    local Pc = t.where(P:gt(0), P, 1):cast("i32")
    local at = function(x) return x:gather(2, Pc):totable() end
    local pos, ids = P:totable(), at(items)
    local norm, raw = {}, {}
    for name, x in pairs(sig.norm) do norm[name] = at(x) end
    for name, x in pairs(sig.raw) do raw[name] = at(x) end
    local user = totables(sig.user)
    local out = {}
    for r = 1, b do
      local u, list = users:get(r), {}
      for q = 1, k do
        if pos[r][q] > 0 then
          local rv = {}
          for name, x in pairs(raw) do rv[name] = x[r][q] end
          for name, x in pairs(user) do rv[name] = x[r] end
          local s = sig_of({}, norm, user, r, q, ids[r][q], u)
          local why = reason(self, s, scores[r][q])
          s.item, s.user = nil, nil
          list[#list + 1] = { item = ids[r][q], score = scores[r][q], reason = why, signals = s, raw = rv }
        end
      end
      out[r] = list
    end
    return out
  end

  --- rec:topk(users, k) -> array (one per user, in the given order) of up to k entries
  --- {item, score, reason, signals, raw}, best first; fewer when a user has fewer candidates
  function R:topk(users, k)
    users = common.users(users)
    if type(k) ~= "number" or k < 1 or k ~= math.floor(k) then
      error("recommend:topk: k must be an integer >= 1, got " .. tostring(k), 2)
    end
    local B = users:numel()
    if B == 0 then return {} end
    local lo, hi = users:min():item(), users:max():item()
    if lo < 1 or (self.n_users and hi > self.n_users) then
      error(("recommend:topk: user ids must be in 1..%s, got %d..%d"):format(tostring(self.n_users), lo, hi), 2)
    end
    local out = {}
    -- blocks bound the [b, n_items] score matrices held at once (~16 MB each)
    local block = math.max(1, math.min(512, math.floor(4e6 / self.n_items)))
    for s = 1, B, block do
      local ub = users:narrow(1, s, math.min(block, B - s + 1)):contiguous()
      local items, model = candidates.generate(self, ub)
      local lists = rank_block(self, ub, items, signals.compute(self, ub, items, model), k)
      for i, l in ipairs(lists) do out[s + i - 1] = l end
    end
    return out
  end

  --- rec:save(path) — configuration, models and signals in one checksummed file
  function R:save(path) require("tide.recommend.io").save(self, path) end
  --- recommend.load(path) -> the recommender rec:save wrote
  function M.load(path) return require("tide.recommend.io").load(path) end
end
