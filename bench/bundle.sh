#!/usr/bin/env bash
# What a shopper's browser downloads on a first visit, per page kind: the wasm, the JS
# that loads it and the CSS, raw, gzipped and brotli'd (the two forms the shop serves,
# precompressed), read from the pages a release build serves. Then the largest items of
# the wasm: per crate from the build's pre-wasm-opt file (it still has names), and the
# largest functions (twiggy, installed from crates.io on first use).
#   BUNDLE_TOP=25   how many functions to list
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
install_tool brotli brotli
port="${BENCH_PORT:-3209}"
start_server "$port"
base="http://127.0.0.1:$port"

product=$(curl -fs "$base/c/hoodies" | grep -o 'href="/p/[^"]*"' | head -n 1 | sed 's/href="//; s/"$//')
size() { wc -c <"$1" | tr -d ' '; }
work=$(mktemp -d)
trap 'rm -rf "$work"; stop_server' EXIT

printf '%-10s %-6s %10s %10s %10s  %s\n' page kind raw gzip brotli file
for page in home:/ category:/c/clothing product:"$product" search:"/search?q=hoodie" \
  cart:/cart checkout:/checkout sign-in:/account; do
  name=${page%%:*}
  path=${page#*:}
  html=$(curl -fs "$base$path")
  total_raw=0 total_gz=0 total_br=0
  # What the page loads: its stylesheet, the module that loads the wasm, the wasm.
  for asset in $(printf '%s' "$html" | grep -oE '/pkg/[A-Za-z0-9._-]+\.(css|js|wasm)' | sort -u); do
    file="$work/$(basename "$asset")"
    curl -fs -o "$file" "$base$asset"
    raw=$(size "$file")
    gz=$(gzip -9 -c "$file" | wc -c | tr -d ' ')
    br=$(brotli -c -q 11 "$file" | wc -c | tr -d ' ')
    printf '%-10s %-6s %10s %10s %10s  %s\n' "$name" "${asset##*.}" "$raw" "$gz" "$br" "$asset"
    total_raw=$((total_raw + raw))
    total_gz=$((total_gz + gz))
    total_br=$((total_br + br))
  done
  printf '%-10s %-6s %10s %10s %10s\n\n' "$name" total "$total_raw" "$total_gz" "$total_br"
done

# The pre-wasm-opt module still has its function names.
named=target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm
if [ ! -f "$named" ]; then
  echo "bench: $named is missing (build with scripts/build-release.sh)" >&2
  exit 0
fi
command -v twiggy >/dev/null || cargo install --locked --quiet twiggy
echo "== the wasm by crate, before wasm-opt (which shrinks it further), names not counted"
twiggy top -n 100000 --format csv "$named" | python3 -c '
import csv, re, sys, collections
sizes = collections.Counter()
for row in csv.DictReader(sys.stdin):
    name, size = row["Name"], int(row["ShallowSize"])
    # The crate a symbol names first (the type of a trait impl, the path of a function).
    m = re.match(r"^<?&?(?:mut )?([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::", name)
    if m:
        crate = m.group(1)
    elif name.startswith("data segment"):
        crate = "(data)"
    elif "function names" in name or name.startswith("custom section"):
        continue  # names and wasm-bindgen sections: not shipped
    else:
        crate = "(generic code, by type: tachys and reactive_graph mostly)"
    sizes[crate] += size
total = sum(sizes.values())
for crate, size in sizes.most_common(20):
    print(f"{size:10d} {100 * size / total:5.1f}%  {crate}")
'
echo
echo "== the largest functions"
twiggy top -n "${BUNDLE_TOP:-25}" "$named"
