-- tide.recommend.rank — rec:topk: users in blocks; per block candidates (C top-K), signals
-- and the weighted score as tensor ops; then, per user, a Lua pass over that user's few
-- candidates only: scripted scores, ordering (plain or MMR), reasons.
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

  local function rank_block(self, users, items, sig, k)
    local b, W = items:shape()[1], items:shape()[2]
    local it = items:totable()
    local comb = self.weights and weighted(self, sig, b, W):totable()
    local norm, raw, user = totables(sig.norm), totables(sig.raw), totables(sig.user)
    local out = {}
    for r = 1, b do
      local u = users:get(r)
      local cands = {}
      for j, id in ipairs(it[r]) do
        if id > 0 then
          local s = { item = id, user = u }
          for name, x in pairs(norm) do s[name] = x[r][j] end
          for name, x in pairs(user) do s[name] = x[r] end
          local c = { item = id, j = j, sig = s }
          c.score = comb and comb[r][j] or call(self, s, u, id)
          cands[#cands + 1] = c
        end
      end
      local picked
      if self.mmr then
        local ids = {}
        for i, c in ipairs(cands) do ids[i] = c.item end
        picked = mmr.select(cands, k, self.mmr.lambda, mmr.similarity(self.mmr.similarity, self, ids))
      else
        table.sort(cands, function(x, y) if x.score ~= y.score then return x.score > y.score end return x.j < y.j end)
        picked = {}
        for i = 1, math.min(k, #cands) do picked[i] = cands[i] end
      end
      local list = {}
      for i, c in ipairs(picked) do
        local rv = {}
        for name, x in pairs(raw) do rv[name] = x[r][c.j] end
        for name, x in pairs(user) do rv[name] = x[r] end
        local shown = {}
        for name, v in pairs(c.sig) do if name ~= "item" and name ~= "user" then shown[name] = v end end
        list[i] = { item = c.item, score = c.score, reason = reason(self, c.sig, c.score), signals = shown, raw = rv }
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
