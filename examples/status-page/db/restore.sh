#!/bin/sh
# Restores the dump in $STRATA_BACKUP_FILE over the status database.
set -eu
. ./env.sh
PGPASSWORD="$DB_PASSWORD" pg_restore -h "$STRATA_ADDRESS" -p "$PGPORT" -U status -d status --clean --if-exists "$STRATA_BACKUP_FILE"
