-- run.lua — Tide's tiny Lua test runner.
-- Loads every tests/lua/test_*.lua (or the files named on the command line). Each returns a
-- table of test functions keyed by name; a test passes when it returns without error.
-- Prints one line per failure and ends with "lua: N passed, N failed".
package.path = "lua/?.lua;lua/?/init.lua;tests/lua/?.lua;" .. package.path
package.cpath = "lua/?.so;" .. package.cpath

local files = {...}
if #files == 0 then
  local p = io.popen("ls tests/lua/test_*.lua 2>/dev/null")
  for f in p:lines() do files[#files + 1] = f end
  p:close()
end

local filter = os.getenv("TIDE_TEST_FILTER")
local passed, failed = 0, 0
for _, file in ipairs(files) do
  local chunk, err = loadfile(file)
  local ok, tests = false, err
  if chunk then ok, tests = pcall(chunk) end
  if not ok or type(tests) ~= "table" then
    failed = failed + 1
    print(("FAIL %s: could not load: %s"):format(file, tostring(tests)))
  else
    local names = {}
    for name in pairs(tests) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do
      if not filter or name:find(filter, 1, true) then
        local t0 = os.clock()
        local tok, terr = xpcall(tests[name], debug.traceback)
        if tok then
          passed = passed + 1
        else
          failed = failed + 1
          print(("FAIL %s :: %s\n%s"):format(file, name, terr))
        end
        local dt = os.clock() - t0
        if dt > 5 then print(("slow %s :: %s (%.1f s)"):format(file, name, dt)) end
      end
    end
  end
  collectgarbage()
end
-- Drop compiled traces and collect twice so tensors referenced only from JIT-compiled code
-- are freed before exit (otherwise LeakSanitizer reports them under `make sanitize`).
if jit then jit.flush() end
collectgarbage()
collectgarbage()
print(("lua: %d passed, %d failed"):format(passed, failed))
os.exit(failed == 0 and 0 or 1)
