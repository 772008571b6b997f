-- compare.lua a.txt b.txt — the sharded results of the np 1 and np 2 runs (check_mpi.lua's
-- "key value" lines) agree: counts and top-K hashes exactly, means and fits to sum rounding,
-- the Newton-fitted logistic coefficients to the solver's tolerance.
local function read(p)
  local t, n = {}, 0
  for l in io.lines(p) do
    local k, v = l:match("^(%S+) (%S+)$")
    t[k], n = tonumber(v), n + 1
  end
  return t, n
end
local a, n = read(arg[1])
local b = read(arg[2])
for k, v in pairs(a) do
  -- exact for counts and lists; sums to rounding; an iterative fit to its solver tolerance
  local tol = (k == "topk_hash" or k == "users") and 0 or (k:find("^logistic") and 1e-6 or 1e-9) * math.max(1, math.abs(v))
  if not b[k] or math.abs(b[k] - v) > tol then
    error(("np 1 vs np 2: %s = %s vs %s"):format(k, v, tostring(b[k])))
  end
end
if n < 9 then error("compare: expected 9 results, got " .. n) end
print(("test-mpi: np 1 and np 2 agree on %d sharded results"):format(n))
