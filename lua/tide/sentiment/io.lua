-- tide.sentiment.io — review corpora readers (RFC 4180 CSV, optionally gzip; JSON Lines) and the
-- fixed seeded train/test split used by training, evaluation and the benchmark.
-- (A small self-contained reader: review files only need text + label columns.)
local M = {}

-- The whole file as a string, through the engine's input (core.io.read_all: plain, gzip by its
-- magic bytes whatever the name, or a pipe), so a truncated or corrupt gzip file is an error,
-- not a shorter corpus
local function slurp(path)
  local ok, s = pcall(require("tide").core.io.read_all, path)
  if not ok then error((tostring(s):gsub("^[^\n]-read_all: ", "")), 3) end
  return s
end

-- Splits a CSV document into records (arrays of fields). Quoted fields may hold commas,
-- doubled quotes and newlines. Returns the records and the 1-based line of each.
local function parse_csv(s, path)
  local rows, lines, pos, n, line = {}, {}, 1, #s, 1
  if s:sub(1, 3) == "\239\187\191" then pos = 4 end -- a BOM at byte 0
  while pos <= n do
    local row, start_line = {}, line
    while true do
      local c = s:sub(pos, pos)
      local field
      if c == '"' then
        local buf, i = {}, pos + 1
        while true do
          local q = s:find('"', i, true)
          if not q then error(("%s:%d: unterminated quoted field"):format(path, start_line), 0) end
          buf[#buf + 1] = s:sub(i, q - 1)
          if s:sub(q + 1, q + 1) == '"' then buf[#buf + 1] = '"'; i = q + 2
          else pos = q + 1; break end
        end
        field = table.concat(buf)
        local _, nl = field:gsub("\n", "")
        line = line + nl
        local d = s:sub(pos, pos) -- after the closing quote: a separator, a line end or the end
        if d ~= "," and d ~= "\r" and d ~= "\n" and d ~= "" then
          error(("%s:%d: text after a closing quote (a quote inside a field must be doubled)"):format(path, line), 0)
        end
      else
        local e = s:find("[,\r\n]", pos) or n + 1
        field = s:sub(pos, e - 1)
        pos = e
      end
      row[#row + 1] = field
      local d = s:sub(pos, pos)
      if d == "," then pos = pos + 1
      else
        if d == "\r" then pos = pos + 1 end
        if s:sub(pos, pos) == "\n" then pos = pos + 1 end
        line = line + 1
        break
      end
    end
    rows[#rows + 1] = row
    lines[#lines + 1] = start_line
  end
  return rows, lines
end
M.parse_csv = parse_csv

-- read_csv(path, {text = "review", label = "label"}) -> {texts = {...}, labels = {...} (numbers
-- or nil when the column is absent), lines = {file line of each row}, n = rows, path}.
-- Raises "path:line: ..." on bad rows.
function M.read_csv(path, opts)
  opts = opts or {}
  local rows, lines = parse_csv(slurp(path), path)
  if #rows == 0 then error(("%s: empty file (no header)"):format(path), 2) end
  local header, col = rows[1], {}
  for i, h in ipairs(header) do col[h] = i end
  local tcol = col[opts.text or "review"] or col.text or col.review
  if not tcol then error(("%s: no text column '%s' in header"):format(path, opts.text or "review"), 2) end
  local lcol = col[opts.label or "label"]
  local texts, labels, at = {}, lcol and {} or nil, {}
  for r = 2, #rows do
    local row = rows[r]
    if not (#row == 1 and row[1] == "") then -- skip blank lines
      if #row ~= #header then
        error(("%s:%d: %d fields, header has %d"):format(path, lines[r], #row, #header), 2)
      end
      texts[#texts + 1] = row[tcol]
      at[#texts] = lines[r]
      if lcol then
        local v = tonumber(row[lcol])
        if not v then error(("%s:%d: label '%s' is not a number"):format(path, lines[r], row[lcol]), 2) end
        labels[#labels + 1] = v
      end
    end
  end
  return { texts = texts, labels = labels, lines = at, n = #texts, path = path }
end

--- check_labels(c) -> c: every label of a corpus table (read_csv / read_amazon) is 0 or 1;
-- otherwise an error "path:line: label 2 is not 0 or 1 ..." naming the first bad row.
function M.check_labels(c)
  if not c.labels then error(("%s: no label column"):format(c.path or "(data)"), 2) end
  for i, y in ipairs(c.labels) do
    if y ~= 0 and y ~= 1 then
      error(("%s:%s: label %s is not 0 or 1 (binary sentiment: 1 = positive, 0 = negative; map star ratings or scores to 0/1 first)"):format(
        c.path or "(data)", c.lines and c.lines[i] or ("row " .. i), tostring(y)), 2)
    end
  end
  return c
end

-- Decodes one JSON string literal starting at s[i] == '"'; returns the string and the next index.
local function json_string(s, i)
  local buf, j = {}, i + 1
  while true do
    local k = s:find('["\\]', j)
    if not k then return nil, #s + 1 end
    buf[#buf + 1] = s:sub(j, k - 1)
    if s:sub(k, k) == '"' then return table.concat(buf), k + 1 end
    local e = s:sub(k + 1, k + 1)
    local simple = { n = "\n", t = "\t", r = "\r", b = "\b", f = "\f", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
    if simple[e] then buf[#buf + 1] = simple[e]; j = k + 2
    elseif e == "u" then
      local cp = tonumber(s:sub(k + 2, k + 5), 16) or 0xFFFD
      j = k + 6
      if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j, j + 1) == "\\u" then
        local lo = tonumber(s:sub(j + 2, j + 5), 16) or 0
        if lo >= 0xDC00 and lo <= 0xDFFF then cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00); j = j + 6 end
      end
      if cp >= 0xD800 and cp <= 0xDFFF then cp = 0xFFFD end
      local b = bit
      if cp < 0x80 then buf[#buf + 1] = string.char(cp)
      elseif cp < 0x800 then buf[#buf + 1] = string.char(0xC0 + b.rshift(cp, 6), 0x80 + b.band(cp, 63))
      elseif cp < 0x10000 then
        buf[#buf + 1] = string.char(0xE0 + b.rshift(cp, 12), 0x80 + b.band(b.rshift(cp, 6), 63), 0x80 + b.band(cp, 63))
      else
        buf[#buf + 1] = string.char(0xF0 + b.rshift(cp, 18), 0x80 + b.band(b.rshift(cp, 12), 63),
          0x80 + b.band(b.rshift(cp, 6), 63), 0x80 + b.band(cp, 63))
      end
    else j = k + 2 end
  end
end

-- Top-level string and number fields of a flat JSON object line (nested values skipped).
local function json_fields(line, want)
  local out = {}
  for _, key in ipairs(want) do
    local p = line:find('"' .. key .. '":', 1, true)
    if p then
      local i = p + #key + 3
      while line:sub(i, i) == " " do i = i + 1 end
      if line:sub(i, i) == '"' then out[key] = json_string(line, i)
      else out[key] = tonumber(line:match("^%-?[%d%.eE+]+", i)) end
    end
  end
  return out
end

-- Amazon-style review JSON Lines: ratings 4-5 -> label 1, 1-2 -> 0, 3 dropped; rows identical
-- in (reviewer, item, time, text) are de-duplicated. Keeps user/item/time for aggregation.
function M.read_amazon(path)
  local text_all = slurp(path)
  local out = { texts = {}, labels = {}, user = {}, item = {}, time = {}, rating = {}, path = path }
  local seen, dups, neutral = {}, 0, 0
  for line in text_all:gmatch("[^\n]+") do
    local r = json_fields(line, { "reviewText", "summary", "overall", "reviewerID", "asin", "unixReviewTime" })
    local text = r.reviewText or ""
    local key = table.concat({ r.reviewerID or "", r.asin or "", tostring(r.unixReviewTime), text }, "\1")
    if seen[key] then dups = dups + 1
    elseif r.overall == 3 then seen[key] = true; neutral = neutral + 1
    elseif r.overall then
      seen[key] = true
      local k = #out.texts + 1
      out.texts[k] = text; out.labels[k] = r.overall >= 4 and 1 or 0
      out.user[k], out.item[k], out.time[k], out.rating[k] = r.reviewerID, r.asin, r.unixReviewTime, r.overall
    end
  end
  out.n, out.duplicates, out.neutral = #out.texts, dups, neutral
  return out
end

-- The fixed split: row i (1-based, after de-duplication) goes to test when
-- FNV-1a-64("<seed>:<i>") mod 100 < test_pct (default seed 20261123, 20 %).
-- With opts.texts, rows with the same text follow the first row that has it, so a review
-- copied across rows (Amazon repeats a review over product variants: 89 % of All_Beauty's
-- row-split test texts were also in train) never sits on both sides; corpora without repeated
-- texts get exactly the row split.
function M.split(n, opts)
  opts = opts or {}
  local seed, pct, texts = opts.seed or 20261123, opts.test_pct or 20, opts.texts
  if texts ~= nil and (type(texts) ~= "table" or #texts ~= n) then
    error(("sentiment.io.split: opts.texts must be a table of %d texts"):format(n), 2)
  end
  local fnv = require("tide").core.text.fnv1a
  local train, test, first = {}, {}, {}
  for i = 1, n do
    local key = i
    if texts then
      key = first[texts[i]] or i
      first[texts[i]] = key
    end
    local h = fnv(seed .. ":" .. key)
    if tonumber(h:sub(-6), 16) % 100 < pct then test[#test + 1] = i else train[#train + 1] = i end
  end
  return train, test
end

--- stratified_split(labels, {seed = 20261123, test_pct = 20, texts = nil}) -> train, test
-- A stratified split: within each class, rows are ordered by FNV-1a-64("<seed>:<row>") and
-- the first round(test_pct % of the class's rows) go to test, so both sides keep the class
-- proportions (as sklearn's train_test_split(stratify = y), but deterministic across tools).
-- With opts.texts, rows sharing a text form one group that follows its first row (its
-- class and hash), so a repeated review never sits on both sides. Returns sorted row lists.
function M.stratified_split(labels, opts)
  opts = opts or {}
  if type(labels) ~= "table" then error("sentiment.io.stratified_split: labels must be a table", 2) end
  local n, seed, pct, texts = #labels, opts.seed or 20261123, opts.test_pct or 20, opts.texts
  if type(pct) ~= "number" or pct < 0 or pct > 100 then
    error(("sentiment.io.stratified_split: test_pct must be in [0, 100], got %s"):format(tostring(pct)), 2)
  end
  if texts ~= nil and (type(texts) ~= "table" or #texts ~= n) then
    error(("sentiment.io.stratified_split: opts.texts must be a table of %d texts"):format(n), 2)
  end
  local fnv = require("tide").core.text.fnv1a
  local first, members, groups, size = {}, {}, {}, {} -- groups[class] = {first rows}
  for i = 1, n do
    local g = i
    if texts then g = first[texts[i]] or i; first[texts[i]] = g end
    if g == i then
      local c = labels[i]
      groups[c] = groups[c] or {}
      table.insert(groups[c], i)
      members[i] = {}
    end
    table.insert(members[g], i)
    size[labels[g]] = (size[labels[g]] or 0) + 1
  end
  local key = {}
  local train, test, is_test = {}, {}, {}
  for c, gs in pairs(groups) do
    for _, g in ipairs(gs) do key[g] = tonumber(fnv(seed .. ":" .. g):sub(-12), 16) end
    table.sort(gs, function(a, b) if key[a] ~= key[b] then return key[a] < key[b] end return a < b end)
    local want, got = math.floor(size[c] * pct / 100 + 0.5), 0
    for _, g in ipairs(gs) do
      if got >= want then break end
      for _, i in ipairs(members[g]) do is_test[i] = true end
      got = got + #members[g]
    end
  end
  for i = 1, n do if is_test[i] then test[#test + 1] = i else train[#train + 1] = i end end
  return train, test
end

-- Folds for model selection inside training rows: fold[i] = (first row with texts[i]) % K,
-- 0..K-1 — row i % K when no text repeats, and a repeated text never on two sides.
function M.folds(texts, K)
  if type(texts) ~= "table" then error("sentiment.io.folds: texts must be a table", 2) end
  if type(K) ~= "number" or K < 2 or K % 1 ~= 0 then error("sentiment.io.folds: K must be an integer >= 2", 2) end
  local first, fold = {}, {}
  for i, s in ipairs(texts) do first[s] = first[s] or i; fold[i] = first[s] % K end
  return fold
end

-- Picks rows idx of a corpus table (texts/labels and any parallel columns).
function M.subset(c, idx)
  local out = { n = #idx, path = c.path }
  for k, v in pairs(c) do
    if type(v) == "table" and #v == c.n then
      local t = {}
      for j, i in ipairs(idx) do t[j] = v[i] end
      out[k] = t
    end
  end
  return out
end

return M
