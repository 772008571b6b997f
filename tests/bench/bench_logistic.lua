-- bench_logistic.lua — Tide's logistic regression on the CSV written by peer_logistic.py, l2 = 1
-- on raw features (= sklearn C = 1), each solver timed once; prints the time, iterations and
-- the largest coefficient difference against each sklearn solver read from the peer file.
-- Usage: luajit tests/bench/bench_logistic.lua data.csv peer.txt
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local logistic = require "tide.activation.logistic"
local wall = tide.core.io.wall
local data, peerf = arg[1], arg[2]

local X, y = {}, {}
for line in io.lines(data) do
  local row, lab = {}, nil
  for v in line:gmatch("[^,]+") do
    if lab == nil then lab = tonumber(v) else row[#row + 1] = tonumber(v) end
  end
  X[#X + 1], y[#y + 1] = row, lab
end
X, y = tide.tensor.fromtable(X), tide.tensor.fromtable(y)
local peers = {}
for line in io.lines(peerf) do
  local f = {}
  for tok in line:gmatch("%S+") do f[#f + 1] = tok end
  if f[1] == "PEER" then
    local b = {}
    for i = 5, #f do b[#b + 1] = tonumber(f[i]) end
    peers[#peers + 1] = { solver = f[2], seconds = tonumber(f[3]), iters = tonumber(f[4]), beta = b }
  end
end
local n, d = X:shape()[1], X:shape()[2]
print(("logistic regression n = %d, d = %d, l2 = 1 (C = 1), raw features"):format(n, d))
for _, p in ipairs(peers) do print(("  sklearn %-16s %8.3f s  %4d iterations"):format(p.solver, p.seconds, p.iters)) end
for _, solver in ipairs { "irls", "lbfgs" } do
  local t = wall()
  local m = logistic.new { l2 = 1, standardize = false, solver = solver }:fit(X, y)
  local dt = wall() - t
  local diffs = {}
  for _, p in ipairs(peers) do
    local worst = 0
    for i, r in ipairs(m:coef()) do worst = math.max(worst, math.abs(r.beta - p.beta[i])) end
    diffs[#diffs + 1] = ("%s %.2g (time ratio %.1fx)"):format(p.solver, worst, p.seconds / dt)
  end
  print(("  tide    %-16s %8.3f s  %4d iterations  converged=%s  max|dbeta| vs %s"):format(solver, dt, m.iterations,
    tostring(m.converged), table.concat(diffs, ", vs ")))
end
