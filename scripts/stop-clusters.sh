#!/usr/bin/env bash
# Stops every PostgreSQL cluster found under the folders given (test clusters are left
# running between test processes; this ends them).
set -uo pipefail
bindir=$(pg_config --bindir 2>/dev/null)
[ -x "$bindir/pg_ctl" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
for root in "$@"; do
  for pid_file in $(find "$root" -maxdepth 4 -name postmaster.pid 2>/dev/null); do
    data=$(dirname "$pid_file")
    if [ "$(id -u)" = 0 ]; then
      runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
    else
      "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
    fi
  done
done
# Socket folders of stopped clusters are empty; running ones hold their socket.
find "${TMPDIR:-/tmp}" -maxdepth 1 -type d -name 'mercato-pg-*' -empty -delete 2>/dev/null
exit 0
