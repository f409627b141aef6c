#!/bin/sh
# First boot: create the cluster when the volume is empty (a volume restored from a snapshot is kept as it is).
set -eu
. ./env.sh
if [ -s "$PGDATA/PG_VERSION" ]; then
  exit 0
fi
mkdir -p "$PGDATA"
pwfile="$(mktemp)"
trap 'rm -f "$pwfile"' EXIT
printf '%s\n' "$DB_PASSWORD" > "$pwfile"
as_db_owner "$PGBIN/initdb" -D "$PGDATA" -U status --pwfile="$pwfile" --auth=scram-sha-256 >/dev/null
printf "host all all 127.0.0.0/8 scram-sha-256\n" >> "$PGDATA/pg_hba.conf"
as_db_owner "$PGBIN/pg_ctl" -D "$PGDATA" -o "-h $STRATA_ADDRESS -p $PGPORT -k ''" -w start >/dev/null
PGPASSWORD="$DB_PASSWORD" psql -h "$STRATA_ADDRESS" -p "$PGPORT" -U status -d postgres -v ON_ERROR_STOP=1 -q <<'SQL'
CREATE DATABASE status;
\connect status
CREATE TABLE service (name text PRIMARY KEY, state text NOT NULL, updated timestamptz NOT NULL DEFAULT now());
INSERT INTO service (name, state) VALUES ('api', 'operational'), ('website', 'operational'), ('email', 'degraded');
SQL
as_db_owner "$PGBIN/pg_ctl" -D "$PGDATA" -w stop >/dev/null
