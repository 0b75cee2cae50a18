#!/usr/bin/env bash
# The bank on Citus with a network between its nodes, simulated: a TCP proxy in front of
# each worker (bench/delayproxy) delays every byte each way, so that every connection the
# coordinator makes to a worker crosses that delay, as between machines. The kernel here
# has no netem. Delays of 0, 0.5 ms (machines in one zone) and 2 ms (across zones), each
# way; against one node on this machine, in the same run.
#
#   bench/citus-latency.sh [CUSTOMERS]     default 20000
#
# For each: transfers/s of 4 pgbench clients calling bank.transfer between random accounts
# (10 s, or BENCH_TPS_SECONDS), a consistent bank.audit() and bank.top_customers() (each
# first in a REPEATABLE READ transaction, median of 3) and bank.robinhood() (rolled back,
# median of 3). The client, the coordinator and both workers share this machine's cores:
# the delay is simulated, the CPU is not multiplied.
set -euo pipefail
N=${1:-20000}
case $N in "" | *[!0-9]*) echo "citus-latency: CUSTOMERS is a whole number" >&2; exit 2 ;; esac
SECS=${BENCH_TPS_SECONDS:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/pg.sh
die() { echo "citus-latency: $*" >&2; exit 1; }
pg_find_bindir && [ -x "$PG_BINDIR/pgbench" ] || die "needs PostgreSQL's server programs and pgbench"
citus_installed || die "needs Citus (docs/citus.md)"

work=$(mktemp -d /tmp/bank-citus-latency.XXXXXX)
chmod 755 "$work"
proxies=()
stop_proxies() { for p in "${proxies[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; proxies=(); }
cleanup() {
    stop_proxies
    pg_stop "$work/single" immediate
    for n in coordinator worker1 worker2; do pg_stop "$work/$n" immediate; done
    rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/client" ./client
go build -o "$work/delayproxy" ./bench/delayproxy

single=$(pg_free_port) && coord=$(pg_free_port) && w1=$(pg_free_port) && w2=$(pg_free_port) &&
    p1=$(pg_free_port) && p2=$(pg_free_port) || die "no free port"
pg_start "$work/single" "$single" || die "one node did not start"
pg_load_bank "$single"
for n in "coordinator $coord" "worker1 $w1" "worker2 $w2"; do
    set -- $n
    pg_start "$work/$1" "$2" -c shared_preload_libraries=citus -c max_prepared_transactions=200 || die "$1 did not start"
    pg_psql "$2" postgres -c 'CREATE DATABASE bank' >/dev/null
    pg_psql "$2" bank -c 'CREATE EXTENSION citus' >/dev/null
done
start_proxies() { # DELAY
    stop_proxies
    "$work/delayproxy" -listen "127.0.0.1:$p1" -to "127.0.0.1:$w1" -delay "$1" & proxies+=($!)
    "$work/delayproxy" -listen "127.0.0.1:$p2" -to "127.0.0.1:$w2" -delay "$1" & proxies+=($!)
    # Both listen before the next step connects through them, however long they take to start.
    for p in "$p1" "$p2"; do
        until pg_port_busy "$p"; do kill -0 "${proxies[@]}" 2>/dev/null || die "a delay proxy died"; sleep 0.1; done
    done
}
start_proxies 0s
# The workers are known to Citus by their proxies' ports: every connection to them crosses one.
pg_psql "$coord" bank -c "SELECT citus_add_node('127.0.0.1', $p1)" -c "SELECT citus_add_node('127.0.0.1', $p2)" >/dev/null
pg_psql "$coord" bank -f db/init.sql -f db/procedures.sql -f db/citus/distribute.sql >/dev/null 2>&1 ||
    die "the bank did not load on Citus"
for p in "$single" "$coord"; do
    BANK_PORT=$p "$work/client" populate --customers "$N" >/dev/null 2>&1 || die "populate failed on port $p"
    pg_psql "$p" bank -c "UPDATE bank.accounts SET balance = greatest(balance, 100)" >/dev/null
done
accounts=$(pg_psql "$coord" bank -A -t -c "SELECT max(account_id) FROM bank.accounts")
cat >"$work/transfer.sql" <<'SQL'
\set a random(1, :accounts)
\set b random(1, :accounts - 1)
\if :b >= :a
\set b :b + 1
\endif
SELECT bank.transfer(:a, :b, 0.01);
SQL

calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
ms() { # PORT SQL...: ms of the statements, by psql's \timing
    local port=$1; shift
    local args=(-c '\timing on')
    for s in "$@"; do args+=(-c "$s"); done
    pg_psql "$port" bank "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ t += $1 } END { printf "%.3f", t }'
}
rr="BEGIN ISOLATION LEVEL REPEATABLE READ"
figures() { # PORT: transfers/s, audit ms, top_customers ms, robinhood ms
    local port=$1 tps a=() t=() r=()
    tps=$("$PG_BINDIR/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c 4 -j 2 -M prepared -T "$SECS" \
        -D accounts="$accounts" -f "$work/transfer.sql" bank 2>&1 | sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p')
    [ -n "$tps" ] || die "pgbench failed on port $port"
    for _ in 1 2 3; do
        a+=("$(ms "$port" "$rr" "SELECT * FROM bank.audit()" COMMIT)")
        t+=("$(ms "$port" "$rr" "SELECT * FROM bank.top_customers()" COMMIT)")
        r+=("$(ms "$port" BEGIN "SELECT * FROM bank.robinhood()" ROLLBACK)")
    done
    echo "$tps $(median3 "${a[@]}") $(median3 "${t[@]}") $(median3 "${r[@]}")"
}
read -r s_tps s_audit s_top s_rh <<<"$(figures "$single")"
printf '%-26s %12s' "figure ($N customers)" "one node"
declare -A col
delays=(0s 500us 2ms)
for d in "${delays[@]}"; do
    start_proxies "$d"
    col[$d]=$(figures "$coord")
    printf ' %18s' "Citus, $d"
done
# The proxies' own cost: the workers known by their own ports again, no proxy between.
pg_psql "$coord" bank -c "SELECT citus_update_node(nodeid, '127.0.0.1', CASE nodeport WHEN $p1 THEN $w1 ELSE $w2 END)
                          FROM pg_dist_node WHERE nodeport IN ($p1, $p2)" >/dev/null
stop_proxies
delays+=(direct)
col[direct]=$(figures "$coord")
printf ' %18s' "Citus, no proxy"
echo
line() { # NAME INDEX ONE_NODE FORMAT
    printf '%-26s %12s' "$1" "$(printf "$4" "$3")"
    for d in "${delays[@]}"; do
        v=$(echo "${col[$d]}" | cut -d' ' -f"$2")
        printf ' %18s' "$(printf "$4" "$v") ($(printf '%.2f' "$(calc "$v / $3")"))"
    done
    echo
}
line "transfers/s, 4 clients" 1 "$s_tps" '%.0f'
line "audit(), ms" 2 "$s_audit" '%.0f'
line "top_customers(), ms" 3 "$s_top" '%.0f'
line "robinhood(), ms" 4 "$s_rh" '%.0f'
echo "(in brackets: x one node; the delay is each way, between the coordinator and each worker; the last column has no proxy at all)"
