#!/usr/bin/env bash
# Lighthouse 12 (mobile profile: a mid-range phone on a slow 4G network, simulated) on a
# release build with Debian's Chromium: performance, accessibility, best practices and
# SEO per page kind, with LCP, TBT and CLS. Reports go to bench/results/lighthouse/.
# No test asserts these figures: they are reported.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
port="${BENCH_PORT:-3211}"
start_server "$port"
base="http://127.0.0.1:$port"
chrome=${CHROME_PATH:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chrome" ]; then
  echo "bench: Chromium is missing: apt-get install -y chromium" >&2
  exit 1
fi
export CHROME_PATH="$chrome"
out=bench/results/lighthouse
mkdir -p "$out"

# A cart with something in it, for the cart and checkout pages: the form posts as a
# browser without JavaScript would, keeping the session cookie.
jar=$(mktemp)
variant=$(curl -fs "$base/c/hoodies" | grep -o 'href="/p/[^"]*"' | head -n 1 | sed 's/href="//; s/"$//')
id=$(curl -fs "$base$variant" | grep -o 'name="variant_id" value="[0-9]*"' | head -n 1 | grep -o '[0-9][0-9]*')
curl -fs -c "$jar" -b "$jar" -o /dev/null -H "Origin: $base" -H "Referer: $base$variant" -H 'Accept: text/html' \
  --data "variant_id=$id&quantity=1" "$base/api/cart/add"
cookie=$(awk '$6 == "mercato_session" { print $6 "=" $7 }' "$jar")
rm -f "$jar"
if [ -z "$cookie" ]; then
  echo "bench: adding to a cart failed" >&2
  exit 1
fi

printf '%-9s %5s %5s %5s %5s %8s %7s %6s\n' page perf a11y best seo LCP TBT CLS
for page in home:/ category:/c/clothing product:"$variant" search:"/search?q=hoodie" \
  cart:/cart checkout:/checkout; do
  name=${page%%:*}
  path=${page#*:}
  headers='{}'
  case "$name" in cart | checkout) headers="{\"Cookie\": \"$cookie\"}" ;; esac
  lighthouse "$base$path" --quiet --output=json --output-path="$out/$name.json" \
    --extra-headers="$headers" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless=new --no-sandbox" >/dev/null 2>&1 || {
    echo "bench: lighthouse failed on $path" >&2
    continue
  }
  node -e '
    const r = require(process.argv[1]);
    const s = (c) => Math.round(r.categories[c].score * 100);
    const a = (id) => (r.audits[id]?.displayValue ?? "-").replace(/\s/g, "");
    console.log([process.argv[2].padEnd(9), ...["performance", "accessibility", "best-practices", "seo"]
      .map((c) => String(s(c)).padStart(5)), a("largest-contentful-paint").padStart(8),
      a("total-blocking-time").padStart(7), a("cumulative-layout-shift").padStart(6)].join(" "));
    for (const [id, audit] of Object.entries(r.audits)) {
      if (audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === "binary")
        console.log(`          failed: ${id}: ${audit.title}`);
    }
  ' "$PWD/$out/$name.json" "$name"
done
