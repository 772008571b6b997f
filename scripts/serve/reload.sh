#!/bin/sh
# reload.sh — graceful model reload: replace the model file (atomically, e.g. m:save writes a
# temp file and renames it), then run this. nginx starts new workers, which load the current
# model in init_worker, while old workers finish in-flight requests; the shared decayed profile
# is kept (rebuilt only if the decay law changed).
set -eu
PREFIX=${PREFIX:-/tmp/tide-serve}
[ -f "$PREFIX/env" ] && { . "$PREFIX/env"; export LD_LIBRARY_PATH; }
nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -s reload
echo "serve: reload signalled"
