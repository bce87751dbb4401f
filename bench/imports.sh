#!/usr/bin/env bash
# The catalog as CSV on a generated catalog of BENCH_PRODUCTS products (default 100000):
# - the export: seconds, bytes, rows, and the server's resident memory before it and
#   at its peak (VmHWM) after it: a streamed export keeps the peak where it was;
# - an import of BENCH_IMPORT_ROWS rows (default 10000) of that file with every price
#   raised by 1.00: the worker's check (a dry run), then applying it, each timed from
#   the job's own state in the database (rows/s); then the same file again, which
#   changes nothing.
# No test asserts these figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_PRODUCTS="${BENCH_PRODUCTS:-100000}"
rows="${BENCH_IMPORT_ROWS:-10000}"
source bench/server.sh
port="${BENCH_PORT:-3215}"
start_server "$port"
base="http://127.0.0.1:$port"
sign_in_admin "$base"
work=$(mktemp -d)
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$server/status"; }

echo "bench: $(sql "SELECT count(*) FROM products") products, $(sql "SELECT count(*) FROM variants") variants"
rss_before=$(kib VmRSS)
hwm_before=$(kib VmHWM)
started=$(date +%s.%N)
curl -fs -H "Cookie: $cookie" -o "$work/catalog.csv" "$base/api/admin/products/export"
ended=$(date +%s.%N)
printf 'export: %.2f s, %s bytes, %s rows; server RSS %s KiB before, peak %s KiB before and %s KiB after\n' \
  "$(echo "$ended - $started" | bc)" "$(stat -c %s "$work/catalog.csv")" \
  "$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8-sig"))) - 1)' "$work/catalog.csv")" \
  "$rss_before" "$hwm_before" "$(kib VmHWM)"

# The first rows of the export, every price one more (the rows of a product kept
# together: the cut falls between products).
python3 - "$work/catalog.csv" "$work/import.csv" "$rows" <<'PY'
import csv, sys
from decimal import Decimal
src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, encoding="utf-8-sig", newline="") as f, open(dst, "w", encoding="utf-8", newline="") as out:
    reader, writer = csv.reader(f), csv.writer(out)
    header = next(reader)
    writer.writerow(header)
    sku, price, handle = header.index("sku"), header.index("price"), header.index("handle")
    n, last = 0, None
    for row in reader:
        if n >= want and row[handle] != last:
            break
        if row[sku]:
            row[price] = str(Decimal(row[price]) + 1)
        writer.writerow(row)
        n, last = n + 1, row[handle]
    print(f"import file: {n} rows", file=sys.stderr)
PY

timed() { # job id, the state it ends in; prints seconds
  local id="$1" until="$2" start state
  start=$(date +%s.%N)
  while :; do
    state=$(sql "SELECT state FROM catalog_imports WHERE id = $id")
    [ "$state" = "$until" ] && break
    [ "$state" = failed ] && { echo "bench: import $id failed: $(sql "SELECT failure FROM catalog_imports WHERE id = $id")" >&2; exit 1; }
    sleep 0.1
  done
  echo "$(date +%s.%N) - $start" | bc
}

import() { # label
  local id secs total
  id=$(curl -fs -H "Cookie: $cookie" -H "Origin: $base" -H 'Accept: application/json' \
    -F "file=@$work/import.csv;type=text/csv" "$base/api/admin/imports/upload")
  secs=$(timed "$id" checked)
  total=$(sql "SELECT rows_total FROM catalog_imports WHERE id = $id")
  printf '%s check: %s rows in %.2f s (%.0f rows/s): %s\n' "$1" "$total" "$secs" "$(echo "$total / $secs" | bc -l)" \
    "$(sql "SELECT format('create %s, change %s, unchanged %s, problems %s', created, updated, unchanged, problem_count) FROM catalog_imports WHERE id = $id")"
  if [ "$(sql "SELECT created + updated FROM catalog_imports WHERE id = $id")" != 0 ]; then
    curl -fs -o /dev/null -H "Cookie: $cookie" -H "Origin: $base" -H 'Accept: application/json' \
      --data "id=$id" "$base/api/admin/imports/apply"
    secs=$(timed "$id" applied)
    printf '%s apply: %s rows in %.2f s (%.0f rows/s): %s\n' "$1" "$total" "$secs" "$(echo "$total / $secs" | bc -l)" \
      "$(sql "SELECT format('created %s, changed %s, unchanged %s, problems %s', created, updated, unchanged, problem_count) FROM catalog_imports WHERE id = $id")"
  fi
}
import first
import again
rm -rf "$work"
