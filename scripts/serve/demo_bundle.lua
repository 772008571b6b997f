-- demo_bundle.lua <dir> [users] [events] — a serving bundle for `make serve` without a model of
-- your own: a simulated log (tide.sim, seed 7), a decayed-popularity model fitted on it, and
-- the serve.lua config pointing at both (see lua/tide/serve/state.lua for the options).
local root = arg[0]:match("^(.*)/scripts/serve/") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/lua/?.so;" .. package.cpath
local tide = require "tide"
local dir = arg[1] or error("usage: demo_bundle.lua <dir> [users] [events]")
local users, events = tonumber(arg[2] or 500), tonumber(arg[3] or 30000)
os.execute("mkdir -p '" .. dir .. "'")
tide.sim.generate{ users = users, events = events, items = 800, categories = 20, seed = 7,
                   out = dir .. "/history.csv", truth = false }
local ev = tide.data.read_events(dir .. "/history.csv", "sim")
local model = tide.models.pop{ mode = "decay", half_life = 14 }
model:fit(ev)
model:save(dir .. "/model.tm")
local f = assert(io.open(dir .. "/serve.lua", "w"))
f:write([[
-- serving config written by scripts/serve/demo_bundle.lua (options: lua/tide/serve/state.lua)
return {
  model = "model.tm", events = "history.csv", schema = "sim",
  half_life = 7, weights = { browse = 1, click = 2, cart = 4, fav = 3, buy = 5 },
  interest_by = "category", model_weight = 1, interest_weight = 0.5,
  n_candidates = 200, max_k = 100, append = "appended.csv",
}
]])
f:close()
print("demo bundle in " .. dir)
