#!/usr/bin/env bash
# The bank's benchmark: every figure beside an anchor measured on the same server in the
# same run, and their ratio. These machines are shared and noisy; ratios travel, seconds
# do not.
#
#   bench/run.sh [CUSTOMERS]        default 20000 (about two minutes); the README shows 1000000
#
# It starts its own throwaway PostgreSQL (initdb + pg_ctl in a temporary folder, on a free
# port), builds the client, and measures:
#   populate        `client populate` into the empty schema, against psql \copy of the very
#                   same rows (exported from the populated bank) into the same empty schema,
#                   with the keys built the same way (bank.load_begin/load_finish), in one
#                   transaction each; then both again over a bank of the same size, and the
#                   tables' size and dead rows after that (pgstattuple); medians of 3
#   peak RSS        populate at CUSTOMERS against populate at 10,000 customers
#   reports         each function through psql against hand-written SQL for the same answer
#                   (bench/anchors/*.sql), median of 3 runs each, interleaved
#   robinhood       bank.robinhood() against bench/anchors/robinhood.sql, both rolled back
#   robinhood under writers
#                   5 Robinhoods through psql and 5 through `client call robinhood`
#                   (BENCH_ROBINHOOD_RUNS) while 2 pgbench clients make transfers for longer
#                   than all of them: each one's whole time against the plain ranking (every
#                   customer's total, then the top and bottom 10) under the same writers, and
#                   the longest transfer meanwhile against the plain ranking alone
#   transfers/s     `client bench --max-amount 0.01` (8 workers, only transfers, none refused)
#                   against pgbench calling bank.transfer and against pgbench's tpcb-like, 8
#                   clients each, with fsync on and off
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
RH_RUNS=${BENCH_ROBINHOOD_RUNS:-5}
case $RH_RUNS in '' | 0 | *[!0-9]*) echo "bench: BENCH_ROBINHOOD_RUNS must be a whole number above 0, got '$RH_RUNS'" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "bench: $*" >&2; exit 1; }
. "$root/scripts/pg.sh"
. "$root/bench/clients.sh"
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

# --- populate: fresh and replacing, each beside psql \copy of the very same rows --------
# Medians of 3, ours and the anchor interleaved. Fresh: into an empty schema. Replacing:
# over a bank of the same size, against psql doing in one transaction what populate
# promises (load_begin locks, drops the keys and DELETEs the old rows; \copy; load_finish
# builds the keys); populate also VACUUMs the old rows away after its commit, and that is
# in its time. The first fresh bank, `bank`, serves every later figure.
# Autovacuum is off for this section, and each run starts after a CHECKPOINT: otherwise the
# previous load's vacuum and dirty pages land in the middle of whichever run comes next.
psql_ -d postgres -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
quiet() { psql_ -d postgres -c CHECKPOINT >/dev/null; }
newdb small
BANK_DSN=$(dsn small) /usr/bin/time -f '%M' -o "$work/rss10k" "$client" populate --customers 10000 >/dev/null 2>&1
pop() { # DB: populate it; print the seconds; peak RSS to $work/rss, the client's CPU seconds to $work/cpu
    quiet
    local t0; t0=$(now)
    BANK_DSN=$(dsn "$1") /usr/bin/time -f '%M %U %S' -o "$work/time" "$client" populate --customers "$N" >/dev/null 2>"$work/populate.err" ||
        { cat "$work/populate.err" >&2; die "populate failed"; }
    calc "$(now) - $t0"
    read -r m u s <"$work/time"
    echo "$m" >"$work/rss"
    calc "$u + $s" >"$work/cpu"
}
cat >"$work/copy.sql" <<EOF
BEGIN;
SELECT bank.load_begin();
\\copy bank.customers FROM '$work/csv/customers.csv' WITH (FORMAT csv)
\\copy bank.accounts FROM '$work/csv/accounts.csv' WITH (FORMAT csv)
\\copy bank.customer_accounts FROM '$work/csv/customer_accounts.csv' WITH (FORMAT csv)
SELECT bank.load_finish();
COMMIT;
EOF
copy() { # DB: load the exported rows into it with psql; print the seconds
    quiet
    local t0; t0=$(now)
    psql_ -d "$1" -f "$work/copy.sql" >/dev/null
    calc "$(now) - $t0"
}
audit() { psql_ -d "$1" -A -t -c 'SELECT * FROM bank.audit()'; }
# heap DB: the three tables' bytes and dead rows (pgstattuple reads every page)
heap() {
    psql_ -d "$1" -A -t -F ' ' -c "SELECT sum(s.table_len), sum(s.dead_tuple_count)
        FROM unnest(ARRAY['bank.customers', 'bank.accounts', 'bank.customer_accounts']::regclass[]) AS r(rel),
             LATERAL pgstattuple(r.rel) AS s"
}
echo "bench: populate $N customers, fresh, against psql \\copy of the same rows (3 each)" >&2
mkdir -p "$work/csv" && chmod 777 "$work/csv"
fresh=() fresh_copy=() cpu=()
for i in 1 2 3; do
    db=bank; [ "$i" = 1 ] || db=fresh$i
    newdb "$db"
    fresh+=("$(pop "$db")"); cpu+=("$(cat "$work/cpu")")
    if [ "$i" = 1 ]; then
        cp "$work/rss" "$work/rss1"
        for t in customers accounts customer_accounts; do
            psql_ -d bank -c "\\copy bank.$t TO '$work/csv/$t.csv' WITH (FORMAT csv)"
        done
    fi
    newdb "copied$i"
    fresh_copy+=("$(copy "copied$i")")
    [ "$(audit bank)" = "$(audit "copied$i")" ] || die "the \\copy bank differs from the populated one"
done
t_pop=$(median3 "${fresh[@]}"); t_copy=$(median3 "${fresh_copy[@]}")
r=$(calc "$t_pop / $t_copy")
row "populate, fresh ($N customers)" "$(printf '%.2f s' "$t_pop")" "$(printf '%.2f s' "$t_copy")" "$(printf '%.2f' "$r")" \
    "$(verdict "$r" '<=' 1.5) (goal <= 1.5 x psql \\copy, keys built the same way)"
c=$(median3 "${cpu[@]}")
row "  client CPU during it" "$(printf '%.2f s' "$c")" "$(printf '%.2f s' "$t_pop")" "$(printf '%.2f' "$(calc "$c / $t_pop")")" \
    "(the client's CPU seconds against the populate's seconds, on $(nproc) cores)"

echo "bench: populate $N customers over a bank of the same size, against psql doing the same (3 each)" >&2
psql_ -d postgres -c "DROP DATABASE fresh3" -c "DROP DATABASE copied3" -c "DROP DATABASE copied1" >/dev/null
repl=() repl_copy=()
for _ in 1 2 3; do
    repl+=("$(pop fresh2)")
    repl_copy+=("$(copy copied2)")
done
[ "$(audit fresh2)" = "$(audit copied2)" ] || die "the replaced banks differ"
t_rep=$(median3 "${repl[@]}"); t_rcopy=$(median3 "${repl_copy[@]}")
r=$(calc "$t_rep / $t_rcopy")
row "populate, replacing a bank" "$(printf '%.2f s' "$t_rep")" "$(printf '%.2f s' "$t_rcopy")" "$(printf '%.2f' "$r")" \
    "$(verdict "$r" '<=' 1.5) (goal <= 1.5 x psql replacing it in one transaction, keys built the same way)"
psql_ -d bank -c "CREATE EXTENSION pgstattuple" >/dev/null
psql_ -d fresh2 -c "CREATE EXTENSION pgstattuple" >/dev/null
read -r size_fresh _ < <(heap bank)
read -r size_rep dead_rep < <(heap fresh2)
r=$(calc "$size_rep / $size_fresh")
v=ok; { [ "$dead_rep" = 0 ] && awk -v r="$r" 'BEGIN { exit !(r <= 2.01) }'; } || { v=MISSED; missed=1; }
row "  tables after 3 replacements" "$((size_rep / 1048576)) MB" "$((size_fresh / 1048576)) MB" "$(printf '%.2f' "$r")" \
    "$v (goal: no dead row, here $dead_rep; the files at most the old and the new bank side by side)"
psql_ -d postgres -c "DROP DATABASE fresh2" -c "DROP DATABASE copied2" >/dev/null
psql_ -d postgres -c "ALTER SYSTEM RESET autovacuum" -c "SELECT pg_reload_conf()" >/dev/null

rss=$(cat "$work/rss1"); rss10k=$(cat "$work/rss10k")
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

# --- Robinhood under writers: its whole time, and the longest transfer while it runs ----
# Two pgbench clients move 0.01 between random accounts over the whole bank (every account
# topped up to at least 100.00 so that none is refused) for longer than everything timed
# here lasts. Meanwhile, RH_RUNS rounds of: the plain ranking (every customer's total, then
# the richest and the poorest 10), one Robinhood through psql (rolled back), one through
# `client call robinhood` (committed). The anchors: the median plain ranking under the same
# writers, for the whole time; the plain ranking alone, before the writers start, for the
# longest transfer. Each route's worst run is the figure; every run is listed beside it.
rank_sql="WITH t AS MATERIALIZED (SELECT * FROM bank.customer_totals)
SELECT (SELECT array_agg(customer_id) FROM (SELECT customer_id FROM t ORDER BY total DESC, customer_id LIMIT 10) a),
       (SELECT array_agg(customer_id) FROM (SELECT customer_id FROM t ORDER BY total, customer_id LIMIT 10) b)"
echo "bench: the plain ranking, then $RH_RUNS rounds of Robinhood under writers, through psql and through the client" >&2
ranks=()
for _ in 1 2 3; do ranks+=("$(ms bank "$rank_sql")"); done
t_rank=$(median3 "${ranks[@]}")
psql_ -d bank -c "UPDATE bank.accounts SET balance = greatest(balance, 100)" -c "VACUUM ANALYZE bank.accounts" >/dev/null
accounts=$(psql_ -d bank -A -t -c "SELECT count(*) FROM bank.accounts")
cat >"$work/small.sql" <<'EOF'
\set a random(1, :accounts)
\set b random(1, :accounts - 1)
\if :b >= :a
\set b :b + 1
\endif
SELECT bank.transfer(:a, :b, 0.01);
EOF
mkdir -p "$work/stall" && chmod 777 "$work/stall"
# The writers run until the last Robinhood has ended, however long the machine takes.
ms_now() { date +%s%3N; }
(cd "$work/stall" && PGAPPNAME=bench-writers "$bindir/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c 2 -j 2 \
    -M prepared -T 3600 -D accounts="$accounts" -l -f "$work/small.sql" bank >"$work/stall.out" 2>&1) &
load=$!
pgb_past "$port" bank bench-writers "$(ms_now)" "$load" || { cat "$work/stall.out" >&2; die "the writers did not start"; }
ranks_w=() windows=()
for _ in $(seq "$RH_RUNS"); do
    t0=$(ms_now); psql_ -d bank -c "$rank_sql" >/dev/null; t1=$(ms_now)
    ranks_w+=("$((t1 - t0))")
    t0=$(ms_now)
    path=$(psql_ -d bank -A -t -c BEGIN -c 'SELECT count(*) FROM bank.robinhood()' -c "SELECT current_setting('bank.robinhood_path')" -c ROLLBACK | tail -1)
    t1=$(ms_now); windows+=("psql $t0 $t1 ${path// /_}")
    t0=$(ms_now)
    BANK_DSN=$(dsn bank) "$client" call robinhood >/dev/null 2>"$work/rh.err" || { cat "$work/rh.err" >&2; die "client call robinhood failed"; }
    t1=$(ms_now)
    path=$(sed -n 's/.*movement(s) (\(.*\)), committed.*/\1/p' "$work/rh.err")
    windows+=("client $t0 $t1 ${path// /_}")
done
if ! pgb_past "$port" bank bench-writers "$(ms_now)" "$load" || ! pgb_stop "$port" bank bench-writers "$load" "$work/stall.out"; then
    cat "$work/stall.out" >&2
    die "pgbench failed during the Robinhoods"
fi
t_rank_w=$(printf '%s\n' "${ranks_w[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
# pgbench's log: client, transaction, latency (us), script, end time (s, us). A transfer
# overlaps a window if it ended after the window began and began before it ended.
longest() { # start_ms end_ms: the longest transfer overlapping that window, in ms
    cat "$work"/stall/pgbench_log.* | awk -v a="$1" -v b="$2" '
        { e = $5 * 1000 + $6 / 1000; s = e - $3 / 1000; if (e >= a && s <= b && $3 > m) m = $3; if (e > last) last = e }
        END { if (last < b) { print "short"; exit } printf "%.1f", m / 1000 }'
}
above() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x > y) }'; }
for via in psql client; do
    worst=0 worst_long=0 list="" list_long="" within=0
    for w in "${windows[@]}"; do
        read -r v a b path <<<"$w"
        [ "$v" = "$via" ] || continue
        t_long=$(longest "$a" "$b")
        [ "$t_long" != short ] || die "the writers stopped before a Robinhood through $via ended: the test needs a longer load"
        r=$(calc "($b - $a) / $t_rank_w"); rl=$(calc "$t_long / $t_rank")
        list+=" $(printf '%.2f' "$r") (${path//_/ });"; list_long+=" $(printf '%.3f' "$rl")"
        above "$r" 1.5 || within=$((within + 1))
        if above "$r" "$worst"; then worst=$r; t_worst=$((b - a)); fi
        if above "$rl" "$worst_long"; then worst_long=$rl; t_worst_long=$t_long; fi
    done
    row "Robinhood via $via, whole (worst)" "$t_worst ms" "$t_rank_w ms" "$(printf '%.2f' "$worst")" \
        "$(verdict "$worst" '<=' 1.5) (goal <= 1.5 x the ranking under the same writers; $within of $RH_RUNS within; runs:$list)"
    row "  longest transfer meanwhile" "$(printf '%.0f ms' "$t_worst_long")" "$(printf '%.0f ms' "$t_rank")" "$(printf '%.3f' "$worst_long")" \
        "$(verdict "$worst_long" '<=' 0.1) (goal <= 0.1 x the plain ranking alone; runs:$list_long)"
done

# --- transfers: the same work through our client and through pgbench --------------------
# On the topped-up bank above, every transfer 0.01 between two distinct random accounts, so
# that nothing is refused: `client bench --max-amount 0.01` against
# pgbench calling bank.transfer (prepared) and against pgbench's built-in tpcb-like, 8
# clients each, with fsync on and then off (the client's own cost shows more without it).
psql_ -d postgres -c "CREATE DATABASE pgb" >/dev/null
"$bindir/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s "$CLIENTS" pgb >/dev/null 2>&1
pgb_tps() {
    "$bindir/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c "$CLIENTS" -j 2 -M prepared -T "$TPS_SECONDS" "$@" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
for fsync in on off; do
    psql_ -d postgres -c "ALTER SYSTEM SET fsync = $fsync" -c "SELECT pg_reload_conf()" >/dev/null
    echo "bench: transfers, fsync $fsync: pgbench tpcb-like, pgbench calling bank.transfer, client bench; $CLIENTS clients, ${TPS_SECONDS}s each" >&2
    tps_tpcb=$(pgb_tps pgb)
    tps_call=$(pgb_tps -D accounts="$accounts" -f "$work/small.sql" bank)
    BANK_DSN=$(dsn bank) "$client" bench --workers "$CLIENTS" --readers 0 --robinhood-every 0 --max-amount 0.01 \
        --duration "${TPS_SECONDS}s" >"$work/bench.out" || { cat "$work/bench.out" >&2; die "client bench failed"; }
    tps_ours=$(sed -n 's/^transfers .*; \([0-9.]*\) calls\/s$/\1/p' "$work/bench.out")
    r=$(calc "$tps_ours / $tps_call")
    row "transfers/s, fsync $fsync" "$(printf '%.0f' "$tps_ours")" "$(printf '%.0f' "$tps_call")" "$(printf '%.2f' "$r")" \
        "$(verdict "$r" '>=' 0.65) (goal >= 0.65 x pgbench calling bank.transfer)"
    r=$(calc "$tps_ours / $tps_tpcb")
    row "transfers/s, fsync $fsync" "$(printf '%.0f' "$tps_ours")" "$(printf '%.0f' "$tps_tpcb")" "$(printf '%.2f' "$r")" \
        "$(verdict "$r" '>=' 1.2) (goal >= 1.2 x pgbench tpcb-like)"
done
psql_ -d postgres -c "ALTER SYSTEM RESET fsync" -c "SELECT pg_reload_conf()" >/dev/null

printf '%-34s %14s %14s %7s  %s\n' "figure" "ours" "anchor" "ratio" "verdict"
printf '%s\n' "${rows[@]}"
if [ "$strict" = 1 ] && [ "$missed" = 1 ]; then exit 1; fi
