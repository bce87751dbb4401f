#!/usr/bin/env bash
# The orders back office as a staff member gets it, on BENCH_ORDERS generated orders
# (default 1000000) over a generated catalog of BENCH_PRODUCTS products (default
# 10000): the list's sorts, filters, searches and a later page, one order's page, the
# dashboard for each period, and the CSV export of a filtered list and of everything. wrk (1 thread, BENCH_CONNECTIONS
# connections, default 1, BENCH_SECS seconds each, default 4) with the signed-in admin's
# session; prints p50/p95/p99 per URL. `generate-orders` prints its own rows/s.
# No test asserts these figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_PRODUCTS="${BENCH_PRODUCTS:-10000}"
export BENCH_ORDERS="${BENCH_ORDERS:-1000000}"
source bench/server.sh
install_wrk
secs="${BENCH_SECS:-4}"
connections="${BENCH_CONNECTIONS:-1}"
port="${BENCH_PORT:-3215}"
start_server "$port"
base="http://127.0.0.1:$port"

sign_in_admin "$base"
orders=$(sql "SELECT count(*) FROM orders")
middle=$(sql "SELECT id FROM orders ORDER BY placed_at, id OFFSET (SELECT count(*) / 2 FROM orders) LIMIT 1")
number=$(sql "SELECT number FROM orders ORDER BY id OFFSET (SELECT count(*) / 3 FROM orders) LIMIT 1")
email=$(sql "SELECT email FROM orders WHERE user_id IS NOT NULL ORDER BY id OFFSET 1000 LIMIT 1")
# The start of an email, up to its @: an email search (without the @, it is a name).
email_start="${email%%@*}@"
year_ago=$(sql "SELECT (now() - interval '365 days')::date")
week_later=$(sql "SELECT (now() - interval '358 days')::date")
echo "bench: $orders orders; orders back office, $connections connections, ${secs}s each"

urls=(
  "/admin/orders"
  "/admin/orders?sort=oldest"
  "/admin/orders?sort=-total"
  "/admin/orders?sort=total"
  "/admin/orders?after=$middle"
  "/admin/orders?status=paid"
  "/admin/orders?status=cancelled"
  "/admin/orders?status=fulfilled&sort=-total"
  "/admin/orders?payment=void&sort=oldest"
  "/admin/orders?fulfilment=unfulfilled"
  "/admin/orders?from=$year_ago&to=$week_later"
  "/admin/orders?from=$year_ago&to=$week_later&sort=-total"
  "/admin/orders?status=delivered&from=$year_ago&to=$week_later"
  "/admin/orders?q=$number"
  "/admin/orders?q=$email"
  "/admin/orders?q=$email_start"
  "/admin/orders?q=anna"
  "/admin/orders?q=anna+jansen"
  "/admin/orders?q=anna+jansen&sort=-total"
  "/admin/orders?q=zz"
  "/admin/orders?q=emma&status=paid"
  "/admin/orders?status=pending_payment&fulfilment=delivered&sort=-total"
  "/admin/orders/$number"
  "/admin"
  "/admin?period=today"
  "/admin?period=30d"
  "/admin?period=90d"
)
measure_urls "${urls[@]}"

# The export, whole: every order, then a week of one status.
for query in "" "?status=delivered&from=$year_ago&to=$week_later"; do
  read -r code bytes seconds < <(curl -s -o /dev/null -H "Cookie: $cookie" \
    -w '%{http_code} %{size_download} %{time_total}\n' "$base/api/admin/orders/export$query")
  [ "$code" = 200 ] || { echo "bench: the export answered $code" >&2; exit 1; }
  printf 'export%-56s %s bytes in %s s\n' "$query" "$bytes" "$seconds"
done
