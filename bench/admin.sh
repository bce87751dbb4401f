#!/usr/bin/env bash
# The back office's lists as a staff member gets them, on a generated catalog of
# BENCH_PRODUCTS products (default 100000, the issue's 100,008 with the demo's own):
# every sort, search and filter of /admin/products, a second page, and /admin/inventory.
# wrk (1 thread, BENCH_CONNECTIONS connections, default 4, BENCH_SECS seconds each,
# default 5) with the signed-in admin's session; prints p50/p95/p99 per URL.
# No test asserts these figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_PRODUCTS="${BENCH_PRODUCTS:-100000}"
source bench/server.sh
install_wrk
secs="${BENCH_SECS:-5}"
connections="${BENCH_CONNECTIONS:-4}"
port="${BENCH_PORT:-3214}"
start_server "$port"
base="http://127.0.0.1:$port"

sign_in_admin "$base"
products=$(sql "SELECT count(*) FROM products")
# The stock figures are refreshed by the server's worker; wait for the generated ones.
sql "SELECT refresh_product_stock(NULL)" >/dev/null
department=$(sql "SELECT id FROM categories WHERE parent_id IS NULL ORDER BY id LIMIT 1")
leaf=$(sql "SELECT category_id FROM products GROUP BY category_id ORDER BY count(*) LIMIT 1")
sku=$(sql "SELECT left(sku, 4) FROM variants ORDER BY id DESC LIMIT 1")
middle=$(sql "SELECT id FROM products ORDER BY name, id OFFSET (SELECT count(*) / 2 FROM products) LIMIT 1")
echo "bench: $products products; admin lists, $connections connections, ${secs}s each"

urls=(
  "/admin/products"
  "/admin/products?sort=price"
  "/admin/products?sort=-price"
  "/admin/products?sort=stock"
  "/admin/products?sort=updated"
  "/admin/products?after=$middle"
  "/admin/products?q=hoodie"
  "/admin/products?q=merino&sort=-price"
  "/admin/products?q=$sku"
  "/admin/products?q=zz"
  "/admin/products?status=draft"
  "/admin/products?status=active&sort=updated"
  "/admin/products?category=$department"
  "/admin/products?category=$leaf&sort=price"
  "/admin/products?stock=low"
  "/admin/products?stock=sold-out&sort=stock"
  "/admin/products?stock=in-stock&sort=-price"
  "/admin/products?category=$department&stock=low&sort=updated"
  "/admin/inventory"
  "/admin/inventory?show=sold-out"
  "/admin/inventory?show=all&q=$sku"
)
measure_urls "${urls[@]}"
