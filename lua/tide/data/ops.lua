-- tide.data.ops — row subsets, ordering and per-user sequences of event tables.
-- Installed into tide.data (and as methods of event tables) by data.lua.
local tide = require "tide"
local D = tide.core.data
local T = tide.tensor

return function(M, Events)
  local ORDER = M.ORDER

  -- Rows idx (0-based i64 tensor, engine convention) of ev, same id space and interners.
  function M.take0(ev, idx)
    local out, cols = {}, {}
    for _, f in ipairs(ORDER) do cols[f] = true end
    for k, v in pairs(ev) do
      -- per-row tensors outside the known columns (e.g. .session) would be stale: drop them
      if k ~= "sorted" and k ~= "n_sessions" and not (T.is_tensor(v) and not cols[k]) then out[k] = v end
    end
    for _, f in ipairs(ORDER) do
      if ev[f] then out[f] = D.take(ev[f], idx) end
    end
    if ev.text then
      local tx, ix = {}, idx:totable()
      for i = 1, #ix do tx[i] = ev.text[ix[i] + 1] end
      out.text = tx
    end
    out.n = idx:numel()
    return setmetatable(out, Events)
  end

  local function rows0(ev, rows, fn)
    local t
    if T.is_tensor(rows) then t = rows:contiguous():long()
    elseif type(rows) == "table" then t = T.fromtable(#rows > 0 and rows or {}, "i64")
    else error(fn .. ": rows must be a tensor or an array of 1-based row numbers", 3) end
    local lo, hi = D.minmax(t)
    if lo and (lo < 1 or hi > ev.n) then
      error(("%s: row numbers must be in 1..%d, got %d..%d"):format(fn, ev.n, lo, hi), 3)
    end
    return D.take(T.arange(-1, ev.n, 1):long(), t) -- row r -> r - 1 without i64 arithmetic
  end

  --- subset(ev, rows): the rows (1-based tensor or array) of ev, in that order.
  function M.subset(ev, rows) return M.take0(ev, rows0(ev, rows, "subset")) end

  --- filter(ev, mask): rows where mask (tensor of n values) is nonzero.
  function M.filter(ev, mask)
    if not T.is_tensor(mask) or mask:numel() ~= ev.n then
      error("filter: mask must be a tensor with one value per row", 2)
    end
    return M.take0(ev, D.nonzero(mask:contiguous():view({ ev.n })))
  end

  --- time_window(ev, t0, t1): rows with t0 <= time <= t1 (either bound may be nil).
  function M.time_window(ev, t0, t1) return M.take0(ev, D.range_idx(ev.time, t0, t1)) end

  --- sort(ev): rows ordered by (user, time), ties in input order.
  function M.sort(ev)
    if ev.sorted then return ev end
    local perm = D.seq_order(ev.user, ev.time, ev.n_users)
    local out = M.take0(ev, perm)
    out.sorted = true
    return out
  end

  --- sequences(ev) -> {offsets (i64 [n_users+1], 0-based), item, time, event, user,
  --- n_users, n_items, n}: per-user time-sorted CSR sequences (see lua/tide/doc/data.md).
  function M.sequences(ev)
    local perm, offsets = D.seq_order(ev.user, ev.time, ev.n_users)
    local s = { offsets = offsets, n_users = ev.n_users, n_items = ev.n_items, n = ev.n,
                perm = perm }
    for _, f in ipairs(ORDER) do
      if ev[f] then s[f] = D.take(ev[f], perm) end
    end
    return s
  end

  --- sessions(ev, {gap = 1800}) -> session id per row of sort(ev) (i32, 1-based), the sorted
  --- table (with .session set) and the session count. A new session starts after `gap`
  --- seconds of inactivity.
  function M.sessions(ev, opts)
    local gap = opts and opts.gap or 1800
    local s = M.sort(ev)
    local _, offsets = D.seq_order(s.user, s.time, s.n_users)
    local sid, ns = D.sessions(offsets, s.time, gap)
    s.session, s.n_sessions = sid, ns
    return sid, s, ns
  end

  --- counts(ev) -> per-user and per-item event counts (i64 tensors)
  function M.counts(ev)
    return D.counts(ev.user, ev.n_users), D.counts(ev.item, ev.n_items)
  end

  --- weights(ev [, w]) -> f32 [n] interest weight per row from its event code (w: 5 numbers).
  function M.weights(ev, w)
    w = w or M.WEIGHTS
    local tab = {}
    for k = 1, 5 do tab[k] = w[k] or 0 end
    return D.lut(ev.event, T.fromtable(tab, "f32"))
  end

  function M.split(ev, opts) return require("tide.split").split(ev, opts) end
  function M.clean(ev, opts) return require("tide.data.clean").clean(ev, opts) end
  function M.save(ev, path, extra) return require("tide.data.store").save(ev, path, extra) end
  function M.load(path) return require("tide.data.store").load(path) end

  for _, k in ipairs({ "subset", "filter", "time_window", "sort", "sequences", "sessions",
                       "counts", "weights", "split", "clean", "save" }) do
    Events[k] = M[k]
  end
end
