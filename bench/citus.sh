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
#   audit           bank.audit() (on Citus it first opens one snapshot across workers), median of 3
#   consistent reads transfers/s beside readers calling the functions (REPEATABLE READ, one
#                   snapshot across workers) and beside readers running the same plain SQL
#                   (autocommit, no pause), on both layouts (the coordinator outside and
#                   inside Citus's metadata)
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
. bench/clients.sh
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
ms_db() { # DB SQL: ms of one statement on the Citus coordinator, by psql's \timing
    pg_psql "$cport" "$1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
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

# Reads of every account first in a REPEATABLE READ transaction, as on Citus they must be.
rr="BEGIN ISOLATION LEVEL REPEATABLE READ"
for call in "$rr;SELECT * FROM bank.top_states();COMMIT" "$rr;SELECT * FROM bank.top_customers();COMMIT" \
    "$rr;SELECT * FROM bank.bottom_customers();COMMIT" "$rr;SELECT * FROM bank.audit();COMMIT" \
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

# --- consistent reads beside transfers, on both layouts --------------------------------
# pgbench clients move 0.01 between random accounts over the whole bank (every account
# topped up to at least 100.00 so that none is refused) while two readers read the whole
# bank: bank.audit() and bank.top_customers(), each in a REPEATABLE READ transaction, as
# the client and bank_reader read. Against readers running the same SQL as those functions,
# as a user would write it, in autocommit (no pause, no snapshot across workers: their reads
# may see half a transfer, and are counted), and against no readers. Every audit's total is
# kept and checked against the bank's.
WRITERS=4
reads_bench() { # DB LAYOUT
    local db=$1 layout=$2 total accounts mode t0 tn tg tp
    pg_psql "$cport" "$db" -c "UPDATE bank.accounts SET balance = greatest(balance, 100)" \
        -c "CREATE TABLE IF NOT EXISTS bench_reads (mode text, total numeric)" -c "TRUNCATE bench_reads" >/dev/null
    total=$(pg_psql "$cport" "$db" -A -t -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT total_balance FROM bank.audit()" -c COMMIT)
    accounts=$(pg_psql "$cport" "$db" -A -t -c "SELECT max(account_id) FROM bank.accounts")
    cat >"$work/transfer.sql" <<'SQL'
\set a random(1, :accounts)
\set b random(1, :accounts - 1)
\if :b >= :a
\set b :b + 1
\endif
SELECT bank.transfer(:a, :b, 0.01);
SQL
    cat >"$work/audit-gated.sql" <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT total_balance AS total FROM bank.audit() \gset
COMMIT;
INSERT INTO bench_reads VALUES ('gated', :total);
SQL
    cat >"$work/top-gated.sql" <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM bank.top_customers();
COMMIT;
SQL
    cat >"$work/audit-plain.sql" <<SQL
SELECT (SELECT count(*) FROM bank.customers), (SELECT count(*) FROM bank.accounts),
       (SELECT count(*) FROM bank.customer_accounts), (SELECT coalesce(sum(balance), 0.00) FROM bank.accounts) AS total,
       (SELECT count(*) FROM bank.accounts WHERE balance < 0) \gset
INSERT INTO bench_reads VALUES ('plain', :total);
SQL
    cat >"$work/top-plain.sql" <<SQL
SELECT count(*) FROM (SELECT c.customer_id, c.first_name, c.last_name, c.state, coalesce(t.accounts, 0), coalesce(t.total, 0.00)
    FROM bank.customers c LEFT JOIN bank.customer_totals t ON t.customer_id = c.customer_id
    ORDER BY coalesce(t.total, 0) DESC, c.customer_id LIMIT 10) x;
SQL
    pgb() { "$PG_BINDIR/pgbench" -n -h 127.0.0.1 -p "$cport" -U postgres "$@" "$db" 2>&1; }
    run() { # MODE [RATE]: transfers/s with two readers of MODE (none: no readers)
        local mode=$1 rate=${2:-} readers=
        if [ "$mode" != none ]; then
            # The readers read from before the writers start until they have stopped.
            PGAPPNAME=bench-readers pgb -c 2 -j 2 -T 3600 ${rate:+-R "$rate"} \
                -f "$work/audit-$mode.sql" -f "$work/top-$mode.sql" >"$work/readers.out" &
            readers=$!
            pgb_past "$cport" "$db" bench-readers "$(date +%s%3N)" "$readers" ||
                { cat "$work/readers.out" >&2; die "the readers did not start ($layout, $mode)"; }
        fi
        pgb -c "$WRITERS" -j 2 -M prepared -T "$SECS" -D accounts="$accounts" -f "$work/transfer.sql" >"$work/writers.out" ||
            { cat "$work/writers.out" >&2; die "the transfers failed ($layout, readers $mode)"; }
        if [ -n "$readers" ]; then
            pgb_stop "$cport" "$db" bench-readers "$readers" "$work/readers.out" ||
                { cat "$work/readers.out" >&2; die "the readers failed ($layout, $mode)"; }
        fi
        sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$work/writers.out"
    }
    t0=$(run none); tn=$(run plain); tg=$(run gated); tpn=$(run plain 8); tp=$(run gated 8)
    read -r n_open bad_open n_gated bad_gated <<<"$(pg_psql "$cport" "$db" -A -t -F ' ' -c \
        "SELECT count(*) FILTER (WHERE mode = 'plain'), count(*) FILTER (WHERE mode = 'plain' AND total <> $total),
                count(*) FILTER (WHERE mode = 'gated'), count(*) FILTER (WHERE mode = 'gated' AND total <> $total) FROM bench_reads")"
    verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g ? "met" : "MISSED") }'; }
    echo
    echo "consistent reads, $layout: $WRITERS pgbench clients calling bank.transfer, ${SECS}s each"
    printf '  %-62s %8.0f/s\n' "transfers, no readers" "$t0"
    printf '  %-62s %8.0f/s\n' "transfers, 2 looping readers of the same plain SQL (autocommit)" "$tn"
    printf '  %-62s %8.0f/s  %.2f x plain SQL, goal >= 0.90: %s\n' "transfers, 2 looping readers of the functions" "$tg" \
        "$(calc "$tg / $tn")" "$(verdict "$(calc "$tg / $tn")" 0.9)"
    printf '  %-62s %8.0f/s  %.2f x no readers\n' "transfers, 2 readers of plain SQL, 4 reads/s each" "$tpn" "$(calc "$tpn / $t0")"
    printf '  %-62s %8.0f/s  %.2f x no readers; %.2f x plain SQL\n' "transfers, 2 readers of the functions, 4 reads/s each" "$tp" \
        "$(calc "$tp / $t0")" "$(calc "$tp / $tpn")"
    printf '  %-62s %s of %s audits saw a wrong total\n' "reads of plain SQL" "$bad_open" "$n_open"
    printf '  %-62s %s of %s audits saw a wrong total\n' "reads through the functions" "$bad_gated" "$n_gated"
    [ "$bad_gated" = 0 ] || die "a read through the functions saw a wrong total ($layout)"
    [ "$n_gated" -gt 0 ] || die "no read through the functions ($layout)"
    robinhood_bench "$db" "$layout"
}

# A Robinhood (committed) while the same pgbench clients transfer: its whole time, and the
# longest transfer that overlapped it, against the plain ranking of every customer's total
# alone (median of 3, no writers). Before, a Robinhood on Citus planned under a lock that
# held every transfer for a whole ranking.
robinhood_bench() { # DB LAYOUT
    local db=$1 layout=$2 ranks=() t_rank a b path t_long
    local rank_sql="WITH t AS MATERIALIZED (SELECT * FROM bank.customer_totals)
SELECT (SELECT array_agg(customer_id) FROM (SELECT customer_id FROM t ORDER BY total DESC, customer_id LIMIT 10) a),
       (SELECT array_agg(customer_id) FROM (SELECT customer_id FROM t ORDER BY total, customer_id LIMIT 10) b)"
    for _ in 1 2 3; do ranks+=("$(ms_db "$db" "$rank_sql")"); done
    t_rank=$(median3 "${ranks[@]}")
    mkdir -p "$work/stall-$db" && chmod 777 "$work/stall-$db"
    # The writers run until the Robinhood has ended, however long the machine takes.
    (cd "$work/stall-$db" && PGAPPNAME=bench-writers "$PG_BINDIR/pgbench" -n -h 127.0.0.1 -p "$cport" -U postgres \
        -c "$WRITERS" -j 2 -M prepared -T 3600 -D accounts="$accounts" -l -f "$work/transfer.sql" "$db" >"$work/stall.out" 2>&1) &
    local load=$!
    pgb_past "$cport" "$db" bench-writers "$(date +%s%3N)" "$load" || { cat "$work/stall.out" >&2; die "the writers did not start ($layout)"; }
    a=$(date +%s%3N)
    path=$(pg_psql "$cport" "$db" -A -t -c BEGIN -c 'SELECT count(*) FROM bank.robinhood()' \
        -c "SELECT current_setting('bank.robinhood_path')" -c COMMIT | sed -n 2p)
    b=$(date +%s%3N)
    if ! pgb_past "$cport" "$db" bench-writers "$b" "$load" || ! pgb_stop "$cport" "$db" bench-writers "$load" "$work/stall.out"; then
        cat "$work/stall.out" >&2
        die "pgbench failed during the Robinhood ($layout)"
    fi
    t_long=$(cat "$work/stall-$db"/pgbench_log.* | awk -v a="$a" -v b="$b" '
        { e = $5 * 1000 + $6 / 1000; s = e - $3 / 1000; if (e >= a && s <= b && $3 > m) m = $3; if (e > last) last = e }
        END { if (last < b) { print "short"; exit } printf "%.1f", m / 1000 }')
    [ "$t_long" != short ] || die "the writers stopped before the Robinhood ended ($layout)"
    printf '  %-62s %8s ms  (%s)\n' "Robinhood under the same writers, whole" "$((b - a))" "$path"
    printf '  %-62s %8.0f ms\n' "the plain ranking alone" "$t_rank"
    printf '  %-62s %8.0f ms  %.3f x the ranking alone\n' "longest transfer during the Robinhood" "$t_long" "$(calc "$t_long / $t_rank")"
}
reads_bench bank "coordinator outside the metadata"

# The layout of Citus's own guide: the coordinator registered before the workers, in a
# second database of the same cluster, loaded with the same bank.
for i in 0 1 2; do
    pg_psql $((cport + i)) postgres -c 'CREATE DATABASE bank_guide' >/dev/null
    pg_psql $((cport + i)) bank_guide -c 'CREATE EXTENSION citus' >/dev/null
done
pg_psql "$cport" bank_guide -c "SELECT citus_set_coordinator_host('127.0.0.1', $cport)" \
    -c "SELECT citus_add_node('127.0.0.1', $((cport + 1)))" -c "SELECT citus_add_node('127.0.0.1', $((cport + 2)))" >/dev/null
pg_psql "$cport" bank_guide -v shards="$SHARDS" -f db/init.sql -f db/procedures.sql -f db/citus/distribute.sql >/dev/null
BANK_DSN=$(bank_dsn "$cport" bank_guide) "$work/client" populate --customers "$N" >/dev/null 2>&1 ||
    die "populate failed on the guide's layout"
reads_bench bank_guide "coordinator in the metadata"
