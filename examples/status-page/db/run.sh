#!/bin/sh
# Runs PostgreSQL in the foreground on this server's own loopback address; TCP only: no Unix socket is made, so the volume holds nothing a snapshot cannot copy.
set -eu
. ./env.sh
# A volume restored from a snapshot, or left by a server that died, keeps the old server's lock file; this volume
# is attached to this server only, so the lock is stale.
rm -f "$PGDATA/postmaster.pid"
if [ "$(id -u)" = 0 ]; then
  exec unshare --user --map-user=1 --map-group=1 -- "$PGBIN/postgres" -D "$PGDATA" -h "$STRATA_ADDRESS" -p "$PGPORT" -k ''
fi
exec "$PGBIN/postgres" -D "$PGDATA" -h "$STRATA_ADDRESS" -p "$PGPORT" -k ''
