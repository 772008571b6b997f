-- tide.privacy.kanon — k-anonymity of a table (Sweeney, "k-anonymity: a model for protecting
-- privacy", 2002): the rows are grouped by their quasi-identifier values; the table is
-- k-anonymous when every group holds at least k rows.
local M = {}

-- key of one row: the quasi-identifier values joined with a separator that cannot occur in the
-- %q-quoted values
local function row_key(get, i, cols, fn)
  local parts = {}
  for c = 1, #cols do
    local v = get(i, cols[c])
    local ty = type(v)
    if ty ~= "string" and ty ~= "number" and ty ~= "boolean" and v ~= nil then
      error(("%s: row %d column '%s' is a %s (expected a string, number or boolean)"):format(fn, i, tostring(cols[c]), ty), 4)
    end
    parts[c] = ty == "string" and ("%q"):format(v) or tostring(v)
  end
  return table.concat(parts, "\1")
end

--- k_anonymity(rows, columns [, opts]) -> {k = smallest class size, classes = number of
--- classes, n = rows, offending = {{values = {...}, count = c}, ...}}.
--- rows: an array of records {col = value}, or columns {col = array} (opts not needed).
--- columns: the quasi-identifier names. opts.k: report every class smaller than k as
--- offending (default: the classes of the smallest size). Offending classes are sorted by
--- count, then by first appearance. nil values form their own class value.
function M.k_anonymity(rows, cols, opts)
  local fn = "privacy.k_anonymity"
  if type(rows) ~= "table" then error(fn .. ": rows must be a table", 2) end
  if type(cols) ~= "table" or #cols == 0 then error(fn .. ": columns must be a non-empty array of names", 2) end
  opts = opts or {}
  if opts.k ~= nil and (type(opts.k) ~= "number" or opts.k < 1) then error(fn .. ": opts.k must be a number >= 1", 2) end
  local n, get
  if #rows > 0 or next(rows) == nil then -- an array of records
    n = #rows
    get = function(i, c)
      if type(rows[i]) ~= "table" then error(("%s: row %d is not a table"):format(fn, i), 4) end
      return rows[i][c]
    end
  else -- columns
    n = nil
    for _, c in ipairs(cols) do
      local col = rows[c]
      if type(col) ~= "table" then error(("%s: column '%s' is missing"):format(fn, tostring(c)), 2) end
      if n and #col ~= n then error(("%s: column '%s' has %d rows, expected %d"):format(fn, tostring(c), #col, n), 2) end
      n = #col
    end
    get = function(i, c) return rows[c][i] end
  end
  local count, first, order = {}, {}, {}
  for i = 1, n do
    local key = row_key(get, i, cols, fn)
    if not count[key] then count[key], first[key], order[#order + 1] = 0, i, key end
    count[key] = count[key] + 1
  end
  local kmin = math.huge
  for _, key in ipairs(order) do kmin = math.min(kmin, count[key]) end
  if n == 0 then kmin = 0 end
  local limit = opts.k or kmin + 1 -- without opts.k: the smallest classes
  local off = {}
  for _, key in ipairs(order) do
    if count[key] < limit then
      local values = {}
      for c = 1, #cols do values[c] = get(first[key], cols[c]) end
      off[#off + 1] = { values = values, count = count[key], first = first[key] }
    end
  end
  table.sort(off, function(a, b) if a.count ~= b.count then return a.count < b.count end return a.first < b.first end)
  for _, o in ipairs(off) do o.first = nil end
  return { k = kmin, classes = #order, n = n, offending = off }
end

return M
