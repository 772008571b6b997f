-- tide.data.schema — event types and the schema presets for known log formats.
-- A schema maps event-table columns to fields of a delimited file:
--   { user = "user_id", item = "item_id", event = "behavior", time = "timestamp",
--     category = ..., price = ..., dwell = ..., rating = ..., value = ...,  -- optional
--     header = true, sep = ",", whitespace = false, quote = '"', strict = false,
--     time_format = "auto"|"epoch"|"epoch_ms"|"iso"|"ymd" or a strptime-style pattern ("%m-%d",
--     "%d/%m/%Y %H:%M"; %Y %y %m %d %H %M %S %b %B %%) with default_year for patterns without
--     a year (dates written "M-D"), event_map = {pv = "browse", ...},
--     event_default = "buy", max_rows = n, time_offset = seconds }
-- Times are epoch seconds UTC: ISO 8601 values with a zone are converted; naive local times
-- (no zone in the log) are read as UTC and shifted by time_offset (e.g. -3600 for UTC+1).
-- Column references are header names, or 1-based field indices when header = false.
-- Without an item column every row gets the one item "*"; without an event column every row
-- gets event_default (default "browse"); without a time column, time = the file line number
-- (so sequences keep file order, as in SASRec "user item" files).
-- format = "csv" (default, native reader), "seqlines" or "jsonl" (tide.data.formats).
local M = {}

M.EVENT = { browse = 1, click = 2, cart = 3, fav = 4, buy = 5 }
M.EVENT_NAMES = { "browse", "click", "cart", "fav", "buy" }

-- Raw names seen in public logs, mapped to the five codes.
M.ALIASES = {
  browse = 1, pv = 1, view = 1, views = 1, page_view = 1, pageview = 1, impression = 1,
  click = 2, clicks = 2,
  cart = 3, addtocart = 3, add_to_cart = 3, ["add-to-cart"] = 3,
  fav = 4, favorite = 4, favourite = 4, like = 4, wishlist = 4,
  buy = 5, purchase = 5, order = 5, transaction = 5, checkout = 5,
}

-- Default interest weights per event code (browse < click < cart < fav < buy).
M.WEIGHTS = { 1.0, 2.0, 3.0, 4.0, 5.0 }

M.presets = {
  -- Tianchi Taobao UserBehavior.csv: no header
  taobao = { user = 1, item = 2, category = 3, event = 4, time = 5, header = false,
             time_format = "epoch" },
  -- MovieLens ratings.csv (latest-small / 25M): a rating is an explicit "buy"-strength signal
  movielens = { user = "userId", item = "movieId", rating = "rating", time = "timestamp",
                time_format = "epoch", event_default = "buy" },
  -- MovieLens 1M ratings.dat: UserID::MovieID::Rating::Timestamp (":" splits into 7 fields)
  ml1m = { user = 1, item = 3, rating = 5, time = 7, sep = ":", header = false,
           time_format = "epoch", event_default = "buy" },
  -- CDNOW_master.txt (with its header line): customer date(YYYYMMDD) cds dollars, blank
  -- separated; one item "*"
  cdnow = { user = 1, time = 2, value = 3, price = 4, whitespace = true, header = true,
            time_format = "ymd", event_default = "buy" },
  -- UCI Online Retail: invoice lines; Quantity as value, UnitPrice as price
  retail = { user = "CustomerID", item = "StockCode", time = "InvoiceDate", price = "UnitPrice",
             value = "Quantity", time_format = "iso", event_default = "buy" },
  -- S3-Rec / FMLP-Rec Amazon files: "user item item ..." per line, chronological
  seqrec = { user = 1, item = 2, format = "seqlines", header = false, event_default = "buy" },
  -- Amazon review dumps (json lines, e.g. All_Beauty_5.json.gz): a review is a purchase
  amazon = { user = "reviewerID", item = "asin", time = "unixReviewTime", rating = "overall",
             text = "reviewText", format = "jsonl", event_default = "buy" },
  -- SASRec-style "user item" lines in chronological order (no timestamps)
  sasrec = { user = 1, item = 2, sep = " ", header = false, event_default = "buy" },
  -- tide.sim logs (lua/tide/sim.lua LOG FORMAT)
  sim = { user = "user_id", item = "item_id", category = "category_id", event = "behavior",
          time = "timestamp", price = "price", dwell = "dwell", time_format = "epoch" },
}
-- tide.sim logs written with p_review > 0 (an extra rating column)
M.presets.sim_reviews = { user = "user_id", item = "item_id", category = "category_id", event = "behavior",
                          time = "timestamp", price = "price", dwell = "dwell", rating = "rating",
                          time_format = "epoch" }
M.presets.ratings = M.presets.movielens
M.presets.userbehavior = M.presets.taobao

M.FIELDS = { "user", "item", "event", "time", "category", "price", "dwell", "rating", "value" }
local known = { header = 1, sep = 1, whitespace = 1, quote = 1, strict = 1, time_format = 1,
                event_map = 1, event_default = 1, max_rows = 1, progress = 1, chunk = 1,
                preset = 1, nfields = 1, format = 1, text = 1, time_offset = 1, default_year = 1 }
for _, f in ipairs(M.FIELDS) do known[f] = 1 end

--- time_hint(msg) -> msg, with a suggestion appended when a timestamp did not parse
function M.time_hint(msg)
  if not tostring(msg):find("bad_timestamp", 1, true) then return msg end
  return msg .. ' (dates in another layout? give a strptime-style time_format, e.g. "%d/%m/%Y %H:%M"; '
    .. 'dates without a year such as "3-15": time_format = "%m-%d", default_year = 2011)'
end

-- A schema written as a string (a config file, a command line): a preset name (returned as
-- is), a Lua file returning a schema table ("my_schema.lua"), or inline pairs
-- "user=customer,item=sku,time=when,sep=;" (numbers are 1-based field indices, with
-- header=false; true / false are booleans; sep=tab is a tab). Errors start with `fn`.
function M.parse(s, fn)
  fn = fn or "schema"
  if type(s) ~= "string" then return s end
  if s:match("%.lua$") then
    local chunk, err = loadfile(s)
    if not chunk then error(fn .. ": " .. tostring(err), 0) end
    local ok, t = pcall(chunk)
    if not ok or type(t) ~= "table" then
      error(("%s: %s must return a schema table%s"):format(fn, s, ok and "" or ": " .. tostring(t)), 0)
    end
    return t
  end
  if not s:find("=", 1, true) then return s end
  local t = {}
  for pair in s:gmatch("[^,]+") do
    local k, v = pair:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if not k or v == "" then error(("%s: '%s' is not key=column (in '%s')"):format(fn, pair, s), 0) end
    if v == "true" then v = true elseif v == "false" then v = false
    elseif k == "sep" and v == "tab" then v = "\t" else v = tonumber(v) or v end
    t[k] = v
  end
  return t
end

-- Resolves a schema argument (preset name, schema string as M.parse reads it, table with
-- optional `preset`, or nil) into a plain table; unknown keys are an error (a typo would
-- otherwise silently drop a column).
function M.resolve(schema, fn)
  fn = fn or "schema"
  if schema == nil then schema = {} end
  schema = M.parse(schema, fn)
  if type(schema) == "string" then
    local p = M.presets[schema]
    if not p then error(("%s: unknown schema preset '%s'"):format(fn, schema), 3) end
    schema = { preset = schema }
  end
  if type(schema) ~= "table" then error(fn .. ": schema must be a table or a preset name", 3) end
  local out = {}
  if schema.preset then
    local p = M.presets[schema.preset]
    if not p then error(("%s: unknown schema preset '%s'"):format(fn, tostring(schema.preset)), 3) end
    for k, v in pairs(p) do out[k] = v end
  end
  for k, v in pairs(schema) do
    if not known[k] then error(("%s: unknown schema key '%s'"):format(fn, tostring(k)), 3) end
    out[k] = v
  end
  if out.header == nil then out.header = true end
  if out.user == nil then error(fn .. ": schema needs a 'user' column", 3) end
  return out
end

-- Event code of a raw event name (or number), using the schema's map first.
function M.event_code(name, map)
  local v = map and map[name]
  if v == nil and map and tonumber(name) then v = map[tonumber(name)] end
  if v == nil then v = M.ALIASES[tostring(name):lower()] end
  if v == nil then
    local k = tonumber(name)
    if k and k >= 1 and k <= 5 and k == math.floor(k) then v = k end
  end
  if type(v) == "string" then v = M.ALIASES[v:lower()] end
  if v ~= nil and not (v == 1 or v == 2 or v == 3 or v == 4 or v == 5) then return nil end
  return v
end

--- mapped(map, name) -> true if schema.event_map says what the raw event `name` means (by its
--- string or its number).
function M.mapped(map, name)
  return map ~= nil and (map[name] ~= nil or (tonumber(name) ~= nil and map[tonumber(name)] ~= nil))
end

--- numeric_codes_message(path, column, names) -> the error text for numbers in an event column
--- that no event_map entry explains. Such numbers are somebody else's codes (0/1/2/3 in many
--- exports): reading them as Tide's 1..5 turned buys into browses without a word.
function M.numeric_codes_message(path, column, numeric)
  table.sort(numeric, function(a, b) return tonumber(a) < tonumber(b) end)
  local shown, ex = {}, {}
  for k = 1, math.min(#numeric, 20) do shown[k] = numeric[k] end
  for k = 1, math.min(#numeric, 2) do ex[k] = ('["%s"] = "%s"'):format(numeric[k], k == 1 and "browse" or "buy") end
  return ("%s: column '%s' holds numeric event codes (%s%s) and schema.event_map does not say "
          .. "what they mean; map each to browse, click, cart, fav or buy, e.g. event_map = { %s }"):format(
          path, tostring(column), table.concat(shown, ", "), #numeric > 20 and ", ..." or "",
          table.concat(ex, ", "))
end

return M
