#!/usr/bin/env bash
# The pictures the documents show, made again: `client bench --out` on a throwaway
# PostgreSQL of this machine.
#   docs/img/robinhood-1m/  1,000,000 customers, 40 s, one reader, a Robinhood every 15 s (README)
#   docs/img/restart/       the setup.sh bank in a database of its own, 12 s, the server
#                           restarted (fast) at 4 s and killed (immediate) at 8 s (docs/reliability.md)
#
#   bench/pictures.sh [CUSTOMERS]     default 1000000
set -euo pipefail
N=${1:-1000000}
case $N in "" | *[!0-9]*) echo "pictures: CUSTOMERS is a whole number" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/pg.sh
die() { echo "pictures: $*" >&2; exit 1; }
pg_find_bindir || die "needs PostgreSQL's server programs (apt-get install postgresql)"
work=$(mktemp -d /tmp/bank-pictures.XXXXXX)
chmod 755 "$work"
port=$(pg_free_port) || die "no free port"
trap 'pg_stop "$work/pg" immediate; rm -rf "$work"' EXIT
pg_start "$work/pg" "$port" -c shared_buffers=1GB -c max_wal_size=4GB || die "PostgreSQL did not start"
pg_load_bank "$port"
go build -o "$work/client" ./client
export BANK_PORT=$port

"$work/client" populate --customers "$N" >/dev/null
rm -rf docs/img/robinhood-1m
"$work/client" bench --duration 40s --readers 1 --robinhood-every 15s --progress 1s --out docs/img/robinhood-1m

pg_load_bank "$port" restart
export BANK_DSN
BANK_DSN=$(bank_dsn "$port" restart)
"$work/client" populate >/dev/null
rm -rf docs/img/restart
"$work/client" bench --duration 12s --robinhood-every 1s --progress 1s --out docs/img/restart &
bench=$!
sleep 4
pg_as_owner "$PG_BINDIR/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -m fast -w restart >/dev/null
sleep 4
pg_as_owner "$PG_BINDIR/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -m immediate -w restart >/dev/null
wait "$bench"
# Only the PNG pictures and the JSON are kept in the repository.
rm -f docs/img/*/*.svg
