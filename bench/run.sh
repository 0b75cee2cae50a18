#!/usr/bin/env bash
# The bank's benchmark: every figure beside an anchor measured on the same server in the
# same run, and their ratio. These machines are shared and noisy; ratios travel, seconds
# do not.
#
#   bench/run.sh [CUSTOMERS]        default 20000 (about a minute); the README shows 1000000
#
# It starts its own throwaway PostgreSQL (initdb + pg_ctl in a temporary folder, on a free
# port), builds the client, and measures:
#   populate        `client populate` into the empty schema, against psql \copy of the very
#                   same rows (exported from the populated bank) into the same empty schema,
#                   with the keys built the same way (bank.load_begin/load_finish), in one
#                   transaction each
#   peak RSS        populate at CUSTOMERS against populate at 10,000 customers
#   reports         each function through psql against hand-written SQL for the same answer
#                   (bench/anchors/*.sql), median of 3 runs each, interleaved
#   robinhood       bank.robinhood() against bench/anchors/robinhood.sql, both rolled back
#   transfers/s     `client bench` (8 workers, only transfers) against pgbench's built-in
#                   tpcb-like workload at 8 clients, one after the other
# An answer that differs from its anchor's fails the run (exit 1). A ratio outside its goal
# is reported as MISSED; with --strict it fails the run too.
set -euo pipefail

strict=0
if [ "${1:-}" = "--strict" ]; then strict=1; shift; fi
N=${1:-20000}
case $N in '' | *[!0-9]*) echo "bench: CUSTOMERS must be a whole number, got '$N'" >&2; exit 2 ;; esac
[ "$N" -ge 10000 ] || { echo "bench: CUSTOMERS must be at least 10000 (the RSS baseline), got $N" >&2; exit 2; }
CLIENTS=8
TPS_SECONDS=${BENCH_TPS_SECONDS:-15}
root=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "bench: $*" >&2; exit 1; }
. "$root/scripts/pg.sh"
pg_find_bindir && [ -x "$PG_BINDIR/pgbench" ] || die "needs PostgreSQL's server programs and pgbench (apt-get install postgresql)"
bindir=$PG_BINDIR
[ -x /usr/bin/time ] || die "needs GNU time for peak RSS (apt-get install time)"
odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1 || die "needs the ODBC driver registered as \"PostgreSQL Unicode\" (scripts/register-odbc-driver.sh)"

work=$(mktemp -d /tmp/bank-bench.XXXXXX)
chmod 755 "$work"
port=$(pg_free_port) || die "no free port found"
cleanup() {
    pg_stop "$work" immediate
    rm -rf "$work"
}
trap cleanup EXIT

# One server for every figure and its anchor. WAL may grow, so checkpoints do not land in
# the middle of one measurement and not its anchor's; shared_buffers is sized for a bank
# of a million customers (about 1 GB with its indexes), not PostgreSQL's 128 MB default.
pg_start "$work" "$port" -c shared_buffers=2GB -c max_wal_size=8GB -c checkpoint_timeout=30min ||
    die "PostgreSQL did not start"

psql_() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
newdb() { pg_load_bank "$port" "$1"; }
dsn() { bank_dsn "$port" "$1"; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
# ms DB SQL...: run each argument with \timing (one round trip each); print their total, in ms.
ms() {
    local db=$1; shift
    local args=(-d "$db" -c '\timing on')
    for s in "$@"; do args+=(-c "$s"); done
    psql_ "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ t += $1 } END { printf "%.3f", t }'
}
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

echo "bench: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, $(nproc) cores; $N customers" >&2
(cd "$root" && go build -o "$work/client" ./client)
client="$work/client"

rows=()
row() { rows+=("$(printf '%-34s %14s %14s %7s  %s' "$@")"); }
verdict() { # ratio op goal
    if awk -v r="$1" -v g="$3" "BEGIN { exit !(r $2 g) }"; then echo ok; else echo MISSED; missed=1; fi
}
missed=0

# --- populate, and its anchor: psql \copy of the same rows --------------------------------
newdb small
BANK_DSN=$(dsn small) /usr/bin/time -f '%M' -o "$work/rss10k" "$client" populate --customers 10000 >/dev/null 2>&1
newdb bank
echo "bench: populate $N customers" >&2
t0=$(now)
BANK_DSN=$(dsn bank) /usr/bin/time -f '%M' -o "$work/rss" "$client" populate --customers "$N" >/dev/null 2>"$work/populate.err" ||
    { cat "$work/populate.err" >&2; die "populate failed"; }
t_pop=$(calc "$(now) - $t0")

mkdir -p "$work/csv" && chmod 777 "$work/csv"
for t in customers accounts customer_accounts; do
    psql_ -d bank -c "\\copy bank.$t TO '$work/csv/$t.csv' WITH (FORMAT csv)"
done
newdb copied
cat >"$work/copy.sql" <<EOF
BEGIN;
SELECT bank.load_begin();
\\copy bank.customers FROM '$work/csv/customers.csv' WITH (FORMAT csv)
\\copy bank.accounts FROM '$work/csv/accounts.csv' WITH (FORMAT csv)
\\copy bank.customer_accounts FROM '$work/csv/customer_accounts.csv' WITH (FORMAT csv)
SELECT bank.load_finish();
COMMIT;
EOF
echo "bench: psql \\copy of the same rows" >&2
t0=$(now)
psql_ -d copied -f "$work/copy.sql" >/dev/null
t_copy=$(calc "$(now) - $t0")
[ "$(psql_ -d bank -A -t -c 'SELECT * FROM bank.audit()')" = "$(psql_ -d copied -A -t -c 'SELECT * FROM bank.audit()')" ] ||
    die "the \\copy bank differs from the populated one"
r=$(calc "$t_pop / $t_copy")
row "populate ($N customers)" "$(printf '%.2f s' "$t_pop")" "$(printf '%.2f s' "$t_copy")" "$(printf '%.2f' "$r")" \
    "$(verdict "$r" '<=' 1.5) (goal <= 1.5 x psql \\copy, keys built the same way)"
rss=$(cat "$work/rss"); rss10k=$(cat "$work/rss10k")
r=$(calc "$rss / $rss10k")
row "populate peak RSS" "$((rss / 1024)) MB" "$((rss10k / 1024)) MB" "$(printf '%.2f' "$r")" \
    "$(verdict "$r" '<=' 2) (goal <= 2 x the RSS at 10,000 customers)"

# --- reports: each function against hand-written SQL, same answers first ------------------
for f in top_states top_customers bottom_customers; do
    anchor=$(cat "$root/bench/anchors/$f.sql")
    [ "$(psql_ -d bank -A -t -c "SELECT * FROM bank.$f()")" = "$(psql_ -d bank -A -t -f "$root/bench/anchors/$f.sql")" ] ||
        die "bank.$f() and bench/anchors/$f.sql give different answers"
    echo "bench: $f" >&2
    ours=() theirs=()
    for _ in 1 2 3; do
        ours+=("$(ms bank "SELECT * FROM bank.$f()")")
        theirs+=("$(ms bank "$anchor")")
    done
    o=$(median3 "${ours[@]}"); a=$(median3 "${theirs[@]}"); r=$(calc "$o / $a")
    row "bank.$f()" "$(printf '%.0f ms' "$o")" "$(printf '%.0f ms' "$a")" "$(printf '%.2f' "$r")" \
        "$(verdict "$r" '<=' 1.2) (goal <= 1.2 x hand-written SQL)"
done

# --- Robinhood, both rolled back so that every run sees the same bank --------------------
anchor=$(cat "$root/bench/anchors/robinhood.sql")
state="SELECT md5(string_agg(account_id || ':' || balance, ',' ORDER BY account_id)) FROM bank.accounts"
[ "$(psql_ -d bank -A -t -c BEGIN -c 'SELECT * FROM bank.robinhood()' -c "$state" -c ROLLBACK)" = \
  "$(psql_ -d bank -A -t -c BEGIN -f "$root/bench/anchors/robinhood.sql" -c "$state" -c ROLLBACK | grep -v '^LOCK')" ] ||
    die "bank.robinhood() and bench/anchors/robinhood.sql give different movements or balances"
echo "bench: robinhood" >&2
ours=() theirs=()
for _ in 1 2 3; do
    ours+=("$(ms bank BEGIN 'SELECT * FROM bank.robinhood()' ROLLBACK)")
    theirs+=("$(ms bank BEGIN "$anchor" ROLLBACK)")
done
o=$(median3 "${ours[@]}"); a=$(median3 "${theirs[@]}"); r=$(calc "$o / $a")
row "bank.robinhood()" "$(printf '%.0f ms' "$o")" "$(printf '%.0f ms' "$a")" "$(printf '%.2f' "$r")" \
    "$(verdict "$r" '<=' 1.2) (goal <= 1.2 x hand-written SQL)"

# --- transfers: pgbench tpcb-like, then our bench, at the same number of clients ---------
psql_ -d postgres -c "CREATE DATABASE pgb" >/dev/null
"$bindir/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s "$CLIENTS" pgb >/dev/null 2>&1
echo "bench: pgbench tpcb-like, $CLIENTS clients, ${TPS_SECONDS}s" >&2
tps_pgb=$("$bindir/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c "$CLIENTS" -j 2 -M prepared -T "$TPS_SECONDS" pgb 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p')
echo "bench: client bench, $CLIENTS workers, ${TPS_SECONDS}s" >&2
BANK_DSN=$(dsn bank) "$client" bench --workers "$CLIENTS" --readers 0 --robinhood-every 0 --max-amount 100 \
    --duration "${TPS_SECONDS}s" >"$work/bench.out" || { cat "$work/bench.out" >&2; die "client bench failed"; }
tps_ours=$(sed -n 's/^transfers *\([0-9]*\) committed (\([0-9.]*\)\/s).*/\2/p' "$work/bench.out")
r=$(calc "$tps_ours / $tps_pgb")
row "transfers/s ($CLIENTS clients)" "$(printf '%.0f' "$tps_ours")" "$(printf '%.0f' "$tps_pgb")" "$(printf '%.2f' "$r")" \
    "$(verdict "$r" '>=' 1) (goal >= pgbench tpcb-like; ours committed only)"

printf '%-34s %14s %14s %7s  %s\n' "figure" "ours" "anchor" "ratio" "verdict"
printf '%s\n' "${rows[@]}"
if [ "$strict" = 1 ] && [ "$missed" = 1 ]; then exit 1; fi
