#!/usr/bin/env bash
# Starts the freshly built release server (scripts/build-release.sh) on a fresh, empty
# database, for Playwright. Its embedded PostgreSQL lives in MERCATO_E2E_DATA_DIR (wiped
# first). MERCATO_E2E_PROFILE=debug runs a `cargo leptos build` debug build instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${MERCATO_E2E_DATA_DIR:-$(mktemp -d /tmp/mercato-e2e.XXXXXX)}"
rm -rf "$data"
mkdir -p "$data"
chmod 755 "$data" # PostgreSQL runs as the `postgres` user when we are root
export MERCATO_DATA_DIR="$data"
# Always its own embedded database: a DATABASE_URL from the shell that runs the tests
# (a developer's own shop) would have the tests change that database instead.
unset DATABASE_URL
export MERCATO_ADDR="127.0.0.1:${E2E_PORT:-3107}"
export LEPTOS_SITE_ROOT="$root/target/site" LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=mercato
export RUST_LOG="${RUST_LOG:-warn}"
bin="$root/target/${MERCATO_E2E_PROFILE:-release}/mercato"
# A staff account for the tests of staff pages (its password is the tests' own).
if [ -n "${E2E_ADMIN_EMAIL:-}" ]; then
  MERCATO_ADMIN_PASSWORD="$E2E_ADMIN_PASSWORD" "$bin" admin create --email "$E2E_ADMIN_EMAIL" >/dev/null
fi
exec "$bin"
