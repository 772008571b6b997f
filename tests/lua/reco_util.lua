-- reco_util.lua — shared fixtures for the recommend / strategy / model-io tests: a small
-- simulated log (tide.sim, fixed seed) read back as an event table, and a scratch directory.
local R = {}

local tmpfile = os.tmpname()
R.dir = tmpfile .. "_tide_reco"
os.execute("mkdir -p '" .. R.dir .. "'")
function R.path(name) return R.dir .. "/" .. name end

-- the simulator config of the fixture log (strategies' tests continue it with sim.future)
R.cfg = { users = 150, events = 9000, items = 400, categories = 12, seed = 11 }

-- weak: the log is re-read when collected, and nothing outlives the runner's final collection
-- (LeakSanitizer would report tensors still referenced from this module at exit)
local cache = setmetatable({}, { __mode = "v" })
--- R.log() -> event table of a 150-user simulated log (categories, event types), cached
function R.log()
  if cache.ev then return cache.ev end
  local tide = require "tide"
  local f = io.open(R.path("sim.csv"), "rb")
  if f then f:close() else
    local o = { out = R.path("sim.csv"), truth = false }
    for k, v in pairs(R.cfg) do o[k] = v end
    tide.sim.generate(o)
  end
  cache.ev = tide.data.read_events(R.path("sim.csv"), "sim")
  return cache.ev
end

-- bytes of a file (for bit-identity and corruption tests)
function R.slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function R.spit(p, s)
  local f = assert(io.open(p, "wb"))
  f:write(s)
  f:close()
end

-- true when two tensors hold exactly the same values (NaN equal to NaN)
function R.same(a, b)
  local x, y = a:contiguous():view({ -1 }):totable(), b:contiguous():view({ -1 }):totable()
  if #x ~= #y then return false end
  for i = 1, #x do
    if x[i] ~= y[i] and not (x[i] ~= x[i] and y[i] ~= y[i]) then return false end
  end
  return true
end

return R
