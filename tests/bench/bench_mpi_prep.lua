-- bench_mpi_prep.lua <dir> <events> <max_np> — the prepared dataset for bench_mpi: a simulated
-- log (tide.sim, seed 3) read once and saved as per-rank shards by contiguous user blocks
-- (tide.data.save; shard r of N = users tide.mpi.shard(n, r, N)), for N = 1 .. max_np.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local dir, events, max_np = arg[1], tonumber(arg[2]), tonumber(arg[3] or 2)
local now = tide.core.io.wall
local t0 = now()
local csv = dir .. "/log.csv"
local s = tide.sim.generate{ events = events, items = 20000, categories = 30, seed = 3, out = csv, truth = false }
local t1 = now()
local ev = tide.data.read_events(csv, "sim")
local t2 = now()
os.remove(csv)
-- the shard arithmetic of tide.mpi.shard, without initialising MPI here
local function shard(n, r, N)
  local base, extra = math.floor(n / N), n % N
  local first = r * base + math.min(r, extra) + 1
  return first, first + base + (r < extra and 1 or 0) - 1
end
for N = 1, max_np do
  for r = 0, N - 1 do
    local a, b = shard(ev.n_users, r, N)
    local part = N == 1 and ev or tide.data.filter(ev, ev.user:ge(a) * ev.user:le(b))
    tide.data.save(part, ("%s/shard_%d_of_%d.tev"):format(dir, r + 1, N), { first = a, last = b, t_end = require("tide.decay.seq").t_end(ev) })
  end
end
print(("prep: %d events, %d users, %d items: simulated in %.1f s, read in %.1f s, sharded in %.1f s")
  :format(ev.n, ev.n_users, ev.n_items, t1 - t0, t2 - t1, now() - t2))
