#!/usr/bin/env bash
# Starts the bank's PostgreSQL with the schema loaded, builds the client and runs the demo.
#
#   ./setup.sh                 # PostgreSQL on 127.0.0.1:5432
#   BANK_PORT=55432 ./setup.sh # another host port
#
# With a Docker engine: builds the image from Dockerfile and (re)starts its container,
# published on 127.0.0.1 only (trust auth must never face the network). Without one: a
# local cluster from the machine's PostgreSQL in .pgdata/ (git ignores it), loaded with the
# same SQL files the same way. Running it again replaces the container or the cluster.
set -euo pipefail
cd "$(dirname "$0")"

PORT=${BANK_PORT:-5432}
NAME=fun-with-banking
DSN=${BANK_DSN:-"Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=$PORT;Database=bank;Uid=postgres;"}

say() { echo "setup: $*" >&2; }
die() { say "$*"; exit 1; }

# install_or_die WHAT DEBIAN_PACKAGES MACOS_COMMAND: where we can (root on Debian/Ubuntu),
# install; elsewhere say exactly how.
install_or_die() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing $1: apt-get install $2"
        local log
        log=$(mktemp)
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $2; } >"$log" 2>&1 ||
            { cat "$log" >&2; die "could not install $1 (apt-get install $2)"; }
        rm -f "$log"
    else
        die "$1 is missing: on Debian/Ubuntu: sudo apt-get install $2; on macOS: $3"
    fi
}

command -v go >/dev/null || die "Go is missing: on Debian/Ubuntu: sudo apt-get install golang (1.26 or later, or https://go.dev/dl); on macOS: brew install go"
[ -e /usr/include/sql.h ] || [ -e /usr/local/include/sql.h ] || [ -e /opt/homebrew/include/sql.h ] ||
    install_or_die "unixODBC (headers and tools)" "unixodbc unixodbc-dev" "brew install unixodbc"
# The driver's library, not its registration: a removed package can leave its entry behind.
# (find fails on a folder this system lacks, such as /opt/homebrew on Linux; pipefail would
# then call the driver missing even when grep found it.)
{ find /usr/lib /usr/local/lib /opt/homebrew/lib -name psqlodbcw.so 2>/dev/null || true; } | grep -q . ||
    install_or_die "the PostgreSQL ODBC driver" "odbc-postgresql" "brew install psqlodbc"
if [ "$(id -u)" = 0 ]; then
    scripts/register-odbc-driver.sh # as "PostgreSQL Unicode", with CommLog off
elif ! odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1; then
    die "the PostgreSQL ODBC driver is not registered as \"PostgreSQL Unicode\": sudo scripts/register-odbc-driver.sh"
elif odbcinst -q -d -n "PostgreSQL Unicode" | grep -qi '^CommLog=1'; then
    say "note: the ODBC driver logs every connection to /tmp (CommLog=1); sudo scripts/register-odbc-driver.sh turns that off"
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
wait_for_port() {
    for _ in $(seq 1 120); do port_busy && return 0; sleep 0.5; done
    die "PostgreSQL did not start listening on 127.0.0.1:$PORT within a minute"
}

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    say "building the image $NAME-db"
    docker build -q -t "$NAME-db" . >/dev/null
    docker rm -f "$NAME-db" >/dev/null 2>&1 || true
    port_busy && die "127.0.0.1:$PORT is already in use: stop what listens there, or set BANK_PORT"
    docker run -d --name "$NAME-db" -p "127.0.0.1:$PORT:5432" "$NAME-db" >/dev/null
    wait_for_port
    # The entrypoint loads the schema with a private server first; TCP opens only after.
    say "PostgreSQL is up in container $NAME-db on 127.0.0.1:$PORT"
else
    say "no Docker engine here: starting a local PostgreSQL cluster in .pgdata/ instead"
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$bindir" ] || bindir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")
    [ -x "$bindir/initdb" ] || { install_or_die "PostgreSQL (or a Docker engine)" "postgresql" "brew install postgresql@15"; 
        bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); }
    as_pg=()
    if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
    data=$PWD/.pgdata
    if [ -f "$data/data/postmaster.pid" ]; then
        "${as_pg[@]}" "$bindir/pg_ctl" -D "$data/data" -m fast stop >/dev/null 2>&1 || true
    fi
    port_busy && die "127.0.0.1:$PORT is already in use: stop what listens there, or set BANK_PORT"
    rm -rf "$data" && mkdir -p "$data"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$data"; fi
    "${as_pg[@]}" "$bindir/initdb" -D "$data/data" -U postgres -A trust -E UTF8 >/dev/null
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$data/data" -l "$data/server.log" -w \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data" start >/dev/null
    # As the image's entrypoint does: create POSTGRES_DB, then load the files in name order.
    psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres --no-password)
    "${psql[@]}" -d postgres -c 'CREATE DATABASE bank' >/dev/null
    for f in db/init.sql db/procedures.sql; do "${psql[@]}" -d bank -f "$f" >/dev/null; done
    say "PostgreSQL $(basename "$(dirname "$bindir")") is up on 127.0.0.1:$PORT (stop it: ${as_pg[*]} $bindir/pg_ctl -D .pgdata/data stop)"
fi

say "building the client"
go build -o bin/client ./client
say "running: bin/client demo"
BANK_DSN=$DSN exec bin/client demo
