#!/usr/bin/env bash
# Starts the bank's PostgreSQL with the schema loaded, builds the client and runs the demo.
#
#   ./setup.sh            # Docker if an engine answers, else a local cluster
#   ./setup.sh --docker   # the Dockerfile's image in a container (fails without an engine)
#   ./setup.sh --local    # a cluster from this machine's PostgreSQL, in .pgdata/
#   ./setup.sh --citus    # a local Citus cluster (coordinator + 2 workers) in .pgdata/
#
#   BANK_PORT=55432 ./setup.sh        # the host port (default 5432; Citus workers take +1, +2)
#   BANK_CONTAINER=mybank ./setup.sh  # the container's name (default: one per checkout)
#
# The container is published on 127.0.0.1 only: trust auth must never face the network.
# Running it again replaces the container (and its volume) or the cluster.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/pg.sh

mode=auto
case "${1:-}" in
"") ;;
--docker | --local | --citus) mode=${1#--} ;;
-h | --help) sed -n '2,13p' "$0" | cut -c3-; exit 0 ;;
*) echo "setup: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

PORT=${BANK_PORT:-5432}
case $PORT in '' | *[!0-9]*) echo "setup: BANK_PORT must be a port number, got '$PORT'" >&2; exit 2 ;; esac
# One container per checkout, so that two checkouts on one host keep out of each other's way.
NAME=${BANK_CONTAINER:-fun-with-banking-$(printf %s "$PWD" | cksum | cut -d' ' -f1)}
IMAGE=fun-with-banking-db
DSN=$(bank_dsn "$PORT")
READY_TIMEOUT=${BANK_READY_TIMEOUT:-90s}

say() { echo "setup: $*" >&2; }
die() { say "$*"; exit 1; }

# fresh_pgdata: an empty .pgdata for the cluster. As root the server runs as postgres, who
# may not enter this checkout (unpacked under /root, mode 700): the files then live under
# /var/tmp, and .pgdata points there.
fresh_pgdata() {
    [ -L .pgdata ] && rm -rf "$(readlink .pgdata)"
    rm -rf .pgdata
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
        local real
        real=/var/tmp/fun-with-banking-$(printf %s "$PWD" | cksum | cut -d' ' -f1)
        rm -rf "$real" && mkdir -p "$real" && ln -s "$real" .pgdata
        say "the postgres user may not enter $PWD: the cluster's files are in $real (.pgdata points there)"
    fi
}

# Go 1.22 or later (go.mod). Debian 12's golang is 1.19; Ubuntu 24.04's golang-go is 1.22.
go_hint="https://go.dev/dl (Debian 12's own golang is 1.19, too old; on Ubuntu 24.04: sudo apt-get install golang-go; on macOS: brew install go)"
command -v go >/dev/null || die "Go 1.22 or later is missing: $go_hint"
go_minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
[ "${go_minor:-0}" -ge 22 ] || die "Go $(go env GOVERSION) is too old, 1.22 or later is needed: $go_hint"

# Everything missing is gathered first, so that one line names it all and one apt-get
# brings it: what the build needs, then what `make test` needs.
need=()
# cgo builds the ODBC binding: without a C compiler Go builds no cgo at all, and the build
# fails far from the cause ("undefined: SQLSMALLINT").
command -v cc >/dev/null || command -v gcc >/dev/null || need+=(gcc libc6-dev)
[ -e /usr/include/sql.h ] || [ -e /usr/local/include/sql.h ] || [ -e /opt/homebrew/include/sql.h ] ||
    need+=(unixodbc unixodbc-dev)
# The driver's library, not its registration: a removed package can leave its entry behind.
# (find fails on a folder this system lacks, such as /opt/homebrew on Linux; pipefail would
# then call the driver missing even when grep found it.)
{ find /usr/lib /usr/local/lib /opt/homebrew/lib -name psqlodbcw.so 2>/dev/null || true; } | grep -q . ||
    need+=(odbc-postgresql)
build=${#need[@]}
# make test: make, PostgreSQL's server programs (the tests start their own servers, whatever
# mode runs the bank), and where the Go tests are, the Python drivers they use, in their Python.
command -v make >/dev/null || need+=(make)
pg_find_bindir || need+=(postgresql)
if compgen -G 'client/internal/bank/*_test.go' >/dev/null; then
    for m in pyodbc psycopg asyncpg; do /usr/bin/python3 -c "import $m" 2>/dev/null || need+=("python3-$m"); done
fi
# Debian's postgresql package would create and start a cluster of its own on 5432, the
# bank's default port: this setting, made before it is installed, asks it not to.
nocluster=/etc/postgresql-common/createcluster.d/fun-with-banking.conf
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing what is missing: apt-get install ${need[*]}"
    [[ " ${need[*]} " != *" postgresql "* ]] || { mkdir -p "${nocluster%/*}" && echo "create_main_cluster = false" >"$nocluster"; }
    # Another apt may hold the lock (unattended upgrades, at a cloud machine's first boot):
    # install waits for it (DPkg::Lock::Timeout), update does not, and is tried again.
    log=$(mktemp) waited=0
    until apt-get update -qq >"$log" 2>&1; do
        if ! grep -q 'Could not get lock' "$log" || [ $((waited += 2)) -gt 600 ]; then cat "$log" >&2; die "apt-get update failed"; fi
        [ "$waited" != 2 ] || say "waiting for another apt: $(grep -m1 -o 'held by.*' "$log")"
        sleep 2
    done
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
        "${need[@]}" >"$log" 2>&1 || { cat "$log" >&2; die "could not install them"; }
    rm -f "$log"
elif [ ${#need[@]} -gt 0 ]; then
    hint="sudo apt-get install -o DPkg::Lock::Timeout=600 ${need[*]}"
    [[ " ${need[*]} " != *" postgresql "* ]] ||
        hint="sudo mkdir -p ${nocluster%/*} && echo 'create_main_cluster = false' | sudo tee $nocluster >/dev/null && $hint"
    [[ " ${need[*]} " != *" odbc-postgresql "* ]] || hint="$hint && sudo scripts/register-odbc-driver.sh"
    command -v apt-get >/dev/null || hint="(on macOS) xcode-select --install; brew install unixodbc psqlodbc postgresql@15"
    say "missing: ${need[*]}; to install them all: $hint"
    [ "$build" = 0 ] || exit 1
    say "going on: only make test needs them"
fi
if [ "$(id -u)" = 0 ]; then
    scripts/register-odbc-driver.sh # as "PostgreSQL Unicode", with CommLog off
elif ! odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1; then
    die "the PostgreSQL ODBC driver is not registered as \"PostgreSQL Unicode\": sudo scripts/register-odbc-driver.sh"
elif odbcinst -q -d -n "PostgreSQL Unicode" | grep -qiE '^CommLog[[:space:]]*=[[:space:]]*[1-9]'; then
    say "note: the ODBC driver writes a log file into /tmp for every program that connects (CommLog=1): sudo scripts/register-odbc-driver.sh turns that off"
fi

if [ "$mode" = auto ]; then
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then mode=docker; else
        say "no Docker engine here: starting a local PostgreSQL cluster in .pgdata/ instead"
        mode=local
    fi
fi
if [ "$mode" = docker ]; then
    command -v docker >/dev/null && docker info >/dev/null 2>&1 ||
        die "--docker needs a running Docker engine ('docker info' fails); ./setup.sh --local uses this machine's PostgreSQL"
fi

# The client first: with an empty module cache its first build fetches and compiles the
# modules, about a minute; later builds take a second.
[ -x bin/client ] || say "building the client (the first build fetches its Go modules: about a minute)"
go build -o bin/client ./client

# Every mode stops what an earlier run of this checkout started, so a re-run replaces it.
if command -v docker >/dev/null && docker info >/dev/null 2>&1 &&
    docker container inspect "$NAME" >/dev/null 2>&1; then
    docker rm -f -v "$NAME" >/dev/null # -v: the image's data VOLUME goes with it
fi
if pg_find_bindir; then
    pg_stop .pgdata
    citus_stop .pgdata/citus
fi
# Most often, the cluster a distribution's postgresql package started.
c=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p && /online/ { print $1, $2 }')
pg_port_busy "$PORT" && die "127.0.0.1:$PORT is already in use${c:+ by the cluster $c of this system (sudo pg_dropcluster --stop $c removes it)}: stop what listens there, or set BANK_PORT"

started=
case $mode in
docker)
    say "building the image $IMAGE"
    log=$(mktemp)
    docker build -q -t "$IMAGE" . >"$log" 2>&1 || { cat "$log" >&2; die "docker build failed"; }
    rm -f "$log"
    docker run -d --name "$NAME" -p "127.0.0.1:$PORT:5432" "$IMAGE" >/dev/null
    started="in container $NAME (stop it: docker rm -f -v $NAME)"
    ;;
local | citus)
    pg_find_bindir || die "a local cluster needs PostgreSQL's server programs (the line above installs them), or start a Docker engine"
    fresh_pgdata
    if [ "$mode" = local ]; then
        pg_start .pgdata "$PORT" || die "could not start PostgreSQL (log: .pgdata/server.log)"
        pg_load_bank "$PORT"
        # Absolute, and as root from /: the command works from any folder.
        stop="$PG_BINDIR/pg_ctl -D $(cd .pgdata && pwd -P)/data stop"
        [ "$(id -u)" != 0 ] || stop="(cd / && runuser -u postgres -- $stop)"
        started="in .pgdata/ (stop it: $stop)"
    else
        [ -f db/citus/distribute.sql ] ||
            die "this copy has no Citus layout (db/citus/): it is in the project's repository"
        citus_installed ||
            die "Citus is not installed for $PG_BINDIR (see docs/citus.md)"
        for p in $((PORT + 1)) $((PORT + 2)); do
            pg_port_busy "$p" && die "127.0.0.1:$p is already in use (Citus workers take BANK_PORT+1 and +2)"
        done
        citus_start .pgdata/citus "$PORT" || die "could not start the Citus cluster (logs: .pgdata/citus/*/server.log)"
        citus_load_bank "$PORT"
        started="as a Citus coordinator with workers on $((PORT + 1)) and $((PORT + 2)) (stop it: (cd $PWD && . scripts/pg.sh && pg_find_bindir && citus_stop .pgdata/citus))"
    fi
    ;;
esac

# Ready means the bank answers over ODBC, as the client connects: Docker's port proxy
# accepts TCP long before PostgreSQL in the container has loaded the schema.
t0=$(date +%s%N)
if ! bin/client --dsn "$DSN" wait --timeout "$READY_TIMEOUT"; then
    if [ "$mode" = docker ]; then
        say "the container's last log lines:"
        docker logs --tail 20 "$NAME" >&2 || true
    fi
    die "the bank did not become ready within $READY_TIMEOUT"
fi
say "the bank is ready on 127.0.0.1:$PORT $started, after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
say "running: bin/client demo"
BANK_DSN=$DSN bin/client demo
say "reach it again with: export BANK_DSN='$DSN'; bin/client call top-states"
say "                 or: psql -h 127.0.0.1 -p $PORT -U postgres bank"
