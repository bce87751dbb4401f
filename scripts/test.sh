#!/usr/bin/env bash
# Every check CI runs: formatting, lints, the wasm boundary, unit and integration tests
# against real PostgreSQL, and the browser tests in Chromium. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The throwaway clusters live in memory when possible: faster, and out of reach of the
# kernel's write throttling while it flushes the gigabytes a build has just written
# (which once stalled a query for over a minute).
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
tmp=$(mktemp -d "$base/mercato-test.XXXXXX")
chmod 755 "$tmp" # the `postgres` user must pass through when we are root
cleanup() {
  scripts/stop-clusters.sh "$tmp"
  rm -rf "$tmp"
}
trap cleanup EXIT

started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

step "formatting"
cargo fmt --all -- --check

step "lints, server side"
cargo clippy -p mercato -p app -p server -p checkout-bench --all-targets -- -D warnings
step "lints, browser side"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "nothing server-only reaches the wasm build"
leaks=$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none |
  grep -E '^(sqlx|sqlx-core|tokio|axum|argon2|async-stripe|leptos_axum|tower-sessions) ' | sort -u || true)
if [ -n "$leaks" ]; then
  echo "server-only crates in the wasm build:"
  echo "$leaks"
  exit 1
fi

step "the SQL the build checks against is up to date"
scripts/sqlx.sh check

step "unit and integration tests"
cargo test -p mercato -p app -p server --no-run
sync # let the build's writes reach the disk before anything waits on I/O
# Side by side, as many at once as there are cores. (They once had to run one at a time:
# building a router works out the app's routes with resource loading switched off
# process-wide, which hung a page another test was rendering. The routes are now worked
# out once per process: server::http::route_list.)
TMPDIR="$tmp" MERCATO_TEST_PG_DIR="$tmp/pg" cargo test -p mercato -p app -p server

# The browser tests run against the release build: what shoppers get, and a failure only
# a release build shows (once, the recursion limit) cannot land.
step "build the release site"
scripts/build-release.sh

step "browser tests"
sync
(cd end2end && MERCATO_E2E_DATA_DIR="$tmp/e2e" npx playwright test)

step "all checks passed"
