#!/bin/sh
# stop.sh — graceful stop (SIGQUIT: workers finish their requests) of the service in $PREFIX.
set -eu
PREFIX=${PREFIX:-/tmp/tide-serve}
[ -f "$PREFIX/env" ] && { . "$PREFIX/env"; export LD_LIBRARY_PATH; }
[ -f "$PREFIX/nginx.pid" ] || { echo "serve: not running in $PREFIX"; exit 0; }
nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -s quit
i=0
while [ -f "$PREFIX/nginx.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "serve: stopped"
