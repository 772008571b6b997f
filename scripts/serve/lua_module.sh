#!/bin/sh
# lua_module.sh <dir> — makes nginx's Lua module usable WITHOUT installing it, and prints the
# directory holding it (<dir>/root).
#
# Why: on Debian 12, libnginx-mod-http-lua depends (through lua-resty-core) on
# libluajit2-5.1-2, OpenResty's LuaJIT fork, which Conflicts with libluajit-5.1-2 — installing
# it removes the luajit and libluajit-5.1-dev that Tide builds with (and `make deps` removes
# it again). So the module, resty.core, lrucache and OpenResty's libluajit are fetched with
# `apt-get download` and unpacked here; nginx then runs with LD_LIBRARY_PATH on that
# libluajit (same soname and Lua 5.1 C API, so core.so, built against upstream LuaJIT 2.1
# headers, loads into it unchanged). A system that already has the module installed uses it.
set -eu
dir=${1:?usage: lua_module.sh <dir>}
root="$dir/root"
if [ -f "$root/usr/lib/nginx/modules/ngx_http_lua_module.so" ] && [ -f "$root/usr/share/lua/5.1/resty/core.lua" ]; then
  echo "$root"; exit 0
fi
mkdir -p "$dir"
pkgs="libnginx-mod-http-lua lua-resty-core lua-resty-lrucache libluajit2-5.1-2"
( cd "$dir" && { apt-get download $pkgs >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get download $pkgs >/dev/null 2>&1; }; } ) \
  || { echo "lua_module.sh: apt-get download $pkgs failed" >&2; exit 1; }
for deb in "$dir"/*.deb; do dpkg-deb -x "$deb" "$root"; done
rm -f "$dir"/*.deb
echo "$root"
