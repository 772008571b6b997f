-- tide.activation.split — user-level splits and folds of a framed data set, and joins of
-- per-user tables onto it. A user is never on two sides, also when its rows come from
-- several stacked cuts: rows are grouped by fr.users before anything is shuffled.
local tide = require "tide"
local T = tide.tensor
local D = tide.core.data

local M = {}

-- Park & Miller (1988) minimal standard generator, exact in doubles: a seeded permutation
-- that needs no global RNG state and is the same on every machine.
local function shuffle(list, seed)
  local x = (math.floor(seed) % 2147483646) + 1
  for i = #list, 2, -1 do
    x = (x * 48271) % 2147483647
    local j = x % i + 1
    list[i], list[j] = list[j], list[i]
  end
  return list
end

local function check_frame(fr, fn)
  if type(fr) ~= "table" or not T.is_tensor(fr.X) or not T.is_tensor(fr.users) or not T.is_tensor(fr.y) then
    error(fn .. ": argument #1 must be a frame from activation.frame", 3)
  end
end

-- distinct users of the frame (sorted) and each row's user
local function groups(fr)
  local u = fr.users:totable()
  local seen, list = {}, {}
  for _, v in ipairs(u) do if not seen[v] then seen[v] = true; list[#list + 1] = v end end
  table.sort(list)
  return list, u
end

--- take(fr, rows) -> the frame restricted to rows (1-based i32/i64 tensor or array)
function M.take(fr, rows)
  check_frame(fr, "activation.take")
  local idx = T.is_tensor(rows) and rows:int() or T.fromtable(#rows > 0 and rows or {}, "i32")
  local out = {}
  for k, v in pairs(fr) do out[k] = v end
  out.X, out.y, out.users = fr.X:index_select(1, idx), fr.y:index_select(1, idx), fr.users:index_select(1, idx)
  if fr.cut_index then out.cut_index = fr.cut_index:index_select(1, idx) end
  if fr.ids then
    local ids, r = {}, idx:totable()
    for i = 1, #r do ids[i] = fr.ids[r[i]] end
    out.ids = ids
  end
  out.n = idx:numel()
  return out
end

local function rows_where(part, u, want)
  local rows = {}
  for i, v in ipairs(u) do if part[v] == want then rows[#rows + 1] = i end end
  return rows
end

--- split(fr, {valid = 0.2, test = 0.2, seed = 1}) -> {train, valid, test} frames, split by
--- user (fractions of users, not rows); valid/test may be 0 (then that part is empty).
function M.split(fr, opts)
  check_frame(fr, "activation.split")
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "valid" and k ~= "test" and k ~= "seed" then error("activation.split: unknown option '" .. tostring(k) .. "'", 2) end
  end
  local fv, ft = opts.valid or 0.2, opts.test or 0.2
  if type(fv) ~= "number" or type(ft) ~= "number" or fv < 0 or ft < 0 or fv + ft >= 1 then
    error("activation.split: valid and test must be fractions >= 0 with valid + test < 1", 2)
  end
  local list, u = groups(fr)
  shuffle(list, opts.seed or 1)
  local nt, nv = math.floor(ft * #list + 0.5), math.floor(fv * #list + 0.5)
  local part = {}
  for i, v in ipairs(list) do part[v] = i <= nt and 3 or i <= nt + nv and 2 or 1 end
  return { train = M.take(fr, rows_where(part, u, 1)), valid = M.take(fr, rows_where(part, u, 2)),
           test = M.take(fr, rows_where(part, u, 3)) }
end

--- folds(fr, K [, seed]) -> array of K {train = frame, test = frame}: users dealt round-robin
--- after a seeded shuffle, so fold sizes differ by at most one user.
function M.folds(fr, K, seed)
  check_frame(fr, "activation.folds")
  if type(K) ~= "number" or K ~= math.floor(K) or K < 2 then error("activation.folds: K must be an integer >= 2", 2) end
  local list, u = groups(fr)
  if #list < K then error(("activation.folds: %d users cannot make %d folds"):format(#list, K), 2) end
  shuffle(list, seed or 1)
  local fold = {}
  for i, v in ipairs(list) do fold[v] = (i - 1) % K + 1 end
  local out = {}
  for k = 1, K do
    local tr, te = {}, {}
    for i, v in ipairs(u) do
      if fold[v] == k then te[#te + 1] = i else tr[#tr + 1] = i end
    end
    out[k] = { train = M.take(fr, tr), test = M.take(fr, te) }
  end
  return out
end

--- join(fr, tbl, {key = "user", columns = {...}}) -> new frame with the columns appended
--- (names = the column names), and the number of frame rows with no match (NaN there).
--- tbl: columns as arrays of equal length; tbl[key] holds original ids (strings, matched to
--- fr.ids) or dense user ids (numbers, matched to fr.users).
function M.join(fr, tbl, opts)
  check_frame(fr, "activation.join")
  if type(tbl) ~= "table" then error("activation.join: argument #2 must be a table of columns", 2) end
  opts = opts or {}
  local key = opts.key or "user"
  local keys = tbl[key]
  if type(keys) ~= "table" then error("activation.join: the table has no key column '" .. tostring(key) .. "'", 2) end
  local cols = opts.columns
  if cols == nil then
    cols = {}
    for k, v in pairs(tbl) do if k ~= key and type(v) == "table" then cols[#cols + 1] = k end end
    table.sort(cols)
  end
  if #cols == 0 then error("activation.join: no columns to join", 2) end
  local pos = {}
  for i, k in ipairs(keys) do pos[type(k) == "string" and k or tostring(math.floor(k))] = i end
  local rowkey
  if type(keys[1]) == "string" then
    if not fr.ids then error("activation.join: string keys need fr.ids (original ids)", 2) end
    rowkey = fr.ids
  else
    rowkey = {}
    for i, v in ipairs(fr.users:totable()) do rowkey[i] = tostring(v) end
  end
  local miss = 0
  local newcols = {}
  for j, c in ipairs(cols) do
    local src = tbl[c]
    if type(src) ~= "table" or #src ~= #keys then
      error(("activation.join: column '%s' must be an array as long as the key column"):format(tostring(c)), 2)
    end
    local v = {}
    for i = 1, fr.n do
      local p = pos[rowkey[i]]
      local x = p and src[p]
      if type(x) ~= "number" then x = 0 / 0; if j == 1 then miss = miss + 1 end end
      v[i] = x
    end
    newcols[j] = T.fromtable(v):view({ fr.n, 1 })
  end
  local out = M.take(fr, T.arange(1, fr.n + 1, 1):int())
  out.X = T.cat({ fr.X, T.cat(newcols, 2) }, 2):contiguous()
  out.names = {}
  for j, nm in ipairs(fr.names) do out.names[j] = nm end
  for _, c in ipairs(cols) do out.names[#out.names + 1] = c end
  out.d, out.missing = out.X:size(2), miss
  return out, miss
end

M.shuffle = shuffle
return M
