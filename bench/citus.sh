#!/usr/bin/env bash
# The bank on Citus against the bank on one node, side by side in one run: the same seeded
# bank on each, the same calls, each figure with its single-node anchor and their ratio.
#
#   bench/citus.sh [CUSTOMERS] [SHARDS]     defaults 100000 and 8
#
# It starts a single PostgreSQL and a Citus cluster (a coordinator and two workers) from
# this machine's server programs, on free ports, and measures on each:
#   populate        `client populate` (one transaction, keys built after)
#   reports         each function through psql, median of 3
#   robinhood       bank.robinhood(), rolled back, median of 3
#   audit           bank.audit() (on Citus it takes bank.read_lock()), median of 3
#   transfers/s     `client bench`, 8 workers, transfers only, then with 2 readers
# Answers must be equal on both (the run fails otherwise). All three Citus nodes share this
# machine's cores with the client: the ratios say what distribution costs here, not what
# it gains on three machines.
set -euo pipefail
N=${1:-100000}
SHARDS=${2:-8}
case $N$SHARDS in *[!0-9]*) echo "citus-bench: CUSTOMERS and SHARDS are whole numbers" >&2; exit 2 ;; esac
SECS=${BENCH_TPS_SECONDS:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/pg.sh
die() { echo "citus-bench: $*" >&2; exit 1; }
pg_find_bindir || die "needs PostgreSQL's server programs (apt-get install postgresql)"
citus_installed || die "needs Citus (docs/citus.md)"

work=$(mktemp -d /tmp/bank-citus-bench.XXXXXX)
chmod 755 "$work"
single=$(pg_free_port) && cport=$(pg_free_port) || die "no free port"
cleanup() { pg_stop "$work/single" immediate; citus_stop "$work/citus" immediate; rm -rf "$work"; }
trap cleanup EXIT
opts=(-c shared_buffers=1GB -c max_wal_size=4GB)
pg_start "$work/single" "$single" "${opts[@]}" || die "single node did not start"
pg_load_bank "$single"
PG_START_OPTS="${opts[*]}" citus_start "$work/citus" "$cport" || die "Citus did not start"
pg_psql "$cport" bank -v shards="$SHARDS" -f db/init.sql -f db/procedures.sql -f db/citus/distribute.sql >/dev/null
go build -o "$work/client" ./client

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
ms() { # PORT SQL...: total ms of the statements, by psql's \timing
    local port=$1; shift
    local args=(-c '\timing on')
    for s in "$@"; do args+=(-c "$s"); done
    pg_psql "$port" bank "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ t += $1 } END { printf "%.3f", t }'
}
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
printf '%-36s %14s %14s %7s\n' "figure ($N customers, $SHARDS shards)" "Citus" "one node" "ratio"
row() { printf '%-36s %14s %14s %7s\n' "$1" "$2" "$3" "$(printf '%.2f' "$(calc "$4 / $5")")"; }

declare -A pop
for p in "$single" "$cport"; do
    t0=$(now)
    BANK_PORT=$p "$work/client" populate --customers "$N" >/dev/null 2>&1 || die "populate failed on port $p"
    pop[$p]=$(calc "$(now) - $t0")
done
row "populate" "$(printf '%.2f s' "${pop[$cport]}")" "$(printf '%.2f s' "${pop[$single]}")" "${pop[$cport]}" "${pop[$single]}"

for call in "SELECT * FROM bank.top_states()" "SELECT * FROM bank.top_customers()" \
    "SELECT * FROM bank.bottom_customers()" "SELECT * FROM bank.audit()" \
    "BEGIN;SELECT * FROM bank.robinhood();ROLLBACK"; do
    IFS=';' read -r -a stmts <<<"$call"
    [ "$(pg_psql "$single" bank -A -t "${stmts[@]/#/-c}")" = "$(pg_psql "$cport" bank -A -t "${stmts[@]/#/-c}")" ] ||
        die "$call answers differently on Citus"
    c=() s=()
    for _ in 1 2 3; do c+=("$(ms "$cport" "${stmts[@]}")"); s+=("$(ms "$single" "${stmts[@]}")"); done
    mc=$(median3 "${c[@]}"); msn=$(median3 "${s[@]}")
    name=$(echo "$call" | sed 's/.*FROM \(bank\.[a-z_]*()\).*/\1/')
    row "$name" "$(printf '%.0f ms' "$mc")" "$(printf '%.0f ms' "$msn")" "$mc" "$msn"
done

tps() { # PORT READERS: committed transfers/s of client bench
    BANK_PORT=$1 "$work/client" bench --workers 8 --readers "$2" --robinhood-every 0 --max-amount 100 \
        --duration "${SECS}s" >"$work/bench.out" || { cat "$work/bench.out" >&2; die "client bench failed on port $1"; }
    grep -q 'verdict *OK' "$work/bench.out" || { cat "$work/bench.out" >&2; die "client bench FAILED on port $1"; }
    sed -n 's/^transfers *[0-9]* committed (\([0-9.]*\)\/s).*/\1/p' "$work/bench.out"
}
for readers in 0 2; do
    tc=$(tps "$cport" "$readers"); ts=$(tps "$single" "$readers")
    row "transfers/s, 8 workers, $readers readers" "$(printf '%.0f' "$tc")" "$(printf '%.0f' "$ts")" "$tc" "$ts"
done
