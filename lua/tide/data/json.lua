-- tide.data.json — a small JSON encoder/decoder for summaries and dataset metadata.
-- Encoding: tables with only keys 1..n are arrays (an empty table is {}), keys are sorted so
-- output is deterministic; numbers that are integers print without a fraction; NaN/inf are
-- written as null (JSON has no spelling for them).
local M = {}

local esc = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n',
              ['\r'] = '\\r', ['\t'] = '\\t' }

local function str(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return esc[c] or ("\\u%04x"):format(c:byte()) end) .. '"'
end

local function is_array(t)
  local n = #t
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k ~= math.floor(k) then return false end
  end
  return true
end

local function enc(v, ind, cur, out)
  local ty = type(v)
  if ty == "nil" then out[#out + 1] = "null"
  elseif ty == "boolean" then out[#out + 1] = tostring(v)
  elseif ty == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif v == math.floor(v) and math.abs(v) < 2 ^ 53 then out[#out + 1] = ("%d"):format(v)
    else out[#out + 1] = ("%.17g"):format(v) end
  elseif ty == "string" then out[#out + 1] = str(v)
  elseif ty == "table" then
    local nl = ind and ("\n" .. cur .. ind) or ""
    local close = ind and ("\n" .. cur) or ""
    local sep = ind and ": " or ":"
    if is_array(v) then
      if #v == 0 then out[#out + 1] = "[]" return end
      out[#out + 1] = "["
      for i = 1, #v do
        out[#out + 1] = (i > 1 and "," or "") .. nl
        enc(v[i], ind, ind and cur .. ind, out)
      end
      out[#out + 1] = close .. "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        local val = v[k]
        if val == nil then val = v[tonumber(k)] end
        out[#out + 1] = (i > 1 and "," or "") .. nl .. str(k) .. sep
        enc(val, ind, ind and cur .. ind, out)
      end
      out[#out + 1] = close .. "}"
    end
  else
    error("json.encode: cannot encode a " .. ty, 3)
  end
end

--- encode(value [, indent]) -> string (indent: e.g. "  " for pretty output)
function M.encode(v, indent)
  local out = {}
  enc(v, indent, "", out)
  return table.concat(out)
end

--- decode(string [, {null = v}]) -> value. null decodes to opts.null (default nil: an object
--- key is then absent and an array keeps the later elements at their positions, leaving a
--- hole). \u escapes need four hex digits; surrogate pairs become one UTF-8 code point.
function M.decode(s, opts)
  opts = opts or {}
  local i = 1
  local function ws() i = s:find("[^ \t\r\n]", i) or #s + 1 end
  local function fail(what) error(("json.decode: %s at byte %d"):format(what, i), 0) end
  local val
  -- exactly four hex digits (tonumber would also take "+1f2", " 1f2" or "-001")
  local function hex4(at)
    local h = s:sub(at, at + 3)
    if not h:match("^%x%x%x%x$") then fail("bad \\u escape") end
    return tonumber(h, 16)
  end
  local function utf8(cp)
    if cp < 0x80 then return string.char(cp) end
    if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
    if cp < 0x10000 then
      return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
    end
    return string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
                       0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  local function string_()
    local j, buf = i + 1, {}
    while true do
      local c = s:sub(j, j)
      if c == "" then fail("unterminated string") end
      if c == '"' then break end
      if c == "\\" then
        local e = s:sub(j + 1, j + 1)
        local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
        if e == "u" then
          local cp = hex4(j + 2)
          j = j + 6
          if cp >= 0xD800 and cp <= 0xDBFF then -- UTF-16 surrogate pair (RFC 8259 §7): one code point
            local lo = s:sub(j, j + 1) == "\\u" and hex4(j + 2)
            if not lo or lo < 0xDC00 or lo > 0xDFFF then fail("unpaired surrogate in \\u escape") end
            cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
            j = j + 6
          elseif cp >= 0xDC00 and cp <= 0xDFFF then fail("unpaired surrogate in \\u escape") end
          buf[#buf + 1] = utf8(cp)
        else
          buf[#buf + 1] = map[e] or fail("bad escape")
          j = j + 2
        end
      else
        local k = s:find('["\\]', j) or #s + 1
        buf[#buf + 1] = s:sub(j, k - 1)
        j = k
      end
    end
    i = j + 1
    return table.concat(buf)
  end
  function val()
    ws()
    local c = s:sub(i, i)
    if c == "{" then
      i = i + 1
      local t = {}
      ws()
      if s:sub(i, i) == "}" then i = i + 1 return t end
      while true do
        ws()
        if s:sub(i, i) ~= '"' then fail("expected a key") end
        local k = string_()
        ws()
        if s:sub(i, i) ~= ":" then fail("expected ':'") end
        i = i + 1
        t[k] = val()
        ws()
        local d = s:sub(i, i)
        i = i + 1
        if d == "}" then return t end
        if d ~= "," then fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      i = i + 1
      local t = {}
      ws()
      if s:sub(i, i) == "]" then i = i + 1 return t end
      local n = 0
      while true do
        n = n + 1 -- explicit positions: a null leaves its slot empty instead of shifting the rest
        t[n] = val()
        ws()
        local d = s:sub(i, i)
        i = i + 1
        if d == "]" then return t end
        if d ~= "," then fail("expected ',' or ']'") end
      end
    elseif c == '"' then return string_()
    elseif s:sub(i, i + 3) == "true" then i = i + 4 return true
    elseif s:sub(i, i + 4) == "false" then i = i + 5 return false
    elseif s:sub(i, i + 3) == "null" then i = i + 4 return opts.null
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
      if not num or num == "" then fail("unexpected character") end
      i = i + #num
      return tonumber(num) or fail("bad number")
    end
  end
  local v = val()
  ws()
  if i <= #s then fail("trailing characters") end
  return v
end

return M
