-- tide.models — recommenders sharing one interface: m:fit(train_ev), m:score(users) ->
-- f32 [#users, n_items], m:topk(users, k, {exclude_seen = true}) -> i32 item ids.
-- Models load lazily from lua/tide/models/<name>.lua. A module returning a table with `new`
-- can be called directly: tide.models.pop{mode = "decay", half_life = 7}.
-- m:save(path) writes a fitted model; tide.models.load(path) reads any of them back.
local M = {}
setmetatable(M, {
  __index = function(self, name)
    if type(name) ~= "string" then return nil end
    local path = "tide.models." .. name
    local ok, mod = pcall(require, path)
    if not ok then
      if tostring(mod):find("module '" .. path .. "' not found", 1, true) then return nil end
      error(mod, 2)
    end
    if type(mod) == "table" and mod.new and getmetatable(mod) == nil then
      setmetatable(mod, { __call = function(cls, opts) return cls.new(opts) end })
    end
    rawset(self, name, mod)
    return mod
  end,
})
--- tide.models.load(path) -> the fitted model m:save(path) wrote (pop, sar, profile, interest, and
--- the sequential sasrec, gru4rec, bert4rec, decay_attention, tisasrec, mlp), scoring bit-identically to
--- the saved one; errors name the file (missing, corrupt, another kind).
local KINDS = { pop = true, sar = true, profile = true, interest = true }
local SEQ = { sasrec = true, gru4rec = true, bert4rec = true, decay_attention = true, tisasrec = true, mlp = true }
rawset(M, "load", function(path)
  if type(path) == "string" then -- sequential models keep their own file layout (seq_io)
    local ok, _, meta = pcall(require("tide").core.checkpoint.load, path)
    if ok and type(meta) == "table" and SEQ[meta.kind] then return require("tide.models.seq_io").load_any(path) end
  end
  local tensors, meta = require("tide.models.io").load(path, "models.load", KINDS)
  return M[meta.kind].from_state(tensors, meta)
end)

return M
