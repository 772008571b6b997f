-- clv_util.lua — CDNOW fixtures for the tide.clv tests: the 2,357-customer summary shipped
-- with lifetimes (examples/data/cdnow, see PROVENANCE), read once and cached.
local M = {}
local DIR = "examples/data/cdnow/"
M.DIR = DIR

local cached
--- cdnow() -> {id, frequency, recency, T, monetary} of cdnow_customers_summary_with_transactions.csv
function M.cdnow()
  if cached then return cached end
  local s = { id = {}, frequency = {}, recency = {}, T = {}, monetary = {}, unit = "week" }
  local f = assert(io.open(DIR .. "cdnow_customers_summary_with_transactions.csv"))
  assert(f:read("*l"):gsub("\r$", "") == "ID,x,t_x,T,zbar") -- the file has CRLF line ends
  for l in f:lines() do
    local id, x, tx, T, z = l:match("^(%d+),([^,]+),([^,]+),([^,]+),([^,\r]+)")
    local k = #s.id + 1
    s.id[k], s.frequency[k], s.recency[k], s.T[k], s.monetary[k] = tonumber(id), tonumber(x), tonumber(tx), tonumber(T), tonumber(z)
  end
  f:close()
  cached = s
  return s
end

--- sample_events() -> tide.data event table of CDNOW_sample.txt (sample ids, dollar values)
function M.sample_events()
  return require("tide").data.read_events(DIR .. "CDNOW_sample.txt", { user = 2, time = 3, value = 4, price = 5,
    whitespace = true, header = false, time_format = "ymd", event_default = "buy" })
end

--- sig3(got, want, what) — equal to 3 significant digits (|got - want| <= half a unit of the
--- third significant digit of want)
function M.sig3(got, want, what)
  local mag = 10 ^ (math.floor(math.log10(math.abs(want))) - 2)
  if not (math.abs(got - want) <= 0.5 * mag + 1e-12) then
    error(("%s: %.6g does not match the published %.6g to 3 significant digits"):format(what, got, want), 2)
  end
end

--- subset(s, n) -> the first n customers of a summary
function M.subset(s, n)
  local o = { unit = s.unit }
  for _, k in ipairs({ "frequency", "recency", "T", "monetary" }) do
    o[k] = {}
    for i = 1, n do o[k][i] = s[k][i] end
  end
  return o
end

return M
