# Shared settings of the db hooks. STRATA_VOLUME_DATA is the data volume's mount path.
PGBIN=/usr/lib/postgresql/15/bin
PGDATA="$STRATA_VOLUME_DATA/pgdata"
PGHOST="$STRATA_ADDRESS"
PGPORT=5432
export PGDATA PGHOST PGPORT
