#!/bin/sh
# Writes a consistent dump of the status database to $STRATA_BACKUP_FILE.
set -eu
. ./env.sh
PGPASSWORD="$DB_PASSWORD" pg_dump -h "$STRATA_ADDRESS" -p "$PGPORT" -U status -d status --format=custom --file="$STRATA_BACKUP_FILE"
