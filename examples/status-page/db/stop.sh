#!/bin/sh
# A fast shutdown: PostgreSQL rolls back open transactions and writes a checkpoint, so snapshots are clean.
. ./env.sh
as_db_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop
