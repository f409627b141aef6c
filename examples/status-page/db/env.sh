# Shared settings of the db hooks. STRATA_VOLUME_DATA is the data volume's mount path.
# The newest PostgreSQL installed (Debian and Ubuntu keep each major version in its own folder).
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA="$STRATA_VOLUME_DATA/pgdata"
PGHOST="$STRATA_ADDRESS"
PGPORT=5432
export PGDATA PGHOST PGPORT

# PostgreSQL's server programs refuse to run as root. As root they run in a user namespace of their own, as an
# unprivileged user there that is still root outside, so the data folder needs no other owner and every folder
# above it stays as it is. As anyone else they run as that user.
as_db_owner() {
  if [ "$(id -u)" = 0 ]; then
    exec_prefix="unshare --user --map-user=1 --map-group=1 --"
  else
    exec_prefix=""
  fi
  $exec_prefix "$@"
}
