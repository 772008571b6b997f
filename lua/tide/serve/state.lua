-- tide.serve.state — what one nginx worker loads once at start (and again after a graceful
-- reload): the serving config, the saved model (tide.models.load), the history log it was
-- trained on (its interners map raw user/item ids to the model's dense ids), each item's
-- interest key (its category, or the item itself), and the decay law of the profile.
--
-- Config: a Lua file returning a table; relative paths are relative to the file.
--   model = "model.tm"              a saved recommender (pop, sar, profile)
--   events = "history.csv", schema = "sim" (or a schema table, see tide.data.schema)
--   half_life = 7 (days of unit) | decay = "fit.tdecay" (a saved global exponential fit)
--   unit = 86400, weights = {browse = 1, cart = 3, ...} (per event type, default all 1)
--   interest_by = "category" | "item", model_weight = 1, interest_weight = 1,
--   n_candidates = 200, max_k = 100, exclude_seen = true,
--   append = "appended.csv"         POSTed events are appended here (raw ids), and replayed
--                                   when the profile is rebuilt
local M = {}

local KNOWN = { model = 1, events = 1, schema = 1, half_life = 1, decay = 1, unit = 1, weights = 1, interest_by = 1,
                model_weight = 1, interest_weight = 1, n_candidates = 1, max_k = 1, exclude_seen = 1, append = 1 }

local function resolve(dir, p)
  if type(p) ~= "string" then return p end
  return p:sub(1, 1) == "/" and p or (dir .. "/" .. p)
end

--- read_config(path) -> config table with absolute paths and defaults; errors name the option.
function M.read_config(path)
  local chunk, err = loadfile(path)
  if not chunk then error("serve: cannot read config " .. tostring(err), 2) end
  local c = chunk()
  if type(c) ~= "table" then error("serve: config " .. path .. " must return a table", 2) end
  for k in pairs(c) do
    if not KNOWN[k] then error(("serve: config %s: unknown option '%s'"):format(path, tostring(k)), 2) end
  end
  local dir = path:match("^(.*)/[^/]*$") or "."
  for _, k in ipairs({ "model", "events", "decay", "append" }) do c[k] = resolve(dir, c[k]) end
  if type(c.model) ~= "string" then error("serve: config: model (path of a saved model) is required", 2) end
  if type(c.events) ~= "string" then error("serve: config: events (the history log) is required", 2) end
  c.schema = c.schema or "sim"
  c.unit = c.unit or 86400
  c.interest_by = c.interest_by or "category"
  if c.interest_by ~= "category" and c.interest_by ~= "item" then error("serve: config: interest_by must be 'category' or 'item'", 2) end
  c.model_weight, c.interest_weight = c.model_weight or 1, c.interest_weight or 1
  c.n_candidates, c.max_k = c.n_candidates or 200, c.max_k or 100
  if c.exclude_seen == nil then c.exclude_seen = true end
  c.config_path = path
  return c
end

-- decay rate per unit: from half_life, or from a saved global exponential tide.decay fit
local function lambda_of(c)
  if not c.decay then return math.log(2) / (c.half_life or 7), c.unit end
  local fit = require("tide").decay.load(c.decay)
  if fit.family ~= "exponential" or fit.n_series ~= 1 then
    error("serve: config: decay must be a global exponential fit (the shared profile adds atomically only under that law)", 3)
  end
  return fit.theta:get(1, 1), fit.unit
end

--- load(config) -> state {conf, model, ev, users, items, n_users, n_items, key_of (item -> key
--- id), keys (key ids), key_names (interner), lambda, unit, t_end, loaded_at}
function M.load(c)
  local tide = require "tide"
  local model = tide.models.load(c.model)
  local ev = tide.data.read_events(c.events, c.schema)
  if ev.n_users ~= model.n_users or ev.n_items ~= model.n_items then
    error(("serve: the history log has %d users / %d items, the model %d / %d: serve the log the model was fitted on")
      :format(ev.n_users, ev.n_items, model.n_users, model.n_items), 2)
  end
  local s = { conf = c, model = model, ev = ev, users = ev.users, items = ev.items, n_users = ev.n_users,
              n_items = ev.n_items }
  if c.interest_by == "category" then
    if not ev.category then error("serve: interest_by = 'category' needs a category column in the history log", 2) end
    s.key_of = require("tide.models.common").item_category(ev, ev.n_items):totable()
    s.key_names, s.n_keys = ev.categories, ev.n_categories
  else
    s.key_of = {}
    for i = 1, ev.n_items do s.key_of[i] = i end
    s.key_names, s.n_keys = ev.items, ev.n_items
  end
  s.lambda, s.unit = lambda_of(c)
  s.t_end = require("tide.decay.seq").t_end(ev)
  local f = io.open(c.model, "rb")
  s.model_bytes = f and f:seek("end") or 0
  if f then f:close() end
  return s
end

return M
