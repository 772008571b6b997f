#!/bin/sh
# tests/serve/run.sh — starts the scoring service on a loopback port in a temporary prefix
# (a small simulated bundle), runs check_serve.lua against every endpoint (including bad
# requests and a reload under load), a short load test, and stops the service.
set -eu
cd "$(dirname "$0")/../.."
LUAJIT=${LUAJIT:-luajit}
command -v nginx >/dev/null 2>&1 || { echo "test-serve: SKIPPED (nginx not installed)"; exit 0; }
[ -x build/loadgen ] || { echo "test-serve: build/loadgen missing (make build/loadgen)"; exit 1; }
PREFIX=$(mktemp -d /tmp/tide-serve-test.XXXXXX)
chmod 755 "$PREFIX"
PORT=${PORT:-$((20000 + $$ % 20000))}
export PREFIX PORT
cleanup() { sh scripts/serve/stop.sh >/dev/null 2>&1 || true; rm -rf "$PREFIX"; }
trap cleanup EXIT
"$LUAJIT" scripts/serve/demo_bundle.lua "$PREFIX/data" 120 6000 >/dev/null
# every unseen item is a candidate, so check_serve.lua's offline ranking needs no candidate cut
sed -i 's/n_candidates = 200/n_candidates = 5000/' "$PREFIX/data/serve.lua"
WORKERS=2 sh scripts/serve/start.sh
"$LUAJIT" tests/serve/check_serve.lua "$PORT" "$PREFIX/data" "$PREFIX"
# fixed concurrency, bounded in count and time
echo "test-serve: load $(./build/loadgen -p "$PORT" -c 8 -n 3000 -t 10 -u 120 -k 10)"
if grep -q "exited on signal" "$PREFIX/error.log"; then echo "test-serve: a worker crashed"; exit 1; fi
echo "test-serve: passed"
