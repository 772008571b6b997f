-- tide.activation.frame — turns an event log into a supervised activation data set: one row
-- per (cut, user) with features from the events strictly before the cut and a label from the
-- `horizon` days from the cut on, [cut, cut + H). Leakage contract (tested): adding, removing
-- or altering any event at or after the cut changes labels only, never a feature.
--   label "return"        any event in the window
--         "purchase"      a buy in the window
--         "reactivation"  population restricted to users dormant >= `dormant` days at the cut;
--                         label = they come back within the window
-- Feature groups: see tide.activation.frame_features.
local tide = require "tide"
local T = tide.tensor
local D = tide.core.data
local data = require "tide.data"
local FF = require "tide.activation.frame_features"
local reviews = require "tide.activation.frame_reviews"

local M = {}
local DAY = 86400
local FN = "activation.frame"

local KNOWN = { cut = 1, horizon = 1, label = 1, dormant = 1, min_events = 1, groups = 1,
                names = 1, reviews = 1, rating_scale = 1, half_life = 1, min_gap = 1,
                sentiment_half_life = 1, sentiment_prior = 1 }
local LABELS = { ["return"] = 1, purchase = 1, reactivation = 1 }
local ORDER = { "rfm", "dwell", "gaps", "mix", "category", "interest", "decay", "hawkes",
                "sentiment" }

local GROUP = {}
for _, g in ipairs(ORDER) do GROUP[g] = true end

local function bad(msg) error(FN .. ": " .. msg, 4) end

local function num(v, what, lo)
  if type(v) ~= "number" or v ~= v or v == math.huge or v < lo then
    bad(("option '%s' must be a finite number >= %g, got %s"):format(what, lo, tostring(v)))
  end
  return v
end

local function as_cut(v)
  if type(v) == "string" then
    local t = D.parse_time(v)
    if not t then bad("cannot parse cut '" .. v .. "' (use epoch seconds or YYYY-MM-DD[THH:MM:SS])") end
    return t
  end
  if type(v) ~= "number" or v ~= math.floor(v) then
    bad("cut must be epoch seconds (an integer) or a date string, got " .. tostring(v))
  end
  return v
end

local function options(ev, opts)
  if type(ev) ~= "table" or not ev.user or not ev.time then bad("argument #1 must be an event table (tide.data)") end
  if type(opts) ~= "table" then bad("argument #2 must be an options table") end
  for k in pairs(opts) do if not KNOWN[k] then bad("unknown option '" .. tostring(k) .. "'") end end
  local o = { label = opts.label or "return", n_users = ev.n_users }
  if not LABELS[o.label] then bad("label must be return, purchase or reactivation, got " .. tostring(o.label)) end
  if opts.cut == nil then bad("option 'cut' (epoch seconds, a date, or a list of them) is required") end
  local cuts = type(opts.cut) == "table" and opts.cut or { opts.cut }
  if #cuts == 0 then bad("option 'cut' is an empty list") end
  o.cuts = {}
  for i, c in ipairs(cuts) do o.cuts[i] = as_cut(c) end
  o.horizon = num(opts.horizon or 30, "horizon", 1e-9)
  o.dormant = num(opts.dormant or 60, "dormant", 0)
  o.min_events = num(opts.min_events or 1, "min_events", 1)
  o.half_life = num(opts.half_life or 30, "half_life", 1e-9)
  o.min_gap = num(opts.min_gap or 1800, "min_gap", 0)
  o.sentiment_half_life = num(opts.sentiment_half_life or 30, "sentiment_half_life", 1e-9)
  o.sentiment_prior = num(opts.sentiment_prior or 1, "sentiment_prior", 0)
  local scale = opts.rating_scale or { 1, 5 }
  if type(scale) ~= "table" or type(scale[1]) ~= "number" or type(scale[2]) ~= "number" or scale[2] <= scale[1] then
    bad("option 'rating_scale' must be {lo, hi} with lo < hi")
  end
  o.rating_scale = scale
  o.reviews = reviews.of(opts.reviews, ev, scale, bad)
  o.groups = opts.groups or FF.default_groups(ev, o.reviews ~= nil)
  if type(o.groups) ~= "table" then bad("option 'groups' must be a list of feature group names") end
  if o.reviews and o.reviews.now then
    for _, c in ipairs(o.cuts) do
      if o.reviews.now >= c then
        bad(("the sentiment aggregate is as of %d, not before cut %d (it would see reviews from after the cut: pass the review records instead)"):format(o.reviews.now, c))
      end
    end
  end
  local seen = {}
  for _, g in ipairs(o.groups) do
    if type(g) ~= "string" or not GROUP[g] then bad("unknown feature group '" .. tostring(g) .. "' (" .. table.concat(ORDER, ", ") .. ")") end
    if g == "sentiment" and not o.reviews then bad("group 'sentiment' needs option 'reviews' or a rating column") end
    if g == "category" and not ev.category then bad("group 'category' needs a category column") end
    seen[g] = true
  end
  o.group_set = seen
  o.names = opts.names
  if o.names ~= nil and (type(o.names) ~= "table" or #o.names == 0) then bad("option 'names' must be a non-empty list of feature names") end
  return o
end

-- One cut: population rows (dense user ids), their feature columns and labels.
local function one_cut(ev, cut, o)
  local pre = data.time_window(ev, nil, cut - 1)
  local post = data.time_window(ev, cut, cut + math.floor(o.horizon * DAY) - 1)
  local cnt = D.counts(pre.user, ev.n_users):float()
  local mask = cnt:ge(o.min_events)
  local cols = {}
  for _, g in ipairs(ORDER) do
    if o.group_set[g] then
      for _, c in ipairs(FF[g](pre, cut, o, ev)) do cols[#cols + 1] = c end
    end
  end
  if o.label == "reactivation" then
    local rec = FF.user_columns(pre, cut)("recency")
    mask = (mask:int() * rec:ge(o.dormant):int())
  end
  local users = D.nonzero(mask) + 1 -- 0-based -> dense ids
  if o.label == "purchase" then post = data.filter(post, post.event:eq(5)) end
  local hit = D.counts(post.user, ev.n_users):float():gt(0):float()
  return users:int(), cols, hit
end

--- frame(ev, {cut = t | {t1, t2, ...}, horizon = 30 (days), label = "return"|"purchase"|
---   "reactivation", dormant = 60 (days), min_events = 1, groups = {...} (default: every
---   group the log's columns allow), names = {...} (keep exactly these columns, in order:
---   how a saved model reframes new data), reviews = {user, time, score [, item]} (default:
---   rows with a rating, scored by rating_scale = {1, 5}), half_life = 30 (days, interest
---   profile), sentiment_half_life = 30, sentiment_prior = 1, min_gap = 1800 (seconds: one
---   visit)}); reviews may also be a tide.sentiment.aggregate result (with user ids) computed
---   at a `now` before every cut: its per-(user, item) weights are pooled per user as they are -> {X = f32 [n, d], names, y = f32 [n], users = i32 [n], ids = {...} (original
---   ids), cut = {cuts}, cut_index = i32 [n], n, d, options (plain, for saving), stats = {n,
---   positives, rate, cuts, log_end (last event time), censored = {cuts whose label window
---   runs past log_end: a return after the log's end counts as none}}}
function M.frame(ev, opts)
  local o = options(ev, opts)
  local blocks, ys, us, ci, names = {}, {}, {}, {}, nil
  for k, cut in ipairs(o.cuts) do
    local users, cols, hit = one_cut(ev, cut, o)
    if users:numel() > 0 then
      local nm, xs = {}, {}
      for j, c in ipairs(cols) do nm[j], xs[j] = c[1], c[2]:index_select(1, users):view({ users:numel(), 1 }) end
      names = nm
      blocks[#blocks + 1] = T.cat(xs, 2)
      ys[#ys + 1] = hit:index_select(1, users)
      us[#us + 1] = users
      ci[#ci + 1] = T.full({ users:numel() }, k, "i32")
    end
  end
  if #blocks == 0 then
    bad(("no user qualifies at any cut (label %s, min_events %g%s)"):format(o.label, o.min_events,
      o.label == "reactivation" and (", dormant >= " .. o.dormant .. " days") or ""))
  end
  local X = #blocks > 1 and T.cat(blocks, 1) or blocks[1]
  if o.names then
    local at, sel = {}, {}
    for j, nm in ipairs(names) do at[nm] = j end
    for j, nm in ipairs(o.names) do
      sel[j] = at[nm] or bad("feature '" .. tostring(nm) .. "' is not produced by these options and this log")
    end
    X, names = X:index_select(2, T.fromtable(sel, "i32")), o.names
  end
  local fr = { X = X:contiguous(), names = names, y = #ys > 1 and T.cat(ys, 1) or ys[1],
               users = #us > 1 and T.cat(us, 1) or us[1], cut_index = #ci > 1 and T.cat(ci, 1) or ci[1],
               cut = o.cuts }
  fr.n, fr.d = fr.X:size(1), fr.X:size(2)
  if ev.users then
    local ids, u = {}, fr.users:totable()
    for i = 1, #u do ids[i] = ev.users:name(u[i]) end
    fr.ids = ids
  end
  fr.options = { label = o.label, horizon = o.horizon, dormant = o.dormant, min_events = o.min_events,
                 groups = o.groups, half_life = o.half_life, min_gap = o.min_gap,
                 sentiment_half_life = o.sentiment_half_life, sentiment_prior = o.sentiment_prior,
                 rating_scale = o.rating_scale }
  local pos = fr.y:sum():item()
  -- cuts whose label window runs past the log's last event: their labels are censored
  local _, log_end = D.minmax(ev.time)
  local censored = {}
  for _, c in ipairs(o.cuts) do
    if log_end and c + o.horizon * DAY > log_end + 1 then censored[#censored + 1] = c end
  end
  fr.stats = { n = fr.n, positives = pos, rate = pos / fr.n, cuts = #o.cuts, log_end = log_end, censored = censored }
  return fr
end

return M
