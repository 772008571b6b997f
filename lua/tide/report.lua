-- tide.report — a self-contained HTML report with inline SVG plots (no scripts, no network),
-- for what people would rather see than read: decay curves, metric comparisons, heatmaps
-- (attention maps, category profiles). Written atomically.
--
--   local R = tide.report.new("Interest decay")
--   R:section("Fitted laws"); R:text("...")
--   R:table({"family", "AIC"}, {{"exponential", 123.4}, ...})
--   R:lines{title = "I(t)", x_label = "days", series = {{name = "cat 1", x = xs, y = ys}}}
--   R:bars{title = "NDCG@10", labels = {...}, values = {...}}
--   R:heatmap{title = "attention", matrix = t_or_table, row_labels = ..., col_labels = ...}
--   R:forest{title = "A/B effects", rows = {{label=, estimate=, lo=, hi=, truth=}}}
--   R:calibration{curves = {{name=, mean_pred=, frac_pos=}}};  R:qini{curves = {{name=, x=, y=}}}
--   R:save("out/report.html")
local M = {}
local Report = {}
Report.__index = Report

local PALETTE = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                  "#17becf", "#7f7f7f", "#bcbd22" }

local function esc(s)
  return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local function num(v)
  if type(v) ~= "number" then return esc(v) end
  if v ~= v then return "NaN" end
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(v) end
  return ("%.4g"):format(v)
end

local function totable(x)
  if type(x) == "table" then return x end
  if x and x.totable then return x:totable() end
  error("report: expected a table or tensor, got " .. type(x), 3)
end

function M.new(title)
  return setmetatable({ title = title or "Tide report", parts = {} }, Report)
end

function Report:section(title) self.parts[#self.parts + 1] = "<h2>" .. esc(title) .. "</h2>"; return self end
function Report:text(s) self.parts[#self.parts + 1] = "<p>" .. esc(s) .. "</p>"; return self end
function Report:pre(s) self.parts[#self.parts + 1] = "<pre>" .. esc(s) .. "</pre>"; return self end

function Report:table(header, rows)
  local h = { "<table><tr>" }
  for _, c in ipairs(header) do h[#h + 1] = "<th>" .. esc(c) .. "</th>" end
  h[#h + 1] = "</tr>"
  for _, r in ipairs(rows) do
    h[#h + 1] = "<tr>"
    for i = 1, #header do h[#h + 1] = "<td>" .. num(r[i] == nil and "" or r[i]) .. "</td>" end
    h[#h + 1] = "</tr>"
  end
  h[#h + 1] = "</table>"
  self.parts[#self.parts + 1] = table.concat(h)
  return self
end

-- "nice" axis ticks (Heckbert, Graphics Gems 1990)
local function ticks(lo, hi, n)
  if hi <= lo then hi = lo + 1 end
  local raw = (hi - lo) / (n or 5)
  local mag = 10 ^ math.floor(math.log10(raw))
  local step = mag * (raw / mag < 1.5 and 1 or raw / mag < 3 and 2 or raw / mag < 7 and 5 or 10)
  local out = {}
  for v = math.ceil(lo / step) * step, hi + step * 1e-9, step do out[#out + 1] = v end
  return out
end

local W, H, L, Rm, T, B = 640, 300, 60, 150, 30, 45

local function frame(title, x_label, y_label)
  return { ('<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img">'):format(W, H, W, H),
           ('<text x="%d" y="18" class="t">%s</text>'):format(L, esc(title or "")),
           ('<text x="%d" y="%d" class="a">%s</text>'):format(L + (W - L - Rm) / 2, H - 6, esc(x_label or "")),
           ('<text x="14" y="%d" class="a" transform="rotate(-90 14 %d)">%s</text>'):format(T + (H - T - B) / 2,
             T + (H - T - B) / 2, esc(y_label or "")) }
end

local function axes(s, xlo, xhi, ylo, yhi, sx, sy)
  for _, v in ipairs(ticks(ylo, yhi)) do
    s[#s + 1] = ('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="g"/><text x="%d" y="%.1f" class="k" text-anchor="end">%s</text>')
      :format(L, W - Rm, sy(v), sy(v), L - 4, sy(v) + 4, num(v))
  end
  for _, v in ipairs(ticks(xlo, xhi)) do
    s[#s + 1] = ('<text x="%.1f" y="%d" class="k" text-anchor="middle">%s</text>'):format(sx(v), H - B + 14, num(v))
  end
  s[#s + 1] = ('<rect x="%d" y="%d" width="%d" height="%d" class="f"/>'):format(L, T, W - L - Rm, H - T - B)
end

-- series: {{name=, x=table|tensor, y=table|tensor, dashed=bool, points=bool, color=index}, ...}
function Report:lines(o)
  local xlo, xhi, ylo, yhi = math.huge, -math.huge, o.y_min or math.huge, o.y_max or -math.huge
  local series = {}
  for i, sr in ipairs(o.series) do
    local x, y = totable(sr.x), totable(sr.y)
    if #x ~= #y then error(("report.lines: series %d has %d x and %d y values"):format(i, #x, #y), 2) end
    series[i] = { x = x, y = y, name = sr.name, dashed = sr.dashed, points = sr.points, color = sr.color }
    for j = 1, #x do
      if y[j] == y[j] and math.abs(y[j]) ~= math.huge then
        xlo, xhi = math.min(xlo, x[j]), math.max(xhi, x[j])
        if not o.y_min then ylo = math.min(ylo, y[j]) end
        if not o.y_max then yhi = math.max(yhi, y[j]) end
      end
    end
  end
  if xlo > xhi then xlo, xhi, ylo, yhi = 0, 1, 0, 1 end
  if yhi <= ylo then yhi = ylo + 1 end
  if xhi <= xlo then xhi = xlo + 1 end
  local sx = function(v) return L + (v - xlo) / (xhi - xlo) * (W - L - Rm) end
  local sy = function(v) return H - B - (v - ylo) / (yhi - ylo) * (H - T - B) end
  local s = frame(o.title, o.x_label, o.y_label)
  axes(s, xlo, xhi, ylo, yhi, sx, sy)
  for i, sr in ipairs(series) do
    local c, pts = PALETTE[((sr.color or i) - 1) % #PALETTE + 1], {}
    for j = 1, #sr.x do
      local y = math.max(ylo, math.min(yhi, sr.y[j]))
      if y == y then pts[#pts + 1] = ("%.1f,%.1f"):format(sx(sr.x[j]), sy(y)) end
    end
    if sr.points then
      for _, p in ipairs(pts) do
        local px, py = p:match("([^,]+),(.+)")
        s[#s + 1] = ('<circle cx="%s" cy="%s" r="2.5" fill="%s"/>'):format(px, py, c)
      end
    else
      s[#s + 1] = ('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>'):format(
        table.concat(pts, " "), c, sr.dashed and ' stroke-dasharray="5,4"' or "")
    end
    s[#s + 1] = ('<rect x="%d" y="%d" width="12" height="3" fill="%s"/><text x="%d" y="%d" class="k">%s</text>')
      :format(W - Rm + 10, T + 14 * i - 4, c, W - Rm + 26, T + 14 * i, esc(sr.name or ("series " .. i)))
  end
  s[#s + 1] = "</svg>"
  self.parts[#self.parts + 1] = table.concat(s)
  return self
end

-- horizontal bars: {title=, labels={...}, values={...}, x_label=}
function Report:bars(o)
  local labels, values = o.labels, totable(o.values)
  local vmax = 0
  for _, v in ipairs(values) do vmax = math.max(vmax, v) end
  if vmax <= 0 then vmax = 1 end
  local row = 22
  local h = T + #values * row + 10
  local lw = 200
  local s = { ('<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img">'):format(W, h, W, h),
              ('<text x="%d" y="18" class="t">%s</text>'):format(10, esc(o.title or "")) }
  for i, v in ipairs(values) do
    local y = T + (i - 1) * row
    local bw = v / vmax * (W - lw - 80)
    s[#s + 1] = ('<text x="%d" y="%d" class="k" text-anchor="end">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/><text x="%.1f" y="%d" class="k">%s</text>')
      :format(lw - 6, y + 14, esc(labels[i]), lw, y + 3, bw, row - 6, PALETTE[(o.color or 1)], lw + bw + 4, y + 14, num(v))
  end
  s[#s + 1] = "</svg>"
  self.parts[#self.parts + 1] = table.concat(s)
  return self
end

-- heatmap of a matrix (rows x cols), white -> blue, values scaled to [min, max]
function Report:heatmap(o)
  local m = totable(o.matrix)
  local nr, nc = #m, #(m[1] or {})
  local lo, hi = math.huge, -math.huge
  for i = 1, nr do for j = 1, nc do lo, hi = math.min(lo, m[i][j]), math.max(hi, m[i][j]) end end
  if hi <= lo then hi = lo + 1 end
  local cell = math.max(4, math.min(24, math.floor(480 / math.max(nr, nc, 1))))
  local w, h = math.max(W, 90 + nc * cell + 10), 40 + nr * cell + 10 -- wide enough for the title
  local s = { ('<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img">'):format(w, h, w, h),
              ('<text x="10" y="18" class="t">%s (%s .. %s)</text>'):format(esc(o.title or ""), num(lo), num(hi)) }
  for i = 1, nr do
    if o.row_labels and cell >= 10 then
      s[#s + 1] = ('<text x="86" y="%d" class="k" text-anchor="end">%s</text>'):format(40 + (i - 1) * cell + cell * 0.7, esc(o.row_labels[i] or ""))
    end
    for j = 1, nc do
      local a = (m[i][j] - lo) / (hi - lo)
      local r, g = math.floor(255 - 224 * a), math.floor(255 - 136 * a)
      s[#s + 1] = ('<rect x="%d" y="%d" width="%d" height="%d" fill="rgb(%d,%d,%d)"><title>%s</title></rect>')
        :format(90 + (j - 1) * cell, 40 + (i - 1) * cell, cell, cell, r, g, 255 - math.floor(75 * a), num(m[i][j]))
    end
  end
  s[#s + 1] = "</svg>"
  self.parts[#self.parts + 1] = table.concat(s)
  return self
end

local CSS = [[body{font:14px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}svg{display:block;margin:.5em 0}.t{font-weight:600;font-size:13px}.a{font-size:12px;fill:#444}
.k{font-size:11px;fill:#333}.g{stroke:#eee}.f{fill:none;stroke:#999}pre{background:#f7f7f7;padding:.5em}]]

function Report:html()
  return table.concat({ "<!doctype html><html><head><meta charset=\"utf-8\"><title>", esc(self.title),
    "</title><style>", CSS, "</style></head><body><h1>", esc(self.title), "</h1>",
    table.concat(self.parts, "\n"), "<p><small>generated by Tide ", os.date("!%Y-%m-%d %H:%M UTC"),
    "</small></p></body></html>\n" })
end

function Report:save(path)
  require("tide").core.io.write_atomic(path, self:html())
  return path
end

-- shared drawing helpers for the plot files under lua/tide/report/
M.svg = { esc = esc, num = num, ticks = ticks, totable = totable, PALETTE = PALETTE,
          W = W, H = H, L = L, Rm = Rm, T = T, B = B, frame = frame, axes = axes }
M.Report = Report
require("tide.report.plots")(Report, M.svg)
return M
