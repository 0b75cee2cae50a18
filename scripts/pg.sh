# Shell helpers for starting throwaway PostgreSQL clusters from the machine's own server
# programs: sourced by setup.sh, bench/run.sh and .ci/run, so that each starts a server the
# same way. PostgreSQL refuses to run as root: as root, the programs run as "postgres".
#
#   . scripts/pg.sh
#   pg_find_bindir || exit 1     # sets PG_BINDIR
#   pg_start DIR PORT [-c name=value ...]
#   pg_stop DIR
#   bank_dsn PORT [DATABASE]     # the client's ODBC connection string
#   citus_start DIR PORT; citus_load_bank PORT; citus_stop DIR

BANK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The ODBC connection string every tool and document uses, for a port and a database.
bank_dsn() { echo "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=$1;Database=${2:-bank};Uid=postgres;"; }

# PG_BINDIR: the newest /usr/lib/postgresql/N/bin (Debian's layout), or initdb's folder.
pg_find_bindir() {
    PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$PG_BINDIR" ] || [ ! -x "$PG_BINDIR/initdb" ]; then
        PG_BINDIR=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")
    fi
    [ -x "$PG_BINDIR/initdb" ]
}

# From /: in a folder postgres may not enter (under /root), each program says "could not
# change directory" and finds no relative path.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# pg_port_busy PORT: something accepts TCP connections on 127.0.0.1:PORT.
pg_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pg_free_port: a loopback port nothing answers on.
pg_free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 12000)) # below the ephemeral range, where outgoing connections take theirs
        if ! pg_port_busy "$p"; then echo "$p"; return 0; fi
    done
    return 1
}

# pg_start DIR PORT [server options...]: initdb DIR/data (trust, UTF8) and start it on
# 127.0.0.1:PORT with its socket in DIR; its log is DIR/server.log.
pg_start() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P) # the server runs elsewhere: its socket folder must be absolute, and real
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    pg_as_owner "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null || return 1
    pg_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir $*" start >/dev/null ||
        { tail -n 20 "$dir/server.log" >&2; return 1; }
}

# pg_stop DIR [MODE]: stop the cluster in DIR/data if it runs (mode fast by default).
pg_stop() {
    [ -f "$1/data/postmaster.pid" ] || return 0
    pg_as_owner "$PG_BINDIR/pg_ctl" -D "$(cd "$1" && pwd -P)/data" -m "${2:-fast}" stop >/dev/null 2>&1 || true
}

# pg_psql PORT DATABASE ARGS...: psql over TCP, stopping at the first error, as the official
# image's entrypoint loads its files.
pg_psql() {
    local port=$1 db=$2
    shift 2
    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres --no-password -d "$db" "$@"
}

# pg_load_bank PORT [DATABASE]: create the database (bank) and load db/init.sql, then
# db/procedures.sql, as the image's entrypoint does.
pg_load_bank() {
    local db=${2:-bank}
    pg_psql "$1" postgres -c "CREATE DATABASE $db" >/dev/null &&
        pg_psql "$1" "$db" -f "$BANK_ROOT/db/init.sql" -f "$BANK_ROOT/db/procedures.sql" >/dev/null
}

# citus_installed: the server programs found by pg_find_bindir have the citus extension.
citus_installed() { [ -f "$("$PG_BINDIR/pg_config" --pkglibdir 2>/dev/null || echo /nonexistent)/citus.so" ]; }

# citus_start DIR PORT: a Citus cluster on this machine, a coordinator on PORT and two
# workers on PORT+1 and PORT+2 (DIR/coordinator, DIR/worker1, DIR/worker2), each with the
# database bank and the citus extension, the workers added to the coordinator.
citus_start() {
    local dir=$1 port=$2 i node
    for i in 0 1 2; do
        node=$dir/worker$i
        [ "$i" = 0 ] && node=$dir/coordinator
        # shellcheck disable=SC2086 # PG_START_OPTS: more server options, split on spaces
        pg_start "$node" $((port + i)) -c shared_preload_libraries=citus -c max_prepared_transactions=200 ${PG_START_OPTS:-} || return 1
        pg_psql $((port + i)) postgres -c 'CREATE DATABASE bank' >/dev/null &&
            pg_psql $((port + i)) bank -c 'CREATE EXTENSION citus' >/dev/null || return 1
    done
    pg_psql "$port" bank \
        -c "SELECT citus_add_node('127.0.0.1', $((port + 1)))" \
        -c "SELECT citus_add_node('127.0.0.1', $((port + 2)))" >/dev/null
}

# citus_stop DIR: stop every node of a cluster citus_start made.
citus_stop() {
    local node
    for node in "$1"/coordinator "$1"/worker*; do pg_stop "$node" "${2:-fast}"; done
}

# citus_load_bank PORT: load the schema on the coordinator and distribute it.
citus_load_bank() {
    pg_psql "$1" bank -f "$BANK_ROOT/db/init.sql" -f "$BANK_ROOT/db/procedures.sql" \
        -f "$BANK_ROOT/db/citus/distribute.sql" >/dev/null
}
