-- test_limits.lua — tide.config limits: tensor constructors, op results and the checkpoint
-- loader refuse requests above max_tensor_bytes with an error naming the limit; the environment variable
-- sets the default; bad settings are refused.
local tide = require "tide"
local check = require "check"
local T = tide.tensor

local tests = {}

local function with_limit(bytes, fn)
  local keep = tide.config.get("max_tensor_bytes")
  tide.config.set{ max_tensor_bytes = bytes }
  local ok, err = pcall(fn)
  tide.config.set{ max_tensor_bytes = keep }
  if not ok then error(err, 0) end
end

function tests.constructors_refuse_above_the_limit()
  check.errors(function() T.zeros(1e6, 1e6) end, "bytes exceed max_tensor_bytes") -- 4 TB: default limit
  with_limit(4096, function()
    check.eq(T.zeros(1024):numel(), 1024, "exactly at the limit")
    check.errors(function() T.zeros(1025) end, "zeros: 4100 bytes exceed max_tensor_bytes = 4096")
    check.errors(function() T.zeros({ 513 }, "i64") end, "zeros: 4104 bytes")
    check.errors(function() T.ones(2000) end, "ones:")
    check.errors(function() T.full({ 2000 }, 1) end, "full:")
    check.errors(function() T.randn(2000) end, "randn:")
    check.errors(function() T.rand(50, 50) end, "rand:")
    check.errors(function() T.eye(100) end, "eye:")
    check.errors(function() T.arange(0, 5000) end, "arange:")
    local big = {}
    for i = 1, 1100 do big[i] = i end
    check.errors(function() T.fromtable(big) end, "fromtable:")
  end)
  check.errors(function() T.zeros(2 ^ 40, 2 ^ 40) end, "too large") -- refused by the engine (tensor.c)
end

function tests.op_results_respect_the_limit()
  -- every op result is allocated through the engine's storage_alloc (tensor.c), which checks
  -- the limit: an outer product, a broadcast and a backward pass all refuse above it
  local a, b = T.zeros({ 1000, 1 }), T.zeros({ 1, 1000 }) -- 4000 bytes each; product 4e6
  with_limit(1000000, function()
    check.errors(function() return a:matmul(b) end, "matmul: tensor: 4000000 bytes exceed max_tensor_bytes = 1000000")
    check.errors(function() return a + b end, "add: tensor: 4000000 bytes exceed")
    check.errors(function() return T.matmul(a, b) end, "matmul:")
    check.eq(a:matmul(T.zeros({ 1, 250 })):numel(), 250000, "exactly at the limit (1e6 bytes)")
    local x = T.ones({ 600, 1 }):requires_grad()
    local y = (x:matmul(T.ones({ 1, 300 })) * 2):sum() -- 720000-byte intermediates
    y:backward()
    check.eq(x:grad():get(1, 1), 600, "a backward whose tensors fit the limit runs")
    local z = T.ones({ 2000, 1 }):requires_grad()
    check.errors(function() return z:matmul(T.ones({ 1, 200 })) end, "1600000 bytes exceed")
  end)
  check.eq(a:matmul(b):numel(), 1e6, "allowed again once the limit is raised")
end

function tests.checkpoint_load_respects_the_limit()
  local path = os.tmpname()
  tide.checkpoint.save(path, { w = T.zeros(300) })
  with_limit(1000, function()
    check.errors(function() tide.checkpoint.load(path) end, "tensor 'w': 1200 bytes exceed max_tensor_bytes = 1000")
  end)
  local t = tide.checkpoint.load(path)
  check.eq(t.w:numel(), 300, "loads again once the limit allows it")
  os.remove(path)
end

function tests.environment_sets_the_default()
  local cmd = [[TIDE_MAX_TENSOR_BYTES=2K luajit -e 'package.path="lua/?.lua;lua/?/init.lua;"..package.path; package.cpath="lua/?.so;"..package.cpath; local t=require"tide"; io.write(t.config.get("max_tensor_bytes"), " ", tostring(pcall(t.tensor.zeros, 600)))' 2>&1]]
  local p = io.popen(cmd)
  local out = p:read("*a")
  p:close()
  check.eq(out, "2048 false", "env limit")
  p = io.popen((cmd:gsub("=2K", "=lots")))
  out = p:read("*a")
  p:close()
  check.truthy(out:find("ignoring TIDE_MAX_TENSOR_BYTES=lots", 1, true), "a malformed value is reported: " .. out)
end

function tests.bad_settings()
  check.errors(function() tide.config.set{ max_bytes = 1 } end, "unknown setting 'max_bytes'")
  check.errors(function() tide.config.set{ max_rows = -1 } end, "must be an integer >= 0")
  check.errors(function() tide.config.set{ max_rows = "1G" } end, "must be a number")
  check.errors(function() tide.config.get("nope") end, "unknown limit 'nope'")
  check.eq(tide.config.get().max_rows, tide.config.get("max_rows"), "get() lists all")
end

return tests
