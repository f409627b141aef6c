#!/bin/sh
# Before a volume snapshot: a checkpoint writes every change to the data files, so the snapshot needs little WAL
# replay when it is started. The snapshot is crash-consistent; the pg_dump service backup is the logical one.
set -eu
. ./env.sh
PGPASSWORD="$DB_PASSWORD" psql -h "$STRATA_ADDRESS" -p "$PGPORT" -U status -d status -v ON_ERROR_STOP=1 -q -c CHECKPOINT
