-- test_report.lua — the HTML report: well-formed output, escaping, plots from tables and
-- tensors, clear errors, atomic save.
local check = require "check"
local tide = require "tide"
local T = tide.tensor

local tests = {}

function tests.report_contains_each_part_escaped()
  local R = tide.report.new("Decay <test>")
  R:section("Curves & fits"):text("a < b")
  R:table({ "family", "AIC" }, { { "exponential", 12.5 }, { "power", 14 } })
  R:lines{ title = "I(t)", x_label = "days", series = {
    { name = "lambda=0.1", x = { 0, 1, 2 }, y = { 1, 0.9048, 0.8187 } },
    { name = "tensor", x = T.arange(3), y = T.fromtable({ 1, 0.5, 0.25 }), dashed = true } } }
  R:bars{ title = "NDCG@10", labels = { "pop", "sar" }, values = { 0.1, 0.2 } }
  R:heatmap{ title = "attention", matrix = T.eye(3), row_labels = { "a", "b", "c" } }
  local html = R:html()
  check.truthy(html:find("<title>Decay &lt;test&gt;</title>", 1, true), "escaped title")
  check.truthy(html:find("Curves &amp; fits", 1, true), "escaped section")
  check.truthy(html:find("<td>12.5</td>", 1, true), "table cell")
  local _, nsvg = html:gsub("<svg ", "")
  check.eq(nsvg, 3, "three plots")
  check.truthy(html:find('stroke-dasharray', 1, true), "dashed series")
  local _, nrect = html:gsub("<rect x=\"%d+\" y=\"%d+\" width=\"%d+\" height=\"%d+\" fill=\"rgb", "")
  check.eq(nrect, 9, "3x3 heatmap cells")
end

function tests.report_errors_are_clear()
  local R = tide.report.new("x")
  check.errors(function() R:lines{ series = { { x = { 1, 2 }, y = { 1 } } } } end, "series 1 has 2 x and 1 y")
  check.errors(function() R:lines{ series = { { x = "a", y = { 1 } } } } end, "expected a table or tensor")
end

function tests.report_saves_atomically()
  local path = os.tmpname()
  tide.report.new("saved"):text("hello"):save(path)
  local f = assert(io.open(path))
  local s = f:read("*a")
  f:close()
  os.remove(path)
  check.truthy(s:find("hello", 1, true) and s:find("</html>", 1, true), "whole document written")
  check.errors(function() tide.report.new("x"):save("/nonexistent-dir/r.html") end, "/nonexistent-dir/r.html")
end

function tests.forest_plot_draws_each_row_with_interval_and_truth()
  local R = tide.report.new("ab")
  R:forest{ title = "effects", rows = {
    { label = "warn <top 20%>", estimate = 0.02, lo = -0.01, hi = 0.05, truth = 0.03 },
    { label = "random", estimate = -0.01, lo = -0.03, hi = 0.005 } } }
  local html = R:html()
  check.truthy(html:find("warn &lt;top 20%&gt;", 1, true), "escaped row label")
  check.truthy(html:find("0.02 [-0.01, 0.05]", 1, true), "estimate and interval printed (3 digits)")
  local _, ntruth = html:gsub("<title>true ", "")
  check.eq(ntruth, 1, "one true-effect marker (only the row that has one)")
  -- the no-effect line sits at x of 0, between the two estimates' squares
  local ref = tonumber(html:match('<line x1="([%d.]+)" x2="[%d.]+" y1="%d+" y2="%d+" stroke="#555"'))
  local xs = {}
  for x in html:gmatch('<rect x="([%d.]+)" y="[%d.]+" width="8"') do xs[#xs + 1] = tonumber(x) + 4 end
  check.eq(#xs, 2, "two estimate markers")
  check.truthy(xs[2] < ref and ref < xs[1], "negative estimate left of 0, positive right")
end

function tests.forest_plot_refuses_bad_rows()
  local R = tide.report.new("x")
  check.errors(function() R:forest{ rows = {} } end, "rows must be a non-empty array")
  check.errors(function() R:forest{ rows = { { label = "a", estimate = 0 / 0, lo = 0, hi = 1 } } } end,
    "row 1 (a) has estimate = nan")
  check.errors(function() R:forest{ rows = { { label = "b", estimate = 2, lo = 0, hi = 1 } } } end,
    "estimate 2 lies outside [0, 1]")
end

function tests.calibration_and_qini_plots_add_reference_lines()
  local R = tide.report.new("c")
  R:calibration{ curves = { { name = "m", mean_pred = { 0.1, 0.9 }, frac_pos = { 0.2, 0.8 } } } }
  R:qini{ curves = { { name = "u", x = T.fromtable({ 0, 0.5, 1 }), y = { 0, 30, 40 } } } }
  local html = R:html()
  local _, ndash = html:gsub("stroke%-dasharray", "")
  check.eq(ndash, 2, "diagonal and random-targeting lines")
  check.truthy(html:find(">perfect<", 1, true) and html:find(">random<", 1, true), "reference lines named")
  check.errors(function() R:qini{ curves = {} } end, "curves must be a non-empty array")
end

return tests
