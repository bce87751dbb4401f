#!/usr/bin/env bash
# Builds the shop in release mode and runs it until Ctrl-C or SIGTERM. Without DATABASE_URL it starts its own
# PostgreSQL in MERCATO_DATA_DIR (default .data/ in the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
MERCATO_SETUP_BROWSER=0 scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export MERCATO_DATA_DIR="${MERCATO_DATA_DIR:-$PWD/.data}"

# PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, which must
# be able to reach the data folder. A checkout under a private folder (such as /root) is
# out of its reach: keep the data in /var/lib/mercato instead.
if [ "$(id -u)" = 0 ] && [ -z "${DATABASE_URL:-}" ]; then
  parent=$(dirname "$MERCATO_DATA_DIR")
  if ! runuser -u postgres -- test -x "$parent" 2>/dev/null; then
    echo "run: the postgres user cannot reach $parent; keeping the shop's data in /var/lib/mercato"
    export MERCATO_DATA_DIR=/var/lib/mercato
  fi
fi
mkdir -p "$MERCATO_DATA_DIR"
# Builds only what changed since the last run (nothing, on a second run).
scripts/build-release.sh
# Run the binary ourselves rather than through `cargo leptos serve`, which kills the server
# outright on Ctrl-C: this way the shop gets the signal, finishes its requests and stops
# its PostgreSQL cleanly.
export LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_OUTPUT_NAME=mercato LEPTOS_ENV=PROD
exec target/release/mercato
