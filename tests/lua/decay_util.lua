-- decay_util.lua — helpers for the decay/metrics/baseline tests: event tables from Lua arrays
-- (same layout as tide.data.from_columns) and seeded simulators of known decay laws.
local U = {}

function U.events(cols)
  local T = require("tide").tensor
  local n = #cols.user
  local ev = { n = n, user = T.fromtable(cols.user, "i32"), time = T.fromtable(cols.time, "i64") }
  ev.item = T.fromtable(cols.item or cols.user, "i32")
  ev.event = T.fromtable(cols.event or (function() local e = {} for i = 1, n do e[i] = 1 end return e end)(), "i32")
  if cols.category then ev.category = T.fromtable(cols.category, "i32") end
  local mx = function(t) local m = 0 for _, v in ipairs(t) do if v > m then m = v end end return m end
  ev.n_users = cols.n_users or mx(cols.user)
  ev.n_items = cols.n_items or mx(cols.item or cols.user)
  ev.n_categories = cols.category and (cols.n_categories or mx(cols.category)) or 0
  return ev
end

-- A deterministic generator so tests do not depend on math.random's implementation:
-- Park-Miller minimal standard (products stay below 2^53, exact in doubles).
function U.rng(seed)
  local s = (seed * 7919) % 2147483646 + 1
  return function()
    s = (s * 16807) % 2147483647
    return s / 2147483647
  end
end

-- Renewal process per user on [0, W] days with gaps drawn by draw(r); returns columns + truth.
function U.simulate(users, W, draw, seed)
  local r = U.rng(seed or 1)
  local cols = { user = {}, time = {} }
  local d, expo = 0, 0
  for u = 1, users do
    local now = 0
    cols.user[#cols.user + 1] = u; cols.time[#cols.time + 1] = 0
    while true do
      local g = draw(r, u)
      if now + g > W then expo = expo + (W - now); break end
      now = now + g; d = d + 1; expo = expo + g
      cols.user[#cols.user + 1] = u; cols.time[#cols.time + 1] = math.floor(now * 86400 + 0.5)
    end
  end
  -- the window ends at W for everyone: add nothing, pass t_end explicitly
  return cols, d, expo
end

return U
