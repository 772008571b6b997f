-- test_mpi_shard.lua — the parts of tide.mpi that need no MPI run: contiguous user blocks
-- (every id once, in order, sizes differing by at most one, empty blocks when n < size) and
-- clear errors. The collectives themselves run under mpirun in tests/mpi (make test-mpi).
local check = require "check"
local mpi = require("tide").mpi

local tests = {}

function tests.blocks_cover_in_order()
  for _, size in ipairs({ 1, 2, 3, 7, 64 }) do
    for _, n in ipairs({ 0, 1, 5, 63, 64, 65, 1000 }) do
      local nextid, lo, hi = 1, math.huge, -1
      for r = 0, size - 1 do
        local a, b = mpi.shard(n, r, size)
        check.eq(a, nextid, ("n=%d size=%d rank %d starts where the last ended"):format(n, size, r))
        local len = b - a + 1
        lo, hi = math.min(lo, len), math.max(hi, len)
        nextid = b + 1
      end
      check.eq(nextid, n + 1, "all of 1..n")
      check.truthy(hi - lo <= 1, "balanced")
    end
  end
  -- hand-worked: 10 users on 3 ranks -> 1..4, 5..7, 8..10
  check.all_near({ mpi.shard(10, 0, 3) }, { 1, 4 }, 0); check.all_near({ mpi.shard(10, 1, 3) }, { 5, 7 }, 0)
  check.all_near({ mpi.shard(10, 2, 3) }, { 8, 10 }, 0)
end

function tests.errors()
  check.errors(function() mpi.shard(-1, 0, 1) end, "mpi.shard: n must be an integer >= 0")
  check.errors(function() mpi.shard(2.5, 0, 1) end, "n must be an integer")
  check.errors(function() mpi.shard("10", 0, 1) end, "n must be an integer")
  check.eq(type(mpi.available()), "boolean", "available() answers without initialising MPI")
end

return tests
