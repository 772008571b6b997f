#!/bin/sh
# check_report.sh — renders Tide HTML reports in headless Chromium (Debian's chromium) and checks
# from the screenshot that each page is not blank and from the console that no script failed.
# Usage: sh tests/browser/check_report.sh [report.html ...]  (default: a sample with every plot)
# Ends with "browser: N passed, N failed".
set -u
LUAJIT=${LUAJIT:-luajit}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
if [ $# -eq 0 ]; then
  "$LUAJIT" tests/browser/sample_report.lua "$dir/sample.html" >/dev/null || { echo "browser: 0 passed, 1 failed"; exit 1; }
  set -- "$dir/sample.html"
fi
pass=0; fail=0
for page in "$@"; do
  abs=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
  # chromium runs as root here (CI), which needs --no-sandbox; its profile goes to the temp dir
  timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$dir/profile" --window-size=1000,3000 --screenshot="$dir/shot.png" \
    --enable-logging=stderr --v=0 "file://$abs" >"$dir/console.log" 2>&1
  why=""
  [ -s "$dir/shot.png" ] || why="no screenshot (see chromium's log below)"
  if [ -z "$why" ]; then
    stats=$("$LUAJIT" tests/browser/png_stats.lua "$dir/shot.png")
    inked=$(echo "$stats" | cut -d' ' -f3); colours=$(echo "$stats" | cut -d' ' -f4)
    awk "BEGIN{exit !($inked >= 0.005)}" || why="page is blank ($inked of the pixels inked)"
    [ "$colours" -ge 4 ] || why="$why${why:+; }only $colours colours: plots did not render"
  fi
  errs=$(grep -E 'CONSOLE.*(Uncaught|Error|error)' "$dir/console.log")
  [ -z "$errs" ] || why="$why${why:+; }console errors: $errs"
  if [ -z "$why" ]; then
    echo "browser: $page renders ($inked of the screenshot inked, $colours colour bins, no console errors)"
    pass=$((pass + 1))
  else
    echo "browser: $page FAILED: $why"; grep -v dbus "$dir/console.log" | tail -20; fail=$((fail + 1))
  fi
  rm -f "$dir/shot.png"
done
echo "browser: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
