#!/usr/bin/env bash
# Builds the release site (server binary, wasm, CSS, assets) only where its inputs
# changed since the last build. cargo-leptos runs wasm-bindgen and wasm-opt again on
# every build, up to date or not (84 s on 2 cores), so a stamp of the inputs is kept
# beside the built site:
# - nothing changed: nothing runs;
# - only the server's own inputs changed (server/, migrations/, build.rs): the server is
#   rebuilt by the same cargo command cargo-leptos runs, and the site is kept;
# - anything the browser's bundle depends on changed: cargo-leptos builds everything.
# A stamp is the SHA-256 of the files' contents (tracked or not, unless ignored) and of
# the tools' versions.
set -euo pipefail
cd "$(dirname "$0")/.."

stamps=target/release/.mercato-stamps
mkdir -p "$stamps"

# The digest of the contents of the files under the given paths.
digest() {
  git ls-files -z --cached --others --exclude-standard -- "$@" |
    sort -z | xargs -0 -r sha256sum | sha256sum | cut -c1-64
}

tools="$(cargo leptos --version) $(rustc --version) $(wasm-bindgen --version)"
shared=$(digest Cargo.toml Cargo.lock .cargo .sqlx src app)
front=$(printf '%s %s %s' "$tools" "$shared" "$(digest frontend style public package-lock.json)" | sha256sum | cut -c1-64)
server=$(printf '%s %s %s' "$tools" "$shared" "$(digest server migrations build.rs)" | sha256sum | cut -c1-64)

built_front=$(cat "$stamps/front" 2>/dev/null || true)
built_server=$(cat "$stamps/server" 2>/dev/null || true)
site_whole=false
[ -x target/release/mercato ] && [ -f target/release/hash.txt ] && [ -d target/site/pkg ] && site_whole=true

if $site_whole && [ "$front" = "$built_front" ] && [ "$server" = "$built_server" ]; then
  echo "build: the release site is up to date"
  exit 0
fi

if $site_whole && [ "$front" = "$built_front" ]; then
  echo "build: only the server changed; rebuilding it alone"
  # The command and environment cargo-leptos uses for the server (cargo leptos build
  # --release -vv prints them), so cargo's own fingerprints still match.
  LEPTOS_OUTPUT_NAME=mercato LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
    LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=true \
    LEPTOS_HASH_FILE_NAME=hash.txt \
    cargo build --package=server --bin=mercato --no-default-features --release
else
  # --precompress writes .br/.gz beside each asset; the server sends those as they are.
  cargo leptos build --release --precompress
fi
echo "$front" >"$stamps/front"
echo "$server" >"$stamps/server"
