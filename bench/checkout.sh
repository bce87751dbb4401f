#!/usr/bin/env bash
# Checkout load: BENCH_CLIENTS concurrent shoppers (default 16), each checking out
# BENCH_ORDERS times (default 150), spread over BENCH_VARIANTS in-stock variants (default
# 200), through the shop's server functions, against a fresh
# release build of the demo shop. Prints orders/s, the place-and-pay request's p50/p99,
# and the stock audit before and after (on hand + sold = initial, nothing negative).
# No test asserts these figures: they are reported.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
port="${BENCH_PORT:-3208}"
cargo build --release -p checkout-bench
start_server "$port"
target/release/checkout-bench "http://127.0.0.1:$port" "${BENCH_CLIENTS:-16}" "${BENCH_ORDERS:-150}" "${BENCH_VARIANTS:-200}"
