# Shared by the benchmarks: tools, and a release build of the shop on a fresh database.
# Source it from the repository's root; `start_server PORT` leaves the server running
# until the script exits.

MERCATO_SETUP_BROWSER=0 scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

install_tool() { # the command and its Debian package
  if ! command -v "$1" >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    else
      echo "bench: $1 is missing: sudo apt-get install -y $2" >&2
      exit 1
    fi
  fi
}

install_wrk() {
  install_tool wrk wrk
}

start_server() { # port
  local port="$1"
  scripts/build-release.sh
  data=$(mktemp -d /tmp/mercato-bench.XXXXXX)
  chmod 755 "$data"
  if [ -n "${BENCH_PRODUCTS:-}" ]; then
    MERCATO_DATA_DIR="$data" LEPTOS_OUTPUT_NAME=mercato RUST_LOG=error \
      target/release/mercato generate-catalog --products "$BENCH_PRODUCTS"
  fi
  if [ -n "${BENCH_ORDERS:-}" ]; then
    MERCATO_DATA_DIR="$data" LEPTOS_OUTPUT_NAME=mercato RUST_LOG=error \
      target/release/mercato generate-orders --orders "$BENCH_ORDERS"
  fi
  # An admin of the bench's own (the demo admin's password is random and printed once).
  export BENCH_ADMIN_EMAIL=bench-admin@mercato.test
  BENCH_ADMIN_PASSWORD="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  export BENCH_ADMIN_PASSWORD
  MERCATO_DATA_DIR="$data" LEPTOS_OUTPUT_NAME=mercato RUST_LOG=error \
    MERCATO_ADMIN_PASSWORD="$BENCH_ADMIN_PASSWORD" \
    target/release/mercato admin create --email "$BENCH_ADMIN_EMAIL" >/dev/null
  # Every request comes from 127.0.0.1 here: the per-client search limit would measure
  # itself, not the shop.
  MERCATO_SEARCH_PER_MINUTE=0 \
  MERCATO_DATA_DIR="$data" MERCATO_ADDR="127.0.0.1:$port" RUST_LOG=warn \
    LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=mercato \
    target/release/mercato &
  server=$!
  trap stop_server EXIT
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return 0
    sleep 0.2
  done
  echo "bench: the server did not become ready" >&2
  exit 1
}

stop_server() {
  kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  scripts/stop-clusters.sh "$data"
  rm -rf "$data"
}

sign_in_admin() { # base URL; sets $cookie to the bench admin's session
  local jar
  jar=$(mktemp)
  curl -fs -c "$jar" -b "$jar" -o /dev/null -H "Origin: $1" -H "Referer: $1/account" \
    -H 'Accept: text/html' --data-urlencode "email=$BENCH_ADMIN_EMAIL" \
    --data-urlencode "password=$BENCH_ADMIN_PASSWORD" "$1/api/account/sign-in"
  cookie=$(awk '$6 == "mercato_session" { print "mercato_session=" $7 }' "$jar")
  rm -f "$jar"
  [ -n "$cookie" ] || { echo "bench: could not sign in" >&2; exit 1; }
}

sql() { # a statement on the bench server's own cluster; prints the rows
  local pid_file="$data/postgres/postmaster.pid"
  [ -f "$pid_file" ] || { echo "bench: no cluster at $pid_file" >&2; exit 1; }
  psql -qAt -h "$(sed -n 5p "$pid_file")" -p "$(sed -n 4p "$pid_file")" -U postgres -d mercato -c "$1"
}

measure_urls() { # paths on $base, with $cookie, $connections and $secs; prints a table
  printf '%-62s %10s %8s %8s %8s\n' url req/s p50 p95 p99
  local path status out rps p50 p95 p99
  for path in "$@"; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$path")
    if [ "$status" != 200 ]; then
      echo "bench: $path answered $status" >&2
      exit 1
    fi
    out=$(wrk -t1 -c"$connections" -d"${secs}s" --latency -s bench/percentiles.lua \
      -H "Cookie: $cookie" "$base$path")
    rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
    read -r p50 p95 p99 < <(awk '/^percentiles/ { print $4, $8, $10 }' <<<"$out")
    printf '%-62s %10s %8s %8s %8s\n' "$path" "$rps" "$p50" "$p95" "$p99"
  done
}
