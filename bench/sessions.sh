#!/usr/bin/env bash
# Pages as shoppers with a cart get them: BENCH_SESSIONS (64) shoppers each put 1 to 5
# items in a cart (so their pages are kept in five variants by cart size); wrk (2
# threads, 32 connections, BENCH_SECS seconds, default 10) rotates their session
# cookies over the home page, a category, a product page and a search. Printed beside
# the same pages for a visitor without a session.
# No test asserts these figures.
#   BENCH_PRODUCTS=1000   the catalog size (generated); unset: the demo catalog
#   BENCH_SIGNED_IN=1     each shopper signs in to an account of their own first
#   BENCH_PROFILE=1       record the server with perf during each shopper run and print
#                         the top entries (bench/results/profile-<page>.txt)
#   MERCATO_PAGE_CACHE_SECS=0   every page rendered per request: the render's own cost
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/server.sh
install_wrk
secs="${BENCH_SECS:-10}"
sessions="${BENCH_SESSIONS:-64}"
port="${BENCH_PORT:-3213}"
# Sign-ins are limited per client: each shopper signs in from an address of their own.
export MERCATO_TRUSTED_PROXIES=127.0.0.1
start_server "$port"
base="http://127.0.0.1:$port"

# Shoppers with carts: a plain form post each, as a browser without JavaScript makes.
variant_page=$(curl -fs "$base/c/hoodies" | grep -o 'href="/p/[^"]*"' | head -n 1 | sed 's/href="//; s/"$//')
variant=$(curl -fs "$base$variant_page" | grep -o 'name="variant_id" value="[0-9]*"' | head -n 1 | grep -o '[0-9][0-9]*')
work=$(mktemp -d)
cookies=$(mktemp)
jar=$(mktemp)
who=guest
if [ -n "${BENCH_SIGNED_IN:-}" ]; then
  who=signed-in
  # Accounts with the bench admin's password (hashed once, by the server).
  # The embedded cluster's socket folder and port: lines 5 and 4 of its pid file.
  pid_file="$data/postgres/postmaster.pid"
  made=$(psql -qAt -h "$(sed -n 5p "$pid_file")" -p "$(sed -n 4p "$pid_file")" -U postgres \
    -d mercato -v n="$sessions" -v admin="$BENCH_ADMIN_EMAIL" <<'SQL'
WITH made AS (
  INSERT INTO users (email, password_hash, role, email_verified_at)
  SELECT 'shopper-' || i || '@bench.test', password_hash, 'customer', now()
  FROM users, generate_series(1, :n) AS i WHERE email = :'admin'
  RETURNING 1)
SELECT count(*) FROM made;
SQL
  )
  if [ "$made" != "$sessions" ]; then
    echo "bench: made $made of $sessions accounts" >&2
    exit 1
  fi
fi
for i in $(seq 1 "$sessions"); do
  rm -f "$jar"
  if [ "$who" = signed-in ]; then
    curl -fs -c "$jar" -b "$jar" -o /dev/null -H "Origin: $base" -H "Referer: $base/account" \
      -H "X-Forwarded-For: 10.0.$((i / 250)).$((i % 250 + 1))" -H 'Accept: text/html' --data-urlencode "email=shopper-$i@bench.test" \
      --data-urlencode "password=$BENCH_ADMIN_PASSWORD" "$base/api/account/sign-in"
  fi
  curl -fs -c "$jar" -b "$jar" -o /dev/null -H "Origin: $base" -H "Referer: $base$variant_page" -H 'Accept: text/html' \
    --data "variant_id=$variant&quantity=$((1 + i % 5))" "$base/api/cart/add"
  awk '$6 == "mercato_session" { print $6 "=" $7 }' "$jar" >>"$cookies"
done
rm -f "$jar"
if [ "$(wc -l <"$cookies")" -ne "$sessions" ]; then
  echo "bench: only $(wc -l <"$cookies") of $sessions shoppers got a cart" >&2
  exit 1
fi
if [ "$who" = signed-in ] && ! curl -fs -b "$(tail -n 1 "$cookies")" "$base/" | grep -c '>Account</span>' >/dev/null; then
  echo "bench: the shoppers are not signed in (sign-ins refused?)" >&2
  exit 1
fi
echo "$sessions $who shoppers with a cart"

# wrk sends each request with the next shopper's cookie.
lua=$(mktemp --suffix=.lua)
{
  echo 'local cookies = {}'
  while read -r c; do echo "table.insert(cookies, \"$c\")"; done <"$cookies"
  cat <<'EOF'
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", nil, { ["Cookie"] = cookies[(n % #cookies) + 1],
    ["Accept-Encoding"] = "gzip, br" })
end
EOF
  cat bench/percentiles.lua
} >"$lua"
trap 'rm -rf "$cookies" "$lua" "$work"; stop_server' EXIT

run() { # name path
  local name=$1 path=$2
  echo "== $name ($path)"
  local perf=""
  if [ -n "${BENCH_PROFILE:-}" ]; then
    install_tool perf linux-perf
    perf record -F 499 -g -p "$server" -o "$work/perf.data" >/dev/null 2>&1 &
    perf=$!
  fi
  printf 'shopper:   '
  wrk -t2 -c32 -d"${secs}s" --latency -s "$lua" "$base$path" |
    awk '/Requests\/sec/ { printf "%s requests/s, ", $2 } /^percentiles/ { print } /Non-2xx/ { print "NON-2xx: " $0 }'
  if [ -n "$perf" ]; then
    kill -INT "$perf" && wait "$perf" || true
    mkdir -p bench/results
    perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 1 --stdio \
      -g none 2>/dev/null | grep -E '^ +[0-9.]+%' | sed -E 's/^ +//; s/ {3,}.*$//' \
      >"bench/results/profile-$name.txt" || true
    echo "  the server's time, top entries (bench/results/profile-$name.txt):"
    head -n 12 "bench/results/profile-$name.txt" | sed 's/^/  /'
  fi
  printf 'anonymous: '
  wrk -t2 -c32 -d"${secs}s" --latency -s bench/percentiles.lua -H 'Accept-Encoding: gzip, br' "$base$path" |
    awk '/Requests\/sec/ { printf "%s requests/s, ", $2 } /^percentiles/ { print } /Non-2xx/ { print "NON-2xx: " $0 }'
}
run home /
run category /c/clothing
run product "$variant_page"
run search "/search?q=hoodie"
