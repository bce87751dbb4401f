#!/usr/bin/env bash
# Keeps `.sqlx` in step with the code and the migrations. `.sqlx` holds what the build
# checks each `sqlx::query!` against (its columns, their types, what may be NULL), so
# that building needs no database:
#   scripts/sqlx.sh prepare   rewrites .sqlx, after a query or a migration changed
#   scripts/sqlx.sh check     fails when .sqlx is out of date (make test runs this)
# Both start a throwaway PostgreSQL with every migration applied, and stop it after.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  prepare) args=() ;;
  check) args=(--check) ;;
  *)
    echo "usage: $0 prepare|check" >&2
    exit 2
    ;;
esac
export PATH="$HOME/.cargo/bin:$PATH"

bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
dir=$(mktemp -d "$base/mercato-sqlx.XXXXXX")
chmod 700 "$dir"
# PostgreSQL refuses to run as root: as root, its files belong to `postgres`.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() {
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-k $dir -c listen_addresses='' -c fsync=off" start >/dev/null
export DATABASE_URL="postgres:///mercato?host=$dir&user=postgres"
sqlx database create
sqlx migrate run --source migrations >/dev/null
# The macros ask the database only when offline mode is off.
SQLX_OFFLINE=false cargo sqlx prepare --workspace "${args[@]}" -- --all-targets
