#!/bin/sh
# First boot: create the cluster when the volume is empty. A volume that holds one (that of the server this one
# replaces, or one restored from a snapshot) is kept as it is, but for the password of the 'status' user: set to
# DB_PASSWORD, so that changing the dbPassword parameter (which replaces this tier and the web tier) rotates it.
set -eu
. ./env.sh
if [ -s "$PGDATA/PG_VERSION" ]; then
  # The old server's lock file is stale (this volume is attached to this server only), and single-user mode, which
  # needs no password and listens on nothing, refuses to start beside one. The password goes through stdin, never
  # a command line; a quote in it is doubled, as SQL wants, and -j ends the statement at ';' and an empty line only.
  # A failed statement must fail configure (single-user mode goes on after errors otherwise), and never be logged,
  # since it holds the password. A newline would end the statement early under -j: such a password is refused.
  nl='
'
  case "$DB_PASSWORD" in *"$nl"*) echo "DB_PASSWORD holds a newline; choose a password without one" >&2; exit 1 ;; esac
  rm -f "$PGDATA/postmaster.pid"
  quoted=$(printf '%s' "$DB_PASSWORD" | sed "s/'/''/g")
  printf "ALTER ROLE status PASSWORD '%s';\n\n" "$quoted" \
    | as_db_owner "$PGBIN/postgres" --single -j -c exit_on_error=on -c log_min_error_statement=panic -D "$PGDATA" postgres >/dev/null
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
