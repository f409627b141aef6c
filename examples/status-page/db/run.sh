#!/bin/sh
# Runs PostgreSQL in the foreground on this server's own loopback address; the socket stays in the volume.
set -eu
. ./env.sh
exec "$PGBIN/postgres" -D "$PGDATA" -h "$STRATA_ADDRESS" -p "$PGPORT" -k "$STRATA_VOLUME_DATA"
