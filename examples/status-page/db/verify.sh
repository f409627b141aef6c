#!/bin/sh
# After a restore drill: the restored database answers and its service table has rows.
set -eu
. ./env.sh
count="$(PGPASSWORD="$DB_PASSWORD" psql -h "$STRATA_ADDRESS" -p "$PGPORT" -U status -d status -At -v ON_ERROR_STOP=1 -c 'SELECT count(*) FROM service')"
echo "service rows: $count"
[ "$count" -gt 0 ]
