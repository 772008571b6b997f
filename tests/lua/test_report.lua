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

return tests
