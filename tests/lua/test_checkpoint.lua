-- test_checkpoint.lua — checkpoint files: bit-exact round trips, the documented byte layout
-- (decoded independently here), every truncation and single-byte corruption refused with
-- the file named, wrong version/magic, mismatched models left untouched, atomic writes,
-- training (model + optimizer) resume.
local tide = require "tide"
local check = require "check"
local T = tide.tensor
local ckpt = tide.checkpoint
local nn = tide.nn

local tests = {}

local dir = os.tmpname()
os.remove(dir)
os.execute("mkdir -p " .. dir)
local function tmp(name) return dir .. "/" .. name end

local function read_bytes(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end
local function write_bytes(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end
local function u32(s, pos) -- little-endian, 1-based pos
  local a, b, c, d = s:byte(pos, pos + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

local function sample()
  local nc = T.fromtable({ { 1, 2, 3 }, { 4, 5, 6 } }):t() -- non-contiguous [3,2]
  return {
    ["w"] = T.fromtable({ { 1.5, -0.0, 1e-40 }, { 3.4e38, -7.25, 0.1 } }),
    ["special"] = T.fromtable({ 1 / 0, -1 / 0, 0 / 0 }),
    ["ids"] = T.zeros(3):int():set(1, 1):set(2, -2):set(3, 2147483647),
    ["big"] = T.zeros(2):long():set(1, 9007199254740991):set(2, -5),
    ["scalar"] = T.full({}, 2.5),
    ["empty"] = T.zeros(0, 3),
    ["nc"] = nc,
  }
end

function tests.round_trip_is_bit_exact()
  local p1, p2 = tmp("rt1.ckpt"), tmp("rt2.ckpt")
  local src = sample()
  local meta = { epoch = 12, lr = 0.00125, name = "sasrec 中文", big = 2 ^ 53, neg = -3.5 }
  ckpt.save(p1, src, meta)
  local got, gmeta = ckpt.load(p1)
  for name, t in pairs(src) do
    check.truthy(got[name], "tensor " .. name .. " present")
    check.eq(got[name]:dtype(), t:dtype(), name .. " dtype")
    check.eq(table.concat(got[name]:shape(), "x"), table.concat(t:shape(), "x"), name .. " shape")
  end
  check.all_near(got.w, src.w:totable(), 0, "w values")
  check.all_near(got.nc, { { 1, 4 }, { 2, 5 }, { 3, 6 } }, 0, "non-contiguous saved in logical order")
  check.eq(got.ids:get(3), 2147483647, "i32 max")
  check.eq(got.big:get(1), 9007199254740991, "i64 2^53-1")
  local sp = got.special:totable()
  check.truthy(sp[1] == 1 / 0 and sp[2] == -1 / 0 and sp[3] ~= sp[3], "inf, -inf, nan")
  check.eq(got.scalar:item(), 2.5, "0-dim")
  check.eq(got.empty:numel(), 0, "empty")
  for k, v in pairs(meta) do check.eq(gmeta[k], v, "meta " .. k) end
  -- saving what was loaded reproduces the file byte for byte (raw bits incl. NaN payload, -0)
  ckpt.save(p2, got, gmeta)
  check.truthy(read_bytes(p1) == read_bytes(p2), "identical bytes after a round trip")
end

function tests.layout_matches_documented_format()
  local p = tmp("layout.ckpt")
  ckpt.save(p, { ["a"] = T.fromtable({ 1, 2 }) }, { k = "v" })
  local s = read_bytes(p)
  check.eq(s:sub(1, 8), "TIDECKPT", "magic")
  check.eq(u32(s, 9), 1, "version")
  check.eq(u32(s, 13), 0, "flags")
  check.eq(u32(s, 17), 1, "tensor count")
  check.eq(u32(s, 21), 1, "meta count")
  check.eq(u32(s, 25), 1, "name length")
  check.eq(s:sub(29, 29), "a", "name")
  check.eq(u32(s, 30), 0, "dtype f32")
  check.eq(u32(s, 34), 1, "ndim")
  check.eq(u32(s, 38), 2, "size (low word of u64)")
  check.eq(u32(s, 46), 8, "data bytes")
  -- data: 1.0f = 00 00 80 3f, 2.0f = 00 00 00 40 (little-endian IEEE-754)
  check.eq(s:sub(58, 65), "\0\0\128\63\0\0\0\64", "f32 data little-endian")
  check.eq(u32(s, 66), 1, "meta key length")
  check.eq(s:sub(70, 70), "k", "meta key")
  check.eq(s:byte(71), 1, "string type")
  check.eq(u32(s, 72), 1, "string length")
  check.eq(s:sub(76, 76), "v", "string")
  check.eq(#s, 76 + 4, "trailing crc ends the file")
end

function tests.every_truncation_refused()
  local p, q = tmp("full.ckpt"), tmp("cut.ckpt")
  ckpt.save(p, { ["x"] = T.fromtable({ { 1, 2 }, { 3, 4 } }), ["y"] = T.fromtable({ 5 }):int() }, { e = 1 })
  local s = read_bytes(p)
  for len = 0, #s - 1 do
    write_bytes(q, s:sub(1, len))
    local err = check.errors(function() ckpt.load(q) end, q, "cut at " .. len)
    check.truthy(err:find("truncated") or err:find("magic") or err:find("corrupt"), "message: " .. err)
  end
  write_bytes(q, s .. "x")
  check.errors(function() ckpt.load(q) end, "unexpected bytes")
end

function tests.every_single_byte_corruption_refused()
  local p, q = tmp("good.ckpt"), tmp("bad.ckpt")
  ckpt.save(p, { ["x"] = T.fromtable({ 1, 2, 3 }), ["z"] = T.fromtable({ 7 }):long() }, { m = "s", n = 1 })
  local s = read_bytes(p)
  for i = 1, #s do
    local b = s:byte(i)
    write_bytes(q, s:sub(1, i - 1) .. string.char((b + 1) % 256) .. s:sub(i + 1))
    check.errors(function() ckpt.load(q) end, q, "byte " .. i)
  end
  -- a flipped data byte names the tensor
  local data_pos = 25 + 4 + 1 + 4 + 4 + 8 + 8 + 4 + 1 -- first data byte of "x"
  write_bytes(q, s:sub(1, data_pos - 1) .. "\255" .. s:sub(data_pos + 1))
  check.errors(function() ckpt.load(q) end, "checksum mismatch in tensor 'x'")
end

function tests.wrong_version_and_magic()
  local p, q = tmp("v.ckpt"), tmp("v2.ckpt")
  ckpt.save(p, { ["x"] = T.ones(2) })
  local s = read_bytes(p)
  write_bytes(q, s:sub(1, 8) .. "\2\0\0\0" .. s:sub(13))
  check.errors(function() ckpt.load(q) end, "unsupported format version 2")
  write_bytes(q, "NOTTIDE!" .. s:sub(9))
  check.errors(function() ckpt.load(q) end, "bad magic")
  check.errors(function() ckpt.load(tmp("missing.ckpt")) end, "missing.ckpt: cannot open")
  check.errors(function() ckpt.load(dir) end, "not a regular file")
end

local function snapshot(model)
  local out = {}
  for name, t in pairs(model:state_dict()) do out[name] = t:totable() end
  return out
end

function tests.mismatched_model_refused_and_untouched()
  T.manual_seed(3)
  local p = tmp("model.ckpt")
  local small = nn.MLP{ sizes = { 3, 4, 2 } }
  ckpt.save_model(p, small, { arch = "mlp" })
  local other = nn.MLP{ sizes = { 3, 5, 2 } }
  local before = snapshot(other)
  local err = check.errors(function() ckpt.load_model(p, other) end, "has shape [4x3], the model expects [5x3]")
  check.truthy(err:find(p, 1, true), "error names the file")
  for name, t in pairs(other:state_dict()) do check.all_near(t, before[name], 0, "untouched " .. name) end
  -- a missing parameter is refused too
  local bigger = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Linear(2, 2))
  check.errors(function() ckpt.load_model(p, bigger) end, "missing")
  -- the same architecture loads exactly
  local same = nn.MLP{ sizes = { 3, 4, 2 } }
  local meta = ckpt.load_model(p, same)
  check.eq(meta.arch, "mlp", "meta")
  local want = snapshot(small)
  for name, t in pairs(same:state_dict()) do check.all_near(t, want[name], 0, "loaded " .. name) end
end

function tests.atomic_write_leaves_no_temporaries()
  local sub = tmp("atomic")
  os.execute("mkdir -p " .. sub)
  local p = sub .. "/m.ckpt"
  ckpt.save(p, { ["a"] = T.ones(3) })
  local old = read_bytes(p)
  -- a refused save (bad metadata) leaves the previous file in place
  check.errors(function() ckpt.save(p, { ["a"] = T.zeros(3) }, { bad = true }) end, "must be a number or a string")
  check.errors(function() ckpt.save(p, { ["a"] = 5 }) end, "'a' is not a tensor")
  check.errors(function() ckpt.save(sub .. "/no/such/dir/m.ckpt", { ["a"] = T.ones(1) }) end, "no/such/dir/m.ckpt")
  check.truthy(read_bytes(p) == old, "old checkpoint intact")
  ckpt.save(p, { ["a"] = T.zeros(3) })
  local ls = io.popen("ls -A " .. sub)
  local files = {}
  for f in ls:lines() do files[#files + 1] = f end
  ls:close()
  check.eq(#files, 1, "only the checkpoint remains (" .. table.concat(files, ",") .. ")")
end

function tests.training_resume_matches_uninterrupted()
  local function setup()
    T.manual_seed(99)
    local m = nn.MLP{ sizes = { 2, 6, 1 }, activation = "tanh" }
    return m, tide.optim.Adam(m, { lr = 0.03 })
  end
  local X = T.fromtable({ { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } })
  local Y = T.fromtable({ { 0 }, { 1 }, { 1 }, { 0 } })
  local function train(m, o, n)
    for _ = 1, n do
      o:zero_grad(); ((m(X) - Y):square():mean()):backward(); o:step()
    end
  end
  local m1, o1 = setup()
  train(m1, o1, 40)
  local m2, o2 = setup()
  train(m2, o2, 20)
  local p = tmp("train.ckpt")
  ckpt.save_training(p, { model = m2, optimizer = o2, meta = { epoch = 20 } })
  local m3, o3 = setup() -- fresh weights and state, overwritten by the load
  local meta = ckpt.load_training(p, { model = m3, optimizer = o3 })
  check.eq(meta.epoch, 20, "user meta")
  check.eq(o3.t, 20, "optimizer step")
  train(m3, o3, 20)
  local want = snapshot(m1)
  for name, t in pairs(m3:state_dict()) do check.all_near(t, want[name], 0, "resumed " .. name) end
  -- an optimizer of another kind is refused before the model is touched
  local m4 = nn.MLP{ sizes = { 2, 6, 1 }, activation = "tanh" }
  local before = snapshot(m4)
  check.errors(function()
    ckpt.load_training(p, { model = m4, optimizer = tide.optim.SGD(m4, { lr = 0.1 }) })
  end, "state is for adam")
  for name, t in pairs(m4:state_dict()) do check.all_near(t, before[name], 0, "untouched " .. name) end
end

function tests.argument_errors()
  check.errors(function() ckpt.save(1, {}) end, "path must be a string")
  check.errors(function() ckpt.save(tmp("e.ckpt"), { [1] = T.ones(1) }) end, "names must be strings")
  check.errors(function() ckpt.save(tmp("e.ckpt"), { x = T.ones(1) }, { [2] = 1 }) end, "keys must be strings")
  check.errors(function() ckpt.save(tmp("e.ckpt"), { [""] = T.ones(1) }) end, "empty")
  local freed = T.ones(1)
  freed:free()
  check.errors(function() ckpt.save(tmp("e.ckpt"), { w = freed }) end, "'w' is a freed tensor")
end

-- In memory: to_bytes is the file save writes, byte for byte; from_bytes gives the same
-- tensors; every truncation and byte change is refused naming the given name; a model
-- goes through model_to_bytes / load_state like through a file.
function tests.bytes_equal_file_and_round_trip()
  local p = tmp("bytes.ckpt")
  local src, meta = sample(), { epoch = 3, name = "x y" }
  ckpt.save(p, src, meta)
  local s = ckpt.to_bytes(src, meta)
  check.truthy(s == read_bytes(p), "to_bytes == file bytes")
  local got, gmeta = ckpt.from_bytes(s, "blob")
  check.truthy(ckpt.to_bytes(got, gmeta) == s, "bytes -> tensors -> same bytes")
  check.all_near(got.nc, { { 1, 4 }, { 2, 5 }, { 3, 6 } }, 0, "values")
  check.eq(gmeta.name, "x y")
  local small = ckpt.to_bytes({ x = T.fromtable({ 1, 2 }), y = T.fromtable({ 5 }):int() }, { e = 1 })
  for len = 0, #small - 1 do
    check.errors(function() ckpt.from_bytes(small:sub(1, len), "blob#2") end, "blob#2", "cut at " .. len)
  end
  for i = 1, #small do
    local b = small:sub(1, i - 1) .. string.char((small:byte(i) + 1) % 256) .. small:sub(i + 1)
    check.errors(function() ckpt.from_bytes(b, "blob#2") end, "blob#2", "byte " .. i)
  end
  check.errors(function() ckpt.from_bytes(small .. "x", "blob#2") end, "unexpected bytes")
  check.errors(function() ckpt.from_bytes(nil) end, "bytes must be a string")
  check.errors(function() ckpt.from_bytes(small, 3) end, "name must be a string")
  check.errors(function() ckpt.to_bytes({ [1] = T.ones(1) }) end, "names must be strings")
  -- a model
  local m = nn.MLP{ sizes = { 2, 3, 1 }, activation = "tanh" }
  local mp = tmp("model.ckpt")
  ckpt.save_model(mp, m, { k = 1 })
  local mb = ckpt.model_to_bytes(m, { k = 1 })
  check.truthy(mb == read_bytes(mp), "model_to_bytes == save_model file")
  local m2 = nn.MLP{ sizes = { 2, 3, 1 }, activation = "tanh" }
  ckpt.load_state("mem", m2, (ckpt.from_bytes(mb, "mem")))
  for name, t in pairs(m:state_dict()) do check.all_near(m2:state_dict()[name], t:totable(), 0, name) end
  local other = nn.MLP{ sizes = { 2, 4, 1 }, activation = "tanh" }
  check.errors(function() ckpt.load_state("mem#1", other, (ckpt.from_bytes(mb, "mem#1"))) end,
    "checkpoint mem#1: cannot load into the model")
end

return tests
