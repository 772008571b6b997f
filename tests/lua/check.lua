-- check.lua — assertions for Tide's Lua tests. Each raises an error with both values on failure.
local check = {}

local function fail(msg, level) error(msg, (level or 2) + 1) end

function check.eq(got, want, what)
  if got ~= want then
    fail(("%s: expected %s, got %s"):format(what or "value", tostring(want), tostring(got)), 2)
  end
end

function check.truthy(v, what)
  if not v then fail((what or "condition") .. " is false", 2) end
end

function check.near(got, want, tol, what)
  tol = tol or 1e-5
  if type(got) ~= "number" or got ~= got or math.abs(got - want) > tol * math.max(1, math.abs(want)) then
    fail(("%s: expected %.9g (tol %g), got %s"):format(what or "value", want, tol, tostring(got)), 2)
  end
end

-- Compares a tensor (via :totable()) or a nested table with an expected nested table.
function check.all_near(got, want, tol, what)
  tol = tol or 1e-5
  if type(got) ~= "table" and got.totable then got = got:totable() end
  local function walk(g, w, path)
    if type(w) == "table" then
      if type(g) ~= "table" or #g ~= #w then
        fail(("%s%s: expected %d entries, got %s"):format(what or "tensor", path, #w,
          type(g) == "table" and #g or type(g)), 4)
      end
      for i = 1, #w do walk(g[i], w[i], path .. "[" .. i .. "]") end
    else
      if type(g) ~= "number" or g ~= g or math.abs(g - w) > tol * math.max(1, math.abs(w)) then
        fail(("%s%s: expected %.9g, got %s"):format(what or "tensor", path, w, tostring(g)), 4)
      end
    end
  end
  walk(got, want, "")
end

-- fn must raise an error whose message contains `pattern` (plain text).
function check.errors(fn, pattern, what)
  local ok, err = pcall(fn)
  if ok then fail((what or "call") .. ": expected an error" ..
    (pattern and (" containing '" .. pattern .. "'") or ""), 2) end
  if pattern and not tostring(err):find(pattern, 1, true) then
    fail(("%s: error '%s' does not contain '%s'"):format(what or "call", tostring(err), pattern), 2)
  end
  return err
end

return check
