-- tide.blas — OpenBLAS's thread count for a stretch of work. The sequence models' sgemms have an
-- inner size of their dim: OpenBLAS's extra threads only spin-wait in them, stealing the cores
-- of Tide's own threads (training, the fused ranking) or making timings bimodal (the sampled
-- protocol), so their training and evaluation hold it at one thread.
local M = {}

local function pack(...) return { n = select("#", ...), ... } end

--- with_threads(n, fn, ...) -> the results of fn(...), run with OpenBLAS at n threads; the
--- caller's count is restored afterwards, also when fn raises (the error is passed on as is).
--- Nothing changes when Tide is not linked against OpenBLAS or the count is already n.
function M.with_threads(n, fn, ...)
  local sr = require("tide").core.seqrec
  local prev = sr.blas_threads(0)
  if prev < 1 or prev == n then return fn(...) end
  sr.blas_threads(n)
  local r = pack(pcall(fn, ...))
  sr.blas_threads(prev)
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

return M
