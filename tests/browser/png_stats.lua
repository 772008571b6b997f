-- png_stats.lua — reads an 8-bit RGB/RGBA PNG (what Chromium's screenshots are) through zlib
-- and reports how much of it is not background: the browser check's "is the page blank?".
-- Usage: luajit png_stats.lua shot.png  ->  "width height inked_fraction distinct_colours"
local ffi = require "ffi"
ffi.cdef [[ int uncompress(uint8_t *dst, unsigned long *dstlen, const uint8_t *src, unsigned long srclen); ]]
local z = ffi.load("z")

local function be32(s, i) local a, b, c, d = s:byte(i, i + 3); return ((a * 256 + b) * 256 + c) * 256 + d end

local function decode(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  assert(s:sub(1, 8) == "\137PNG\r\n\26\n", path .. ": not a PNG file")
  local pos, idat, w, h, bpp = 9, {}, nil, nil, nil
  while pos <= #s do
    local len, kind = be32(s, pos), s:sub(pos + 4, pos + 7)
    local data = s:sub(pos + 8, pos + 7 + len)
    if kind == "IHDR" then
      w, h = be32(data, 1), be32(data, 5)
      local depth, ctype, interlace = data:byte(9), data:byte(10), data:byte(13)
      assert(depth == 8 and (ctype == 2 or ctype == 6) and interlace == 0,
        ("%s: unsupported PNG (depth %d, colour type %d, interlace %d)"):format(path, depth, ctype, interlace))
      bpp = ctype == 6 and 4 or 3
    elseif kind == "IDAT" then idat[#idat + 1] = data
    elseif kind == "IEND" then break end
    pos = pos + 12 + len
  end
  local src = table.concat(idat)
  local stride = w * bpp + 1
  local raw = ffi.new("uint8_t[?]", stride * h)
  local n = ffi.new("unsigned long[1]", stride * h)
  assert(z.uncompress(raw, n, src, #src) == 0 and n[0] == stride * h, path .. ": bad image data")
  local px = ffi.new("uint8_t[?]", w * bpp * h)
  local rowlen = w * bpp
  for y = 0, h - 1 do -- undo the per-row filters (PNG spec, section 9)
    local ft, r, o = raw[y * stride], y * stride + 1, y * rowlen
    for x = 0, rowlen - 1 do
      local a = x >= bpp and px[o + x - bpp] or 0
      local b = y > 0 and px[o - rowlen + x] or 0
      local c = (x >= bpp and y > 0) and px[o - rowlen + x - bpp] or 0
      local v = raw[r + x]
      if ft == 1 then v = v + a
      elseif ft == 2 then v = v + b
      elseif ft == 3 then v = v + math.floor((a + b) / 2)
      elseif ft == 4 then
        local p = a + b - c
        local pa, pb, pc = math.abs(p - a), math.abs(p - b), math.abs(p - c)
        v = v + ((pa <= pb and pa <= pc) and a or (pb <= pc and b or c))
      end
      px[o + x] = v % 256
    end
  end
  return px, w, h, bpp
end

local px, w, h, bpp = decode(assert(arg[1], "usage: png_stats.lua file.png"))
local inked, colours, ncol = 0, {}, 0
for i = 0, w * h - 1 do
  local r, g, b = px[i * bpp], px[i * bpp + 1], px[i * bpp + 2]
  if r < 250 or g < 250 or b < 250 then inked = inked + 1 end
  local key = math.floor(r / 32) * 64 + math.floor(g / 32) * 8 + math.floor(b / 32)
  if not colours[key] then colours[key] = true; ncol = ncol + 1 end
end
print(("%d %d %.4f %d"):format(w, h, inked / (w * h), ncol))
