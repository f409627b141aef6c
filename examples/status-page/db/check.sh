#!/bin/sh
# Healthy when PostgreSQL accepts connections at the address given (the health check passes ${self.address}).
. ./env.sh
exec "$PGBIN/pg_isready" -q -h "$1" -p "$PGPORT"
