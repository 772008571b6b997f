-- tide.activation.frame_reviews — the review input of the sentiment feature group, in the
-- log's dense user ids: review records {user, time, score [, item]} (user ids or original id
-- strings; NaN scores and unknown users dropped), a tide.sentiment.aggregate result, or by
-- default the rows of the log that carry a rating (scored into [-1, 1] by rating_scale).
local tide = require "tide"
local T = tide.tensor
local D = tide.core.data

local M = {}

-- Reviews as rows of the log that carry a rating, scored into [-1, 1] by rating_scale.
local function rating_reviews(ev, scale)
  local keep = D.nonzero(ev.rating:eq(ev.rating))
  local lo, hi = scale[1], scale[2]
  local r = D.take(ev.rating, keep)
  return { user = D.take(ev.user, keep), item = D.take(ev.item, keep), time = D.take(ev.time, keep),
           score = (r - (lo + hi) / 2) / ((hi - lo) / 2) }
end

-- tide.sentiment.aggregate output -> {aggregate = {user = dense ids, sentiment, weight, n},
-- now}: weights already decayed to `now`, which must precede every cut.
local function aggregate_of(r, ev, bad)
  local ui = r.user_item
  if type(ui) ~= "table" or type(ui.user) ~= "table" or type(r.now) ~= "number" then
    bad("option 'reviews': an aggregate needs user_item.user and now (tide.sentiment.aggregate with user ids)")
  end
  local a = { user = {}, sentiment = {}, weight = {}, n = {} }
  for i, u in ipairs(ui.user) do
    local id = type(u) == "string" and ev.users:id(u) or u
    if type(id) == "number" and id >= 1 and id <= ev.n_users then
      local k = #a.user + 1
      a.user[k], a.sentiment[k], a.weight[k], a.n[k] = id, ui.sentiment[i], ui.weight[i], ui.n[i]
    end
  end
  return { aggregate = a, now = r.now }
end

--- of(reviews, ev, rating_scale, bad) -> {user i32, item i32, time i64, score f32} records, or
--- {aggregate = {...}, now} for an aggregate, or nil (no reviews, no rating column); bad(msg)
--- raises the caller's error
function M.of(r, ev, scale, bad)
  if r == nil then
    return ev.rating and rating_reviews(ev, scale) or nil
  end
  if type(r) == "table" and r.user_item ~= nil then return aggregate_of(r, ev, bad) end
  if type(r) ~= "table" or r.user == nil or r.time == nil or (r.score == nil and r.intensity == nil) then
    bad("option 'reviews' must be {user=, time=, score= [, item=]} (arrays or tensors)")
  end
  local function ten(x, dt, what)
    if T.is_tensor(x) then return x:contiguous():cast(dt) end
    if type(x) ~= "table" then bad("reviews." .. what .. " must be an array or a tensor") end
    return #x > 0 and T.fromtable(x, dt) or T.zeros({ 0 }, dt)
  end
  local user = r.user
  if type(user) == "table" and type(user[1]) == "string" then
    local ids = {}
    for i, k in ipairs(user) do ids[i] = ev.users:id(k) or 0 end -- unknown users: dropped
    user = ids
  end
  local out = { user = ten(user, "i32", "user"), time = ten(r.time, "i64", "time"),
                score = ten(r.score or r.intensity, "f32", "score") }
  local n = out.user:numel()
  out.item = r.item and ten(r.item, "i32", "item") or T.ones({ n }, "i32")
  if out.time:numel() ~= n or out.score:numel() ~= n or out.item:numel() ~= n then
    bad("reviews columns must have the same length")
  end
  local ok = out.score:eq(out.score):int() * out.user:ge(1):int() * out.user:le(ev.n_users):int()
  local keep = D.nonzero(ok)
  for k, v in pairs(out) do out[k] = D.take(v, keep) end
  return out
end

return M
