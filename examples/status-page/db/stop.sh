#!/bin/sh
# A fast shutdown: PostgreSQL rolls back open transactions and writes a checkpoint, so snapshots are clean.
. ./env.sh
exec "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop
