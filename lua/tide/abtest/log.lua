-- tide.abtest.log — reads a live experiment's log for `tide ab`: a CSV with a header, one row
-- per unit, comma-separated without quoted commas (the unit id, its arm and numeric metric
-- columns). Cells stay strings until a metric asks for numbers, so a bad cell is reported with
-- its file and line.
local M = {}

--- log.read(path) -> columns {name = {strings}, _line = {file line of each row}}, row count
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then error("abtest experiment: cannot open " .. tostring(err), 0) end
  local header, cols, n = nil, {}, 0
  local ln = 0
  for line in f:lines() do
    ln = ln + 1
    line = line:gsub("\r$", "")
    if line ~= "" then
      local cells = {}
      for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c:match("^%s*(.-)%s*$") end
      if not header then
        header = cells
        for _, h in ipairs(header) do cols[h] = {} end
      else
        if #cells ~= #header then
          f:close()
          error(("%s:%d: %d fields, the header has %d"):format(path, ln, #cells, #header), 0)
        end
        n = n + 1
        for j, h in ipairs(header) do cols[h][n] = cells[j] end
        cols._line = cols._line or {}
        cols._line[n] = ln
      end
    end
  end
  f:close()
  if not header or n == 0 then error(("%s: no data rows"):format(path), 0) end
  cols._path = path
  return cols, n
end

--- log.column(cols, name, field) -> the column, or an error naming the log and the field
function M.column(cols, name, field)
  local c = cols[name]
  if not c then error(("%s: no column '%s' (named by field '%s')"):format(cols._path, name, field), 0) end
  return c
end

--- log.numeric(cols, name, field, rows) -> numbers of the rows, or an error naming
--- the file line of a bad cell
function M.numeric(cols, name, field, rows)
  local path = cols._path
  local c, out = M.column(cols, name, field), {}
  for k, i in ipairs(rows) do
    local v = tonumber(c[i])
    if not v or v ~= v then
      error(("%s:%d: column '%s' = '%s' is not a number"):format(path, cols._line[i], name, tostring(c[i])), 0)
    end
    out[k] = v
  end
  return out
end

return M
