#!/usr/bin/env bash
# Installs what `make run` and `make test` need, and only what is missing: a second run
# installs nothing. Works offline except for crates.io, npm and Debian's archive.
#   MERCATO_SETUP_BROWSER=0   skip Chromium (make run does not need it)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs a newer rustc than 1.95
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

have() { command -v "$1" >/dev/null 2>&1; }
say() { echo "setup: $*"; }

# --- Debian packages -------------------------------------------------------------
packages=()
pg_ok=false
for dir in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
  [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && pg_ok=true
done
$pg_ok || packages+=(postgresql)
if [ "${MERCATO_SETUP_BROWSER:-1}" = 1 ]; then
  have chromium || packages+=(chromium)
fi
{ have node && have npm; } || packages+=(nodejs npm)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${packages[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing. Install them, then run make again:" >&2
    echo "    sudo apt-get install -y ${packages[*]}" >&2
    exit 1
  fi
fi

# --- Rust toolchain pieces -------------------------------------------------------
if ! have cargo; then
  echo "setup: cargo is missing. Install Rust with rustup (https://rustup.rs), then run make again." >&2
  exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
rustup target list --installed | grep -qx wasm32-unknown-unknown || {
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}
if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 13 minutes on 2 cores, once)"
  cargo install --locked "cargo-leptos@$CARGO_LEPTOS_VERSION"
fi
# `scripts/sqlx.sh` (make test checks `.sqlx` with it). Postgres support only, over
# rustls: no OpenSSL headers needed.
SQLX_CLI_VERSION=0.8.6
if [ "$(sqlx --version 2>/dev/null)" != "sqlx-cli $SQLX_CLI_VERSION" ]; then
  say "installing sqlx-cli $SQLX_CLI_VERSION (about 2 minutes on 2 cores, once)"
  cargo install --locked sqlx-cli --version "$SQLX_CLI_VERSION" \
    --no-default-features --features postgres,rustls
fi
# The wasm-bindgen CLI must match the library in Cargo.lock exactly.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version"
  # Not --locked: its lock file names a webpki-roots release the registry lacks.
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# --- Front-end tools: Tailwind, wasm-opt, Playwright ---------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing the npm tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
