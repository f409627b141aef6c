#!/bin/sh
# Healthy when PostgreSQL accepts connections.
. ./env.sh
exec "$PGBIN/pg_isready" -q -h "$STRATA_ADDRESS" -p "$PGPORT"
