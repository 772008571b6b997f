-- tide.train.config — run a sequential model from a small Lua config file (the RecBole habit,
-- in Lua), for `tide train config.lua` and `tide eval --config config.lua`:
--
--   return {
--     data = "../shared/data/seqrec-amazon/Video.txt.gz", schema = "sasrec",
--     model = "sasrec",                 -- sasrec | gru4rec | decay_attention | tisasrec | bert4rec | mlp
--     options = { dim = 50, blocks = 2, maxlen = 50, dropout = 0.5, epochs = 200, every = 20,
--                 patience = 3 },       -- the model's options (see tide.models.<model>)
--     split = { min_len = 3 },          -- leave-last-out: last event test, second-last valid
--     eval = { k = { 10, 20 }, protocols = { "full", "sampled" }, n_neg = 100 },
--     save = "sasrec.ckpt", log = "sasrec.jsonl",   -- optional outputs
--   }
-- Relative paths are taken from the current directory.
local M = {}

local KEYS = { data = "string", schema = "any", model = "string", options = "table", split = "table",
               eval = "table", save = "string", log = "string", progress = "boolean" }
local MODELS = { sasrec = true, gru4rec = true, decay_attention = true, tisasrec = true, bert4rec = true, mlp = true }

--- load(path) -> config table, checked (unknown keys and wrong types raise an error naming them)
function M.load(path)
  if type(path) ~= "string" then error("train config: path must be a string", 2) end
  local chunk, err = loadfile(path)
  if not chunk then error("train config: " .. tostring(err), 0) end
  local ok, cfg = pcall(chunk)
  if not ok then error("train config " .. path .. ": " .. tostring(cfg), 0) end
  return M.check(cfg, path)
end

function M.check(cfg, name)
  name = name or "config"
  if type(cfg) ~= "table" then error(("train config %s: must return a table"):format(name), 0) end
  for k, v in pairs(cfg) do
    local want = KEYS[k]
    if not want then error(("train config %s: unknown key '%s'"):format(name, tostring(k)), 0) end
    if want ~= "any" and type(v) ~= want then
      error(("train config %s: '%s' must be a %s, got %s"):format(name, k, want, type(v)), 0)
    end
  end
  if not cfg.data then error(("train config %s: 'data' (path of the event log) is required"):format(name), 0) end
  cfg.model = cfg.model or "sasrec"
  if not MODELS[cfg.model] then
    error(("train config %s: unknown model '%s' (sasrec, gru4rec, decay_attention, tisasrec, bert4rec, mlp)"):format(name, cfg.model), 0)
  end
  return cfg
end

-- events and the leave-last-out split (valid = second-last event, test = last)
function M.data(cfg)
  local tide = require "tide"
  local ok, ev = pcall(tide.data.read_events, cfg.data, cfg.schema or "sasrec")
  if not ok then error((tostring(ev):gsub("^[^:]*%.lua:%d+: ", "")), 0) end
  local s = cfg.split or {}
  return ev, tide.split.split(ev, { by = "leave_last", n_valid = 1, min_len = s.min_len or 3 })
end

--- evaluate(model, split, eval_cfg) -> list of metric results (full first), the model
--- conditioned on train + valid as in the SASRec protocol
function M.evaluate(model, sp, e)
  local tide = require "tide"
  e = e or {}
  model:set_history({ sp.train, sp.valid })
  local out = {}
  for _, proto in ipairs(e.protocols or { "full", "sampled" }) do
    out[#out + 1] = tide.metrics.evaluate(model, sp, { k = e.k or { 10, 20 }, protocol = proto,
                                                       n_neg = e.n_neg or 100, seed = e.seed })
  end
  return out
end

--- run(cfg, overrides) -> model, results: fit with early stopping on validation NDCG@10,
--- evaluate on the test events, save if asked. overrides: {epochs =, save =, log =}
function M.run(cfg, over)
  local tide = require "tide"
  over = over or {}
  local opts = {}
  for k, v in pairs(cfg.options or {}) do opts[k] = v end
  if over.epochs then opts.epochs = over.epochs end
  local ev, sp = M.data(cfg)
  opts.n_items = ev.n_items
  local model = tide.models[cfg.model](opts)
  model:fit(sp.train, { valid = sp.valid, log = over.log or cfg.log, progress = cfg.progress ~= false,
                        trainer = over.trainer })
  if over.rank and over.rank > 0 then return model, nil, ev end -- data-parallel: rank 0 reports
  local res = M.evaluate(model, sp, cfg.eval)
  local path = over.save or cfg.save
  if path then model:save(path) end
  return model, res, ev
end

return M
