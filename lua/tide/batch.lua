-- tide.batch — mini-batches of per-user sequences for sequence models (GRU4Rec, SASRec,
-- BERT4Rec style): each batch holds user ids and their item histories as i32 tensors,
-- LEFT-padded with 0 to maxlen and truncated to the most recent maxlen items (the items a
-- next-item model conditions on). With shift = true the input drops each user's last item
-- and `target` holds the next item at every position (the standard causal training pair).
-- Shuffling is seeded (Philox permutation), so an epoch order is reproducible.
-- With negatives = k (and shift) each target position also gets k items the user never
-- interacted with (engine/negative.c: uniform, seeded per user, batch and epoch), the inputs
-- of BCE with sampled negatives (SASRec, Kang & McAuley 2018).
-- With bucket = true users of similar length share a batch (shuffled, then stably sorted by
-- length, batches in a seeded random order) and each batch is only as wide as its longest
-- history: on short-history data (Amazon: 7 items on average, maxlen 50) most of the padded
-- positions — and their cost — disappear. Every user still appears once per epoch.
local tide = require "tide"
local D = tide.core.data
local T = tide.tensor
local data = require "tide.data"
local common = require "tide.models.common"

local M = {}

--- sequences(ev_or_seq, {batch = 128, maxlen = 50, shuffle = true, seed = 1, epoch = 1,
---   shift = false, min_len = 1, users = nil (i32 tensor / array of user ids),
---   negatives = 0 (k per target position, needs shift), n_items = seq.n_items (drawn from),
---   bucket = false (batches of similar lengths, width = the batch's longest history)})
--- -> iterator yielding {users = i32 [B], items = i32 [B, maxlen], lengths = i32 [B],
---    target = i32 [B, maxlen] (shift only), negatives = i32 [B, maxlen] (k = 1) or
---    [B, maxlen, k] (never one of the user's items; 0 where target is 0)},
---    plus the number of batches as a second value
function M.sequences(src, opts)
  opts = opts or {}
  if type(src) ~= "table" then error("batch.sequences: expected an event table or sequences", 2) end
  local seq = src.offsets and src or data.sequences(src)
  local bs, maxlen = opts.batch or 128, opts.maxlen or 50
  if bs < 1 or maxlen < 1 then error("batch.sequences: batch and maxlen must be >= 1", 2) end
  local kneg = opts.negatives or 0
  if type(kneg) ~= "number" or kneg < 0 or kneg % 1 ~= 0 then
    error("batch.sequences: negatives must be an integer >= 0", 2)
  end
  if kneg > 0 and not opts.shift then error("batch.sequences: negatives needs shift = true", 2) end
  local n_items = opts.n_items or seq.n_items
  local min_len = opts.min_len or (opts.shift and 2 or 1)
  local off = seq.offsets:totable()
  local users = {}
  if opts.users then
    local list = T.is_tensor(opts.users) and opts.users:totable() or opts.users
    for _, u in ipairs(list) do
      if u < 1 or u > seq.n_users then error("batch.sequences: user " .. u .. " out of range", 2) end
      if off[u + 1] - off[u] >= min_len then users[#users + 1] = u end
    end
  else
    for u = 1, seq.n_users do
      if off[u + 1] - off[u] >= min_len then users[#users + 1] = u end
    end
  end
  if opts.shuffle ~= false and #users > 1 then
    -- a different seeded order per epoch, identical across runs
    local perm = D.permutation(#users, (opts.seed or 1) * 1000003 + (opts.epoch or 1)):totable()
    local sh = {}
    for i = 1, #users do sh[i] = users[perm[i]] end
    users = sh
  end
  local nb = math.ceil(#users / bs)
  local order, width = {}, {}
  for i = 1, nb do order[i] = i end
  local function len_of(u) return math.min(off[u + 1] - off[u] - (opts.shift and 1 or 0), maxlen) end
  if opts.bucket then
    local rank = {}
    for i, u in ipairs(users) do rank[u] = i end
    table.sort(users, function(a, c)
      local la, lc = len_of(a), len_of(c)
      if la ~= lc then return la < lc end
      return rank[a] < rank[c]
    end)
    local perm = D.permutation(nb, (opts.seed or 1) * 7919 + (opts.epoch or 1)):totable()
    for i = 1, nb do
      order[i] = perm[i]
      width[i] = len_of(users[math.min(i * bs, #users)])
    end
  end
  local b = 0
  return function()
    b = b + 1
    if b > nb then return nil end
    local ob = order[b]
    local chunk = {}
    for i = (ob - 1) * bs + 1, math.min(ob * bs, #users) do chunk[#chunk + 1] = users[i] end
    local u = T.fromtable(chunk, "i32")
    local maxlen = opts.bucket and math.max(width[ob], 1) or maxlen
    local x, len, y = D.pad_batch(seq.offsets, seq.item, u, maxlen, opts.shift)
    local neg
    if kneg > 0 then
      local seed = ((opts.seed or 1) * 1000003 + (opts.epoch or 1)) * 65537 + b
      neg = M.negatives(seq, u, n_items, maxlen * kneg, seed)
      neg = kneg == 1 and neg or neg:view({ #chunk, maxlen, kneg })
      local pad = y:eq(0)
      neg = neg:masked_fill(kneg == 1 and pad or pad:view({ #chunk, maxlen, 1 }):expand({ #chunk, maxlen, kneg }), 0)
    end
    return { users = u, items = x, lengths = len, target = y, negatives = neg }
  end, nb
end

--- negatives(seq, users i32 [B], n_items, k, seed) -> i32 [B, k]: uniform items in 1..n_items
--- outside each listed user's sequence (seeded; 0 if a user has seen every item)
function M.negatives(seq, users, n_items, k, seed)
  local off, item = common.rows(seq.offsets, seq.item, nil, users)
  local base = off:get(1)
  if base ~= 0 then -- a contiguous user range comes back as a slice of the full CSR
    item = item:narrow(1, base + 1, off:get(off:numel()) - base)
    off = off - base
  end
  return (D.negatives(off, item, n_items, k, seed, nil, true))
end

return M
