#!/bin/sh
# bench_response.sh — set-based quality of the response kernel against no decay, the return-gap
# law and the popularity / SAR candidates on the bundled UCI Online Retail log (see the .lua).
cd "$(dirname "$0")/../.." || exit 1
"${LUAJIT:-luajit}" tests/bench/bench_response.lua examples/data/uci-online-retail/online_retail.csv.gz retail
