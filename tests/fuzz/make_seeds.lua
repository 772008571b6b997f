-- make_seeds.lua — writes the seed corpus of tests/fuzz/ (run from the repository root after make:
--   luajit tests/fuzz/make_seeds.lua). Small valid inputs; the fuzzer mutates from there.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath
local tide = require "tide"
local T = tide.tensor
local function put(path, s) local f = assert(io.open(path, "wb")); f:write(s); f:close() end
local C = "tests/fuzz/corpus/"
-- checkpoint: 0x00 + checkpoint bytes; 0x01 + fastText model; 0x02 + vocabulary
put(C .. "fuzz_checkpoint/ckpt_small", "\0" .. tide.checkpoint.to_bytes({ w = T.fromtable({ { 1, 2 }, { 3, 4 } }),
  ids = T.fromtable({ 1, 2, 3 }, "i32") }, { epoch = 3, name = "x" }))
local texts = { "good product", "bad quality", "very good", "terrible bad", "great", "awful" }
local labels = { 1, 0, 1, 0, 1, 0 }
local ft = tide.sentiment.fasttext.train(texts, labels, { dim = 4, buckets = 64, epochs = 2, ngrams = 2 })
local bytes = ft:to_bytes()
put(C .. "fuzz_checkpoint/fasttext_small", "\1" .. bytes)
put(C .. "fuzz_checkpoint/fasttext_int8", "\1" .. ft:to_bytes({ quantize = "int8" }))
print("fasttext bytes", #bytes)
-- dataset: a small prepared dataset
local ev = tide.data.from_columns{ user = { "a", "b", "a", "c" }, item = { "x", "y", "z", "x" }, time = { 1, 2, 3, 4 } }
require("tide.data.store").save(ev, C .. "fuzz_dataset/events_small.tds")
-- text
put(C .. "fuzz_text/en", "\0Great phone, but the battery is BAD!!! 10/10 would not buy :(")
put(C .. "fuzz_text/zh", "\0这个手机很好用，但是电池不行。")
put(C .. "fuzz_text/emoji", "\0love it 👍🏽👨‍👩‍👧 ﬁne Ⅻ café")
put(C .. "fuzz_text/flags", "\255Ünïcödé TEXT with ＦＵＬＬ width and \xff\xfe bad bytes")
-- csv: [threads][flags][chunk][ncols] + 2 bytes per column + body
put(C .. "fuzz_csv/header_ids", "\2\1\3\3" .. "\3\128" .. "\3\129" .. "\1\130" ..
  "user,item,ts\nu1,i1,1500000000\nu2,i2,1500000100\n\"u,3\",i1,1500000200\nbad,row\n")
put(C .. "fuzz_csv/no_header_time", "\1\0\0\4" .. "\12\0" .. "\4\1" .. "\2\2" .. "\5\0" ..
  "2019-01-02T03:04:05Z,x,1.5\n2019-01-02 03:04,y,-2e3\n20190102,z,nan\n\r\n,,\n")
put(C .. "fuzz_csv/tsv_quotes", "\3\9\1\2" .. "\3\0" .. "\130\1" ..
  "a\t\"multi\nline\"\nb\t\nc\t3.25\n")
put(C .. "fuzz_csv/whitespace", "\0\4\9\3" .. "\3\0" .. "\1\1" .. "\10\2" ..
  "00001 19970101 1 29.33\n00002   19970112 2 12.00\n")
