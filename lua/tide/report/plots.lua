-- tide.report.plots — the report's statistical plots: a forest plot of effects with intervals
-- (A/B results, with the simulator's true effect when known), calibration (reliability)
-- curves against the diagonal, and Qini / gain curves against random targeting.
-- Installed as methods on tide.report's Report by report.lua; drawing helpers come from there.
return function(Report, S)
  local esc, num = S.esc, S.num

  local function finite(v) return type(v) == "number" and v == v and math.abs(v) ~= math.huge end

  -- rows: {{label=, estimate=, lo=, hi=, truth= (optional), note= (optional)}, ...};
  -- ref = the no-effect line (default 0); x_label names the effect's unit.
  function Report:forest(o)
    local rows = o.rows
    if type(rows) ~= "table" or #rows == 0 then error("report.forest: rows must be a non-empty array", 2) end
    local lo, hi, ref = math.huge, -math.huge, o.ref or 0
    for i, r in ipairs(rows) do
      for _, k in ipairs({ "estimate", "lo", "hi" }) do
        if not finite(r[k]) then
          error(("report.forest: row %d (%s) has %s = %s"):format(i, tostring(r.label), k, tostring(r[k])), 2)
        end
      end
      if r.lo > r.estimate or r.estimate > r.hi then
        error(("report.forest: row %d (%s): estimate %g lies outside [%g, %g]"):format(i, tostring(r.label),
          r.estimate, r.lo, r.hi), 2)
      end
      lo, hi = math.min(lo, r.lo, ref), math.max(hi, r.hi, ref)
      if finite(r.truth) then lo, hi = math.min(lo, r.truth), math.max(hi, r.truth) end
    end
    local pad = (hi - lo) * 0.05 + 1e-12
    lo, hi = lo - pad, hi + pad
    local row, top, x0, x1 = 24, 34, 230, 470
    local h = top + #rows * row + 34
    local sx = function(v) return x0 + (v - lo) / (hi - lo) * (x1 - x0) end
    local s = { ('<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img">'):format(S.W, h, S.W, h),
                ('<text x="10" y="18" class="t">%s</text>'):format(esc(o.title or "")) }
    local base = top + #rows * row
    for _, v in ipairs(S.ticks(lo, hi, 4)) do
      s[#s + 1] = ('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="g"/><text x="%.1f" y="%d" class="k" text-anchor="middle">%s</text>')
        :format(sx(v), sx(v), top - 6, base, sx(v), base + 14, num(v))
    end
    s[#s + 1] = ('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#555" stroke-dasharray="4,3"/>')
      :format(sx(ref), sx(ref), top - 6, base)
    s[#s + 1] = ('<text x="%d" y="%d" class="a" text-anchor="middle">%s</text>'):format((x0 + x1) / 2, base + 30,
      esc(o.x_label or "effect (95 % interval)"))
    for i, r in ipairs(rows) do
      local y = top + (i - 1) * row + row / 2
      local c = S.PALETTE[((r.color or 1) - 1) % #S.PALETTE + 1]
      s[#s + 1] = ('<text x="%d" y="%.1f" class="k" text-anchor="end">%s</text>'):format(x0 - 10, y + 4, esc(r.label or ""))
      s[#s + 1] = ('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>')
        :format(sx(r.lo), sx(r.hi), y, y, c)
      s[#s + 1] = ('<rect x="%.1f" y="%.1f" width="8" height="8" fill="%s"><title>%s</title></rect>')
        :format(sx(r.estimate) - 4, y - 4, c, num(r.estimate))
      if finite(r.truth) then
        s[#s + 1] = ('<path d="M%.1f %.1fl5 5l-5 5l-5 -5z" fill="none" stroke="#000"><title>true %s</title></path>')
          :format(sx(r.truth), y - 5, num(r.truth))
      end
      local g3 = function(v) return ("%.3g"):format(v) end -- 3 digits: the column is 150 px wide
      s[#s + 1] = ('<text x="%d" y="%.1f" class="k">%s [%s, %s]%s</text>'):format(x1 + 10, y + 4, g3(r.estimate),
        g3(r.lo), g3(r.hi), r.note and ("  " .. esc(r.note)) or "")
    end
    s[#s + 1] = "</svg>"
    self.parts[#self.parts + 1] = table.concat(s)
    return self
  end

  -- curves: {{name=, mean_pred=table|tensor, frac_pos=table|tensor}}: observed frequency of
  -- positives against mean predicted probability per bin; the diagonal is perfect calibration.
  function Report:calibration(o)
    local series = { { name = "perfect", x = { 0, 1 }, y = { 0, 1 }, dashed = true, color = 9 } }
    for i, c in ipairs(o.curves or {}) do
      series[#series + 1] = { name = c.name or ("model " .. i), x = c.mean_pred, y = c.frac_pos, color = i }
    end
    return self:lines{ title = o.title or "Calibration", x_label = o.x_label or "mean predicted probability",
                       y_label = o.y_label or "observed frequency", series = series, y_min = 0, y_max = 1 }
  end

  -- curves: {{name=, x=fraction targeted, y=cumulative incremental gain}}; the random-targeting
  -- line runs from (0, 0) to the last point of the first curve (the whole population treated).
  function Report:qini(o)
    local first = o.curves and o.curves[1]
    if not first then error("report.qini: curves must be a non-empty array", 2) end
    local x, y = S.totable(first.x), S.totable(first.y)
    local series = { { name = "random", x = { 0, x[#x] }, y = { 0, y[#y] }, dashed = true, color = 9 } }
    for i, c in ipairs(o.curves) do series[#series + 1] = { name = c.name, x = c.x, y = c.y, color = i } end
    return self:lines{ title = o.title or "Qini curve", x_label = o.x_label or "fraction of users targeted",
                       y_label = o.y_label or "incremental responders", series = series }
  end
end
