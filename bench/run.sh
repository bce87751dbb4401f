#!/usr/bin/env bash
# Load benchmark of a release build on loopback: the home page, a category page (first,
# deep and filtered), a product page, search (plain and misspelled) and a hashed static
# file, each viewed once before the run. wrk, 32 connections,
# 2 threads, BENCH_SECS seconds (default 15) each; prints requests/s and latency
# percentiles. No test asserts these figures: they are reported.
#   BENCH_PRODUCTS=100000   run on a generated catalog of that size instead of the demo
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
install_wrk
secs="${BENCH_SECS:-15}"
port="${BENCH_PORT:-3207}"
start_server "$port"

base="http://127.0.0.1:$port"
css=$(curl -fs "$base/" | grep -o '/pkg/mercato\.[A-Za-z0-9_-]*\.css' | head -n 1)
mkdir -p bench/results
run() { # name path
  echo "== $1 ($2)"
  # One request first, as a page someone viewed in the last seconds: wrk measures the
  # page as it is served while popular. What that first view cost is printed too: it
  # is what a visitor pays for a page nobody asked for lately. (wrk corrects for
  # coordinated omission, so that one slow request would otherwise stand for about 1 %
  # of a run's samples.)
  curl -fs -o /dev/null -H 'Accept-Encoding: gzip, br' -w 'first view: %{time_total} s\n' "$base$2"
  wrk -t2 -c32 -d"${secs}s" --latency -s bench/percentiles.lua -H 'Accept-Encoding: gzip, br' "$base$2" |
    tee "bench/results/$1.txt" |
    awk '/Requests\/sec/ { print "requests/s: " $2 } /^percentiles/ { print } /Non-2xx/ { print "NON-2xx: " $0 }'
}
product=$(curl -fs "$base/c/hoodies" | grep -o 'href="/p/[^"]*"' | head -n 1 | sed 's/href="//; s/"$//')
run home /
run category /c/clothing
run category-page-5 "/c/clothing?page=5"
run category-page-200 "/c/clothing?page=200"
run category-filtered "/c/clothing?opt=Size%3AM&in_stock=1&sort=price_asc"
run product "$product"
run search "/search?q=hoodie"
run search-typo "/search?q=hoodei"
run static "$css"
echo
echo "wasm bundle: $(stat -c %s target/site/pkg/mercato.*.wasm | head -n 1) bytes raw, $(gzip -9c target/site/pkg/mercato.*.wasm | wc -c) bytes gzipped"
