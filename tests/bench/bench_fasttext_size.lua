-- bench_fasttext_size.lua — trains the default fastText model on each corpus's fixed training
-- split (tide.sentiment.io.split), saves it lossless and int8, and prints file sizes, save/load
-- times, whether the reloaded f32 model predicts bit-identically, and held-out accuracy/AUC of
-- the int8 model versus the original. Usage: luajit tests/bench/bench_fasttext_size.lua OUTDIR
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local now = tide.core.io.wall
local S = tide.sentiment
local outdir = arg[1] or "/tmp"
local corpora = dofile("tests/bench/sentiment_corpora.lua")
local function size(p) local f = assert(io.open(p, "rb")); local n = f:seek("end"); f:close(); return n end

print(("%-10s %7s %10s %10s %10s %6s %6s %6s %s"):format("corpus", "rows", "format1", "f32", "int8",
  "save_s", "load_s", "same", "acc f32 -> int8 | auc f32 -> int8"))
for name, c, a, b in corpora.each() do
  local ft = S.fasttext.train(a.texts, a.labels)
  local f32, i8 = outdir .. "/" .. name .. ".f32", outdir .. "/" .. name .. ".i8"
  local t0 = now(); ft:save(f32); local t1 = now(); ft:save(i8, { quantize = "int8" })
  local t2 = now(); local l32 = S.fasttext.load(f32); local t3 = now()
  local l8 = S.fasttext.load(i8)
  local info = ft:info()
  -- format 1: 8 magic + 4 + 40 header + vocabulary + every row as f32 + CRC; the vocabulary
  -- (0.3-1 MB here) is not counted, so this is a lower bound
  local v1 = 52 + (info.n_rows * info.dim + info.n_classes * (info.dim + 1)) * 4 + 4
  local p0, p1 = ft:predict(b.texts):totable(), l32:predict(b.texts):totable()
  local same = true
  for i = 1, #p0 do for k = 1, #p0[i] do if p0[i][k] ~= p1[i][k] then same = false end end end
  local q, q8 = S.evaluate(ft, b.texts, b.labels), S.evaluate(l8, b.texts, b.labels)
  print(("%-10s %7d %9.1fM %9.1fM %9.1fM %6.2f %6.2f %6s %.4f -> %.4f | %.4f -> %.4f"):format(name,
    c.n, v1 / 1e6, size(f32) / 1e6, size(i8) / 1e6, t1 - t0, t3 - t2, tostring(same),
    q.accuracy, q8.accuracy, q.auc, q8.auc))
  os.remove(f32); os.remove(i8)
end
