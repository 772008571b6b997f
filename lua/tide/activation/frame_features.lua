-- tide.activation.frame_features — per-user feature groups of one cut, computed from the
-- rows strictly before the cut only (the caller passes that part of the log as `pre`).
-- Each group returns a list of {name, f32 tensor [n_users]} columns over ALL dense user ids;
-- tide.activation.frame picks the population rows afterwards.
--   rfm        recency, tenure, frequency, buys, active days (engine/rfm.c); monetary and
--              avg_price with a price column; spend = Σ price·value over buys with both
--   dwell      dwell_mean, dwell_total (dwell column)
--   gaps       gap_mean, gap_std, gap_min, gap_max (days between events)
--   mix        share of each event type (logs with an event column)
--   category   n_categories, top_share, cat_entropy (category column)
--   interest   decayed interest profile I(u, x) = Σ_e w_e 2^(−age/h) by category (or item):
--              its total, the top key's share, the entropy of the shares (tide.decay.profile)
--   decay      per-user exponential return rate λ_u (Gamma empirical-Bayes shrinkage,
--              tide.decay.fit), its half-life, and P(return within H) = 1 − e^(−λ_u H)
--   hawkes     P(at least one visit in (cut, cut + H]) under one Hawkes law fitted by
--              maximum likelihood to all users' visits before the cut (tide.decay.hawkes)
--   sentiment  decay-weighted review sentiment per user (tide.sentiment.aggregate): the
--              weighted mean Σ w s / (Σ w + prior), the total weight and the review count
local tide = require "tide"
local T = tide.tensor
local D = tide.core.data

local M = {}
local DAY = 86400

-- tide.features.user of one (pre, cut), computed once for all groups that read it
local fu_cache = setmetatable({}, { __mode = "k" })
local function fu_columns(pre, cut)
  local f = fu_cache[pre]
  if not f or f.now ~= cut then
    f = tide.features.user(pre, { now = cut })
    fu_cache[pre] = f
  end
  return function(name) return f.col(name) end
end
M.user_columns = fu_columns

function M.rfm(pre, cut, o, ev)
  local col = fu_columns(pre, cut)
  local out = {}
  for _, nm in ipairs({ "recency", "tenure", "frequency", "buys", "active_days" }) do
    out[#out + 1] = { nm, col(nm) }
  end
  if ev.price then
    out[#out + 1] = { "monetary", col("monetary") }
    out[#out + 1] = { "avg_price", col("avg_price") }
    if ev.value then
      -- Σ price·value over buys (UCI: UnitPrice × Quantity; cancellations count negative)
      local amt = (pre.price * pre.value):clone()
      amt = T.where(pre.event:eq(5), amt, 0)
      amt = T.where(amt:eq(amt), amt, 0) -- missing price/value -> 0
      out[#out + 1] = { "spend", T.zeros({ o.n_users }):index_add(1, pre.user, amt) }
    end
  end
  return out
end

local function pick(names)
  return function(pre, cut)
    local col, out = fu_columns(pre, cut), {}
    for _, nm in ipairs(names) do out[#out + 1] = { nm, col(nm) } end
    return out
  end
end
M.dwell = pick({ "dwell_mean", "dwell_total" })
M.gaps = pick({ "gap_mean", "gap_std", "gap_min", "gap_max" })
M.mix = pick({ "mix_browse", "mix_click", "mix_cart", "mix_fav", "mix_buy" })
M.category = pick({ "n_categories", "top_share", "cat_entropy" })

function M.interest(pre, cut, o, ev)
  local by = ev.category and "category" or "item"
  local p = tide.decay.profile(pre, { by = by, half_life = o.half_life, at = cut })
  local off, val = p.off:totable(), p.val:totable()
  local total, share, ent = {}, {}, {}
  for u = 1, o.n_users do
    local s, mx = 0, 0
    for k = off[u] + 1, off[u + 1] do
      local v = val[k]
      s = s + v
      if v > mx then mx = v end
    end
    local h = 0
    if s > 0 then
      for k = off[u] + 1, off[u + 1] do
        local q = val[k] / s
        if q > 0 then h = h - q * math.log(q) end
      end
    end
    total[u], share[u], ent[u] = s, s > 0 and mx / s or 0, h
  end
  local function t(x) return #x > 0 and T.fromtable(x) or T.zeros({ 0 }) end
  return { { "interest_total", t(total) }, { "interest_top_share", t(share) },
           { "interest_entropy", t(ent) } }
end

function M.decay(pre, cut, o)
  local f = tide.decay.fit(pre, { family = "exponential", per = "user", unit = "day",
                                  t_end = cut, min_gap = o.min_gap, se = false })
  local rate = f.theta:reshape({ -1 }):contiguous()
  return { { "decay_rate", rate }, { "decay_half_life", f.half_life:contiguous():float() },
           { "decay_return_prob", 1 - (rate * (-o.horizon)):exp() } }
end

function M.hawkes(pre, cut, o)
  local ok, h = pcall(tide.decay.hawkes.fit_events, pre,
    { t_end = cut, min_gap = o.min_gap, min_events = 1, unit = "day" })
  if not ok then
    error("activation.frame: the hawkes group could not be fitted before cut " .. cut ..
          " (" .. tostring(h):gsub("^[^:]*%.lua:%d+: ", "") .. "); leave 'hawkes' out of groups", 0)
  end
  local p = h:prob_users(o.horizon, cut)
  local idx = T.fromtable(#h.users > 0 and h.users or {}, "i32")
  local full = T.zeros({ o.n_users })
  if #h.users > 0 then full = full:index_add(1, idx, p:float()) end
  return { { "hawkes_prob", full } }
end

-- Review records {user, time, score [, item]} -> per-user weighted sums before the cut (or a
-- ready aggregate, checked by frame to predate every cut).
function M.sentiment(pre, cut, o)
  local r = o.reviews
  local sw, n = T.zeros({ o.n_users }), T.zeros({ o.n_users })
  local sws = T.zeros({ o.n_users })
  local keep = r.aggregate and T.zeros({ 0 }, "i64") or D.range_idx(r.time, nil, cut - 1)
  if r.aggregate and #r.aggregate.user > 0 then
    local a = r.aggregate
    local uu, w = T.fromtable(a.user, "i32"), T.fromtable(a.weight)
    sw = sw:index_add(1, uu, w)
    sws = sws:index_add(1, uu, T.fromtable(a.sentiment) * w)
    n = n:index_add(1, uu, T.fromtable(a.n))
  elseif keep:numel() > 0 then
    local u, t = D.take(r.user, keep), D.take(r.time, keep)
    local a = tide.sentiment.aggregate(
      { user = u, item = D.take(r.item, keep), time = t, score = D.take(r.score, keep) },
      { now = cut, half_life = o.sentiment_half_life * DAY })
    local ui = a.user_item
    local uu = T.fromtable(ui.user, "i32")
    local w = T.fromtable(ui.weight)
    sw = sw:index_add(1, uu, w)
    sws = sws:index_add(1, uu, T.fromtable(ui.sentiment) * w) -- aggregate's prior is 0
    n = n:index_add(1, uu, T.fromtable(ui.n))
  end
  local mean = sws / (sw + o.sentiment_prior)
  mean = T.where(sw:gt(0), mean, 0) -- no review before the cut: neutral (also with prior 0)
  return { { "sentiment_mean", mean }, { "sentiment_weight", sw },
           { "sentiment_n", n } }
end

-- Groups available for an event table, from the columns it has (never from its rows, so
-- the feature set of a framing does not depend on the data after the cut).
function M.default_groups(ev, has_reviews)
  local g = { "rfm", "gaps", "decay", "hawkes", "interest" }
  if ev.dwell then g[#g + 1] = "dwell" end
  if ev.event_names then g[#g + 1] = "mix" end
  if ev.category then g[#g + 1] = "category" end
  if has_reviews then g[#g + 1] = "sentiment" end
  return g
end

return M
