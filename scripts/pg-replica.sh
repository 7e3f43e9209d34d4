#!/usr/bin/env bash
# A local streaming standby of the PostgreSQL on 127.0.0.1:5432 (issue 28), for trying DATABASE_READ_URL and for
# the read-replica tests: a second cluster on another port made with pg_basebackup, replaying the primary's WAL.
#
#   scripts/pg-replica.sh start    # prints: export TEST_PG_REPLICA_URL=postgres://postgres@127.0.0.1:5433/postgres
#   scripts/pg-replica.sh status
#   scripts/pg-replica.sh stop
#
# Settings: PRIMARY_PORT (5432), REPLICA_PORT (5433), REPLICA_DIR (/tmp/pg-replica-<port>). The primary must allow
# replication connections from 127.0.0.1; when its pg_hba.conf has no replication line, one with `trust` is added
# and the configuration reloaded (a local development or CI cluster only). Run as root or as postgres.
set -euo pipefail

primary_port="${PRIMARY_PORT:-5432}"
port="${REPLICA_PORT:-5433}"
dir="${REPLICA_DIR:-/tmp/pg-replica-$port}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -n "$bin" ] || { echo "no PostgreSQL binaries under /usr/lib/postgresql" >&2; exit 1; }

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
psql_primary() { psql -h 127.0.0.1 -p "$primary_port" -U postgres -Atqc "$1"; }
url="postgres://postgres@127.0.0.1:$port/postgres"

case "${1:-start}" in
start)
    if pg_isready -q -h 127.0.0.1 -p "$port"; then
        echo "export TEST_PG_REPLICA_URL=$url"
        exit 0
    fi
    hba="$(psql_primary 'SHOW hba_file')"
    if ! grep -qE '^[[:space:]]*host[[:space:]]+replication' "$hba"; then
        echo "host replication all 127.0.0.1/32 trust" >>"$hba"
        psql_primary 'SELECT pg_reload_conf()' >/dev/null
        echo "added a replication line to $hba" >&2
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    chown postgres "$dir" 2>/dev/null || true
    chmod 700 "$dir"
    # -R writes standby.signal and primary_conninfo: the copy starts as a hot standby streaming from the primary.
    as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir" -R -X stream -c fast >&2
    # Debian keeps a cluster's configuration outside its data directory: the copy gets its own, minimal.
    if [ ! -f "$dir/postgresql.conf" ]; then
        printf '%s\n' "hba_file = '$dir/pg_hba.conf'" "ident_file = '$dir/pg_ident.conf'" >"$dir/postgresql.conf"
        printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" >"$dir/pg_hba.conf"
        : >"$dir/pg_ident.conf"
        chown postgres "$dir/postgresql.conf" "$dir/pg_hba.conf" "$dir/pg_ident.conf" 2>/dev/null || true
    fi
    as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c hot_standby=on -c max_connections=200" \
        start >&2
    for _ in $(seq 30); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 1
    done
    pg_isready -q -h 127.0.0.1 -p "$port" || { cat "$dir/server.log" >&2; exit 1; }
    [ "$(psql -h 127.0.0.1 -p "$port" -U postgres -Atqc 'SELECT pg_is_in_recovery()')" = t ] \
        || { echo "the copy on port $port is not a standby" >&2; exit 1; }
    echo "export TEST_PG_REPLICA_URL=$url"
    ;;
status)
    if pg_isready -q -h 127.0.0.1 -p "$port"; then
        psql -h 127.0.0.1 -p "$port" -U postgres -Atc \
            "SELECT 'standby: ' || pg_is_in_recovery() || ', replayed ' || pg_last_wal_replay_lsn() \
             || ', lag ' || COALESCE(now() - pg_last_xact_replay_timestamp(), interval '0')"
        psql_primary "SELECT 'primary sends to ' || client_addr || ' state ' || state FROM pg_stat_replication"
    else
        echo "no standby on port $port"
        exit 1
    fi
    ;;
stop)
    if [ -d "$dir" ]; then
        as_postgres "$bin/pg_ctl" -D "$dir" -m fast -w stop >&2 || true
        rm -rf "$dir"
    fi
    ;;
*)
    echo "usage: $0 start|status|stop" >&2
    exit 2
    ;;
esac
