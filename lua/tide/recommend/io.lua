-- tide.recommend.io — a recommender in one tide.models.io file: its models (each under
-- "m<i>."), an interest model or profile ("interest."), signal vectors, exclusion lists, MMR
-- settings and the score (weights as numbers, a scripted score as its script path). Lua
-- functions cannot be saved: a recommender holding one (candidates, signals, MMR similarity,
-- or a score function given directly rather than as a path) is refused with the option named.
local mio = require("tide.models.io")
local M = {}

local function refuse(what)
  error(("recommend:save: %s is a Lua function and cannot be saved (give a fitted model, a " ..
         "tensor, or for the score a script path)"):format(what), 4)
end

function M.save(rec, path)
  if rec.cand_fn then refuse("candidates") end
  if rec.score_fn and not rec.score_path then refuse("score") end
  if type(rec.activation) == "function" then refuse("signals.activation") end
  if type(rec.sentiment) == "function" then refuse("signals.sentiment") end
  if rec.custom_names[1] then refuse("signals." .. rec.custom_names[1]) end
  if rec.mmr and type(rec.mmr.similarity) == "function" then refuse("mmr.similarity") end
  local t, m = {}, { kind = "recommend", n_models = #rec.models, n_candidates = rec.n_candidates,
                     n_items = rec.n_items, n_users = rec.n_users, score_path = rec.score_path }
  for i, model in ipairs(rec.models) do
    if not model.state then error(("recommend:save: candidates[%d] (%s) has no save support"):format(i, tostring(model.name)), 3) end
    mio.nest(t, m, "m" .. i .. ".", model:state())
  end
  for name, w in pairs(rec.weights or {}) do m["w." .. name] = w end
  local I = rec.interest
  if I then
    if I.kind == "fn" then refuse("signals.interest") end
    m.interest_kind, m.interest_by = I.kind, I.by
    if I.kind == "model" then mio.nest(t, m, "interest.", I.src:state())
    elseif I.kind == "dense" then t["interest.dense"] = I.src
    else
      t["interest.off"], t["interest.key"], t["interest.val"] = I.src.off, I.src.key, I.src.val
      m.interest_n_keys, m.interest_n_users = I.src.n_keys, I.src.n_users
    end
  end
  t.activation, t.sentiment, t.item_category = rec.activation, rec.sentiment, rec.item_category
  t.blocked, t.out_of_stock = rec.blocked, rec.out_of_stock
  if rec.seen then t.seen_off, t.seen_item = rec.seen.off, rec.seen.item end
  if rec.mmr then
    m.mmr_lambda = rec.mmr.lambda
    if rec.mmr.similarity == "category" then m.mmr_similarity = "category" else t.mmr_embeddings = rec.mmr.similarity end
  end
  mio.save(path, t, m, "recommend:save")
end

local function model_from(t, m, prefix)
  local ts, ms = mio.unnest(t, m, prefix)
  return require("tide.models")[ms.kind].from_state(ts, ms)
end

function M.load(path)
  local t, m = mio.load(path, "recommend.load", { recommend = true })
  local models = {}
  for i = 1, m.n_models do models[i] = model_from(t, m, "m" .. i .. ".") end
  local weights
  for k, w in pairs(m) do
    if k:sub(1, 2) == "w." then weights = weights or {}; weights[k:sub(3)] = w end
  end
  local signals = { activation = t.activation, sentiment = t.sentiment }
  local kind = m.interest_kind
  if kind == "model" then signals.interest = model_from(t, m, "interest.")
  elseif kind == "dense" then signals.interest = t["interest.dense"]
  elseif kind == "sparse" then
    signals.interest = setmetatable({ off = t["interest.off"], key = t["interest.key"], val = t["interest.val"],
      n_keys = m.interest_n_keys, n_users = m.interest_n_users, by = m.interest_by },
      { __index = require("tide.decay").Profile })
  end
  local mmr
  if m.mmr_lambda then mmr = { lambda = m.mmr_lambda, similarity = m.mmr_similarity or t.mmr_embeddings } end
  return require("tide.recommend").new{
    candidates = models, n_candidates = m.n_candidates, score = m.score_path or weights,
    signals = signals, item_category = t.item_category, interest_by = m.interest_by,
    n_items = m.n_items, n_users = m.n_users, mmr = mmr,
    exclude = { seen = t.seen_off and { off = t.seen_off, item = t.seen_item } or nil,
                blocked = t.blocked, out_of_stock = t.out_of_stock } }
end

return M
