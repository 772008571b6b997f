#!/bin/sh
# start.sh — starts the Tide scoring service on 127.0.0.1:$PORT from a serving config.
#   PORT=18080 CONFIG=path/serve.lua PREFIX=/tmp/tide-serve WORKERS=2 sh scripts/serve/start.sh
# Without CONFIG, builds a demo bundle in $PREFIX (a simulated log and a decayed-popularity
# model, scripts/serve/demo_bundle.lua). Waits until /health answers 200; stop with stop.sh,
# reload the model gracefully with reload.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${PORT:-18080}
PREFIX=${PREFIX:-/tmp/tide-serve}
WORKERS=${WORKERS:-2}
DICT=${DICT:-64m}
LUAJIT=${LUAJIT:-luajit}
mkdir -p "$PREFIX/tmp" "$PREFIX/data"
if [ -z "${CONFIG:-}" ]; then
  CONFIG="$PREFIX/data/serve.lua"
  [ -f "$CONFIG" ] || "$LUAJIT" "$ROOT/scripts/serve/demo_bundle.lua" "$PREFIX/data"
fi
# nginx's Lua module: the system's if installed, else unpacked next to the build (lua_module.sh)
if [ -f /usr/share/nginx/modules/ngx_http_lua_module.so ] && [ -f /usr/share/lua/5.1/resty/core.lua ]; then
  LUA_MODULE=/usr/share/nginx/modules/ngx_http_lua_module.so RESTY=/usr/share/lua/5.1
else
  MOD_ROOT=$(sh "$ROOT/scripts/serve/lua_module.sh" "$ROOT/build/serve-deps")
  LUA_MODULE="$MOD_ROOT/usr/lib/nginx/modules/ngx_http_lua_module.so" RESTY="$MOD_ROOT/usr/share/lua/5.1"
  LD_LIBRARY_PATH="$MOD_ROOT/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
fi
USER_LINE=""
if [ "$(id -u)" = 0 ]; then
  # master as root, workers as nobody: they read the checkout and write only $PREFIX/data
  USER_LINE="user nobody nogroup;"
  chown -R nobody:nogroup "$PREFIX/data" "$PREFIX/tmp"
fi
sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" -e "s|@CONFIG@|$CONFIG|g" \
    -e "s|@WORKERS@|$WORKERS|g" -e "s|@DICT@|$DICT|g" -e "s|@USER@|$USER_LINE|g" \
    -e "s|@LUA_MODULE@|$LUA_MODULE|g" -e "s|@RESTY@|$RESTY|g" \
    "$ROOT/scripts/serve/nginx.conf" > "$PREFIX/nginx.conf"
nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log"
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}" > "$PREFIX/env"   # reload.sh / stop.sh run nginx with it
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health" 2>/dev/null)" = 200 ]; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then
    echo "serve: not healthy after 20 s; stopping. $PREFIX/error.log ends:" >&2; tail -5 "$PREFIX/error.log" >&2
    nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -s stop; exit 1
  fi
  sleep 0.2
done
echo "serve: http://127.0.0.1:$PORT (prefix $PREFIX, config $CONFIG, pid $(cat "$PREFIX/nginx.pid"))"
