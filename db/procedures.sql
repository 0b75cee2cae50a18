-- Fun With Banking: the functions. Loaded after db/init.sql; safe to load again
-- (CREATE OR REPLACE), which is how a deployed bank gets a fixed function.
--
-- Every report, Robinhood and transfer lives here, so that a psql user and the Go client
-- get the very same answers. Money is numeric, exact to the cent.
--
-- Definitions used throughout:
--   * A customer's total balance is the sum of the balances of every account they hold;
--     a joint account counts in full for each of its holders (what each statement shows).
--     A customer who holds no account has a total of 0.00.
--   * Ties are always broken by the lower id, so every answer is deterministic.
--
-- Errors we raise, by SQLSTATE (class BK is ours; PostgreSQL uses none of it):
--   BK001  unknown account                  BK005  invalid argument (NULL, limit < 1, percent outside (0, 100])
--   BK002  transfer to the same account     BK006  robinhood called above READ COMMITTED
--   BK003  invalid amount                   BK007  a load committed without load_finish()
--   BK004  insufficient funds               BK008  a receiving account would exceed 9999999999999.99
--   BK009  on Citus, a read of every account that cannot be consistent (REPEATABLE READ but not
--          first in its transaction, or READ COMMITTED without the right to hold writers)
--   BK010  on Citus, a consistent read could not pause cross-node commits
-- (BK900 is internal: bank.robinhood_claim() raises and catches it; no caller sees it.)
--
-- Written in PL/pgSQL, never LANGUAGE sql: Citus cannot plan parameterized SQL functions
-- over distributed tables. Every function pins its search_path.

-- Loaded again on a live bank, the whole file is one transaction: callers see the old
-- functions or the new ones, never neither, and bank_reader keeps its grants throughout.
BEGIN;

-- Sums of balances are plain numeric: a customer's total, a state's average or the bank's
-- total can exceed what one account holds (numeric(15,2)). A function whose result columns
-- changed cannot be replaced, only dropped and made again (the grants are made again below):
-- each is dropped only if its result is not what this file makes.
DO $$
DECLARE
    v_fn record;
BEGIN
    FOR v_fn IN
        SELECT p.oid::regprocedure AS fn
        FROM pg_catalog.pg_proc p
        JOIN (VALUES
            ('top_states', 'TABLE(state character, customers bigint, avg_balance numeric)'),
            ('top_customers', 'TABLE(customer_id bigint, first_name text, last_name text, state character, accounts integer, total_balance numeric)'),
            ('bottom_customers', 'TABLE(customer_id bigint, first_name text, last_name text, state character, accounts integer, total_balance numeric)'),
            ('ranked_customers', 'TABLE(customer_id bigint, first_name text, last_name text, state character, accounts integer, total_balance numeric)'),
            ('audit', 'TABLE(customers bigint, accounts bigint, links bigint, total_balance numeric, negative_balances bigint)')
        ) AS w(name, result) ON w.name = p.proname
        WHERE p.pronamespace = 'bank'::regnamespace AND pg_catalog.pg_get_function_result(p.oid) <> w.result
    LOOP
        EXECUTE format('DROP FUNCTION %s', v_fn.fn);
    END LOOP;
END
$$;

-- A customer's total balance, defined once for every report and for Robinhood: the sum of
-- the balances of every account they hold, a joint account counted in full for each
-- holder. A view, so that each query that reads it is planned as if it had written the
-- join itself. Customers who hold no account have no row here (their total is 0.00).
--
-- Replacing a view takes ACCESS EXCLUSIVE on it until this file commits: every report
-- would queue behind the reload, and a reader already holding a table and wanting the view
-- would deadlock with it. So the view is replaced only when its definition changed,
-- compared with a temporary view of the new one.
DO $$
DECLARE
    v_definition constant text := $sql$
        SELECT ca.customer_id, count(*)::integer AS accounts, sum(a.balance) AS total
        FROM bank.customer_accounts ca
        JOIN bank.accounts a ON a.account_id = ca.account_id
        GROUP BY ca.customer_id
    $sql$;
    v_messages text;
BEGIN
    -- Citus warns that a temporary view stays on the coordinator: so it should.
    v_messages := current_setting('client_min_messages');
    PERFORM set_config('client_min_messages', 'error', true);
    EXECUTE 'CREATE TEMPORARY VIEW customer_totals_wanted AS ' || v_definition;
    PERFORM set_config('client_min_messages', v_messages, true);
    IF pg_catalog.pg_get_viewdef(to_regclass('bank.customer_totals')) -- NULL on a first load
       IS DISTINCT FROM pg_catalog.pg_get_viewdef('pg_temp.customer_totals_wanted'::regclass) THEN
        -- (and, before the tables are distributed, that the view stays on the coordinator)
        PERFORM set_config('client_min_messages', 'error', true);
        EXECUTE 'CREATE OR REPLACE VIEW bank.customer_totals AS ' || v_definition;
        PERFORM set_config('client_min_messages', v_messages, true);
    END IF;
    DROP VIEW customer_totals_wanted; -- not pg_temp.: Citus would look for a schema of that name
END
$$;
COMMENT ON VIEW bank.customer_totals IS
    'Each account holder''s number of accounts and total balance (joint accounts in full for each holder).';
GRANT SELECT ON bank.customer_totals TO bank_reader;

-- An argument as an error message shows it: at most 40 characters (a numeric argument can
-- have 131,072 digits, and the message must stay one readable line).
CREATE OR REPLACE FUNCTION bank.shown(p_value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF p_value IS NULL THEN
        RETURN 'NULL';
    ELSIF length(p_value) > 40 THEN
        RETURN left(p_value, 20) || '... (' || length(p_value) || ' characters)';
    END IF;
    RETURN p_value;
END
$$;
COMMENT ON FUNCTION bank.shown(text) IS
    'An argument as error messages show it: NULL as NULL, anything over 40 characters cut short.';

-- One check for every report's p_limit.
CREATE OR REPLACE FUNCTION bank.check_limit(p_limit integer) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'limit must be a whole number of at least 1, got %', shown(p_limit::text)
            USING ERRCODE = 'BK005';
    END IF;
END
$$;
COMMENT ON FUNCTION bank.check_limit(integer) IS
    'Raises BK005 unless p_limit is at least 1. Used by the report functions.';

-- A session of its own on this server, over dblink, named p_name and kept with the
-- caller's session for its next use, with a transaction begun by p_begin. One left idle in
-- its transaction for over a second, as it would be if its caller were cancelled mid-way,
-- is ended by its server, with whatever it held; a connection found stale (its BEGIN
-- fails) is made again, once. Callers are SECURITY DEFINER functions: dblink connects
-- without a password only for a superuser.
CREATE OR REPLACE FUNCTION bank.gate_begin(p_name text, p_begin text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_sockets constant text := split_part(current_setting('unix_socket_directories'), ',', 1);
    v_messages constant text := current_setting('client_min_messages');
    v_try integer;
BEGIN
    PERFORM set_config('client_min_messages', 'warning', true); -- dblink's notice on a stale connection
    FOR v_try IN 1..2 LOOP
        IF p_name <> ALL (coalesce(bank_gate.dblink_get_connections(), '{}')) THEN
            PERFORM bank_gate.dblink_connect(p_name, format(
                'host=%s port=%s dbname=%s user=%s application_name=%s '
                'options=''-c idle_in_transaction_session_timeout=1000 -c lock_timeout=10000''',
                CASE WHEN v_sockets <> '' THEN v_sockets ELSE host(inet_server_addr()) END,
                current_setting('port'), current_database(), current_user, replace(p_name, '_', '-')));
        END IF;
        EXIT WHEN bank_gate.dblink_exec(p_name, p_begin, false) <> 'ERROR';
        PERFORM bank_gate.dblink_disconnect(p_name);
        IF v_try = 2 THEN
            RAISE EXCEPTION 'on Citus, a session of the bank''s own could not begin on this server'
                USING ERRCODE = 'BK010';
        END IF;
    END LOOP;
    PERFORM set_config('client_min_messages', v_messages, true);
END
$$;
COMMENT ON FUNCTION bank.gate_begin(text, text) IS
    'On Citus, begins a transaction (p_begin) in a session of the bank''s own on this server, over dblink, '
    'kept under the name p_name for the caller''s session. Used by bank.read_gate() and Robinhood.';

-- On Citus, a read of every account spans shards, and Citus has no snapshot across shards:
-- each worker's transaction takes its own when it opens, and a transfer between accounts
-- on two workers commits on each in turn (two-phase commit). A read that opened its
-- workers' snapshots between those two commits would count one side of the transfer and
-- not the other. So a reader opens its snapshots on every worker at one moment when no
-- cross-node commit is in flight: it holds pg_dist_transaction, where Citus records every
-- two-phase commit until its COMMIT PREPARED has reached every worker, in SHARE mode
-- while its snapshots open (a few milliseconds), then lets it go and reads at leisure.
-- Commits on one worker need no pause: they are whole in each snapshot.
--
-- A lock cannot be let go before its transaction ends, so the pause is held by a second
-- session on this server, over dblink, which the reader's session keeps for its next read.
-- Citus opens a worker's transaction at the reader's level only for a REPEATABLE READ
-- (or SERIALIZABLE) reader, and only on its first distributed statement
-- (bank.read_snapshot() checks both). One connection per worker for the rest of the
-- transaction (pool size 1), so that no later statement opens a worker transaction, and
-- with it a snapshot, after the pause.
CREATE OR REPLACE FUNCTION bank.read_gate() RETURNS void
LANGUAGE plpgsql VOLATILE
-- pg_dist_transaction may be locked by its owner only, and dblink connects without a
-- password only for a superuser; the reader may be bank_reader.
SECURITY DEFINER
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_gate constant text := 'bank_read_gate';
BEGIN
    PERFORM set_config('citus.max_adaptive_executor_pool_size', '1', true);
    -- The pausing session first reads the reference table: that gives it a distributed
    -- transaction id, without which Citus's deadlock detector lumps it with other such
    -- sessions and cancels transfers as distributed deadlocks that are not.
    PERFORM gate_begin(v_gate, 'BEGIN');
    IF bank_gate.dblink_exec(v_gate, 'SELECT 1 FROM bank.customers WHERE customer_id = 1; '
                                     'LOCK TABLE pg_catalog.pg_dist_transaction IN SHARE MODE', false) = 'ERROR' THEN
        PERFORM bank_gate.dblink_exec(v_gate, 'ROLLBACK', false);
        RAISE EXCEPTION 'on Citus, a consistent read could not pause cross-node commits: %',
            bank_gate.dblink_error_message(v_gate)
            USING ERRCODE = 'BK010';
    END IF;
    -- Every node that holds a placement, over one connection each: the snapshots open.
    PERFORM count(*) FROM customers WHERE customer_id = 1;
    PERFORM count(*) FROM accounts WHERE account_id < 0;
    PERFORM bank_gate.dblink_exec(v_gate, 'ROLLBACK');
END
$$;
COMMENT ON FUNCTION bank.read_gate() IS
    'On Citus, opens this transaction''s snapshot on every worker while no cross-node commit is in '
    'flight (BK010 if commits cannot be paused). Called by bank.read_snapshot(), which checks that '
    'the transaction can have such a snapshot.';

-- What every function that reads all accounts calls first. On one node the transaction's
-- snapshot is enough, and this does nothing. On Citus: a REPEATABLE READ transaction that
-- has not yet touched a worker gets its snapshots through bank.read_gate(), and nothing
-- it holds stops a writer while it reads. Anything else cannot have such snapshots. A
-- READ COMMITTED caller who may write the bank is served by a lock instead: SHARE on the
-- three tables until its transaction ends (transfers wait for it; it waits for the
-- transfers already writing). Others are refused (BK009), bank_reader among them: it
-- reads at REPEATABLE READ by default there, and may not hold writers back.
CREATE OR REPLACE FUNCTION bank.read_snapshot() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_propagate text;
BEGIN
    IF NOT on_citus() OR current_setting('bank.snapshot', true) = 'open' THEN
        RETURN;
    END IF;
    IF current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
        IF (pg_catalog.get_current_transaction_id()).transaction_number <> 0 THEN
            RAISE EXCEPTION 'on Citus, a consistent read must come first in its transaction, before any other read or '
                            'write of the bank''s tables'
                USING ERRCODE = 'BK009';
        END IF;
        PERFORM read_gate();
    ELSIF has_table_privilege('bank.accounts', 'UPDATE') THEN
        -- On the coordinator only: Citus would first send the LOCK to every worker, and
        -- writers take their locks on the coordinator. Same table order as
        -- bank.robinhood() and bank.load_begin().
        v_propagate := current_setting('citus.enable_ddl_propagation');
        PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
        LOCK TABLE customers, accounts, customer_accounts IN SHARE MODE;
        PERFORM set_config('citus.enable_ddl_propagation', v_propagate, true);
    ELSE
        RAISE EXCEPTION 'on Citus, a consistent read runs in a REPEATABLE READ transaction: BEGIN ISOLATION LEVEL '
                        'REPEATABLE READ first, or SET default_transaction_isolation = ''repeatable read'''
            USING ERRCODE = 'BK009';
    END IF;
    PERFORM set_config('bank.snapshot', 'open', true);
END
$$;
COMMENT ON FUNCTION bank.read_snapshot() IS
    'On Citus, gives this transaction a read of every account that sees whole transfers only: '
    'through bank.read_gate() first in a REPEATABLE READ transaction, by a SHARE lock on the tables '
    'for a READ COMMITTED caller who may write them, BK009 for anyone else; on one node, does nothing. '
    'Called by every function that reads all accounts.';
-- What read_snapshot() replaced: a lock held for the whole read.
DO $$
BEGIN
    IF to_regprocedure('bank.read_lock()') IS NOT NULL THEN
        DROP FUNCTION bank.read_lock();
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION bank.top_states(p_limit integer DEFAULT 10)
RETURNS TABLE (state char(2), customers bigint, avg_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM check_limit(p_limit);
    PERFORM read_snapshot();
    RETURN QUERY
    WITH by_state AS (
        SELECT c.state, count(*) AS customers, avg(coalesce(t.total, 0)) AS avg_total
        FROM customers c
        LEFT JOIN customer_totals t ON t.customer_id = c.customer_id
        GROUP BY c.state
    )
    SELECT b.state, b.customers, round(b.avg_total, 2)
    FROM by_state b
    -- By the exact average: two states that round to the same cent still rank by their real average.
    ORDER BY b.avg_total DESC, b.state
    LIMIT p_limit;
END
$$;
COMMENT ON FUNCTION bank.top_states(integer) IS
    'States by the average total balance of the customers living there, highest first; ties by state. '
    'avg_balance is rounded half away from zero to the cent; the order uses the exact average.';

-- One ranking of customers by total balance, shared by top_customers and bottom_customers.
CREATE OR REPLACE FUNCTION bank.ranked_customers(p_limit integer, p_richest_first boolean)
RETURNS TABLE (customer_id bigint, first_name text, last_name text, state char(2),
               accounts integer, total_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM check_limit(p_limit);
    PERFORM read_snapshot();
    IF p_richest_first IS NULL THEN
        RAISE EXCEPTION 'p_richest_first must not be NULL' USING ERRCODE = 'BK005';
    END IF;
    RETURN QUERY
    SELECT c.customer_id, c.first_name, c.last_name, c.state,
           coalesce(t.accounts, 0), coalesce(t.total, 0.00)
    FROM customers c
    LEFT JOIN customer_totals t ON t.customer_id = c.customer_id
    ORDER BY CASE WHEN p_richest_first THEN -coalesce(t.total, 0) ELSE coalesce(t.total, 0) END,
             c.customer_id
    LIMIT p_limit;
END
$$;
COMMENT ON FUNCTION bank.ranked_customers(integer, boolean) IS
    'Customers by total balance (richest or poorest first), ties by lower customer_id. '
    'Behind bank.top_customers() and bank.bottom_customers().';

CREATE OR REPLACE FUNCTION bank.top_customers(p_limit integer DEFAULT 10)
RETURNS TABLE (customer_id bigint, first_name text, last_name text, state char(2),
               accounts integer, total_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN QUERY SELECT * FROM ranked_customers(p_limit, true);
END
$$;
COMMENT ON FUNCTION bank.top_customers(integer) IS
    'The p_limit customers with the highest total balance, highest first; ties by lower customer_id. '
    'accounts counts the accounts they hold, joint ones included.';

CREATE OR REPLACE FUNCTION bank.bottom_customers(p_limit integer DEFAULT 10)
RETURNS TABLE (customer_id bigint, first_name text, last_name text, state char(2),
               accounts integer, total_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN QUERY SELECT * FROM ranked_customers(p_limit, false);
END
$$;
COMMENT ON FUNCTION bank.bottom_customers(integer) IS
    'The p_limit customers with the lowest total balance, lowest first; ties by lower customer_id.';

CREATE OR REPLACE FUNCTION bank.transfer(p_from_account bigint, p_to_account bigint, p_amount numeric)
RETURNS TABLE (from_account bigint, from_balance numeric(15,2), to_account bigint, to_balance numeric(15,2))
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_first   bigint := least(p_from_account, p_to_account);
    v_second  bigint := greatest(p_from_account, p_to_account);
    v_balance numeric(15,2);
    v_available numeric(15,2);
    v_receiving numeric(15,2);
BEGIN
    IF p_from_account IS NULL OR p_to_account IS NULL THEN
        RAISE EXCEPTION 'transfer needs both accounts, got from % to %',
            shown(p_from_account::text), shown(p_to_account::text)
            USING ERRCODE = 'BK001';
    END IF;
    IF p_from_account = p_to_account THEN
        RAISE EXCEPTION 'cannot transfer from account % to itself', p_from_account
            USING ERRCODE = 'BK002';
    END IF;
    IF p_amount IS NULL OR p_amount = 'NaN' OR p_amount <= 0 OR p_amount > 9999999999999.99
       OR p_amount <> round(p_amount, 2) THEN
        RAISE EXCEPTION 'amount must be a positive number of dollars and whole cents, at most 9999999999999.99; got %',
            shown(p_amount::text)
            USING ERRCODE = 'BK003';
    END IF;

    -- One single-row lock per account, lower id first: two transfers never wait on each
    -- other in a cycle, and each lock stays on one shard under Citus.
    SELECT a.balance INTO v_balance FROM accounts a WHERE a.account_id = v_first FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', v_first USING ERRCODE = 'BK001';
    END IF;
    IF v_first = p_from_account THEN
        v_available := v_balance;
    ELSE
        v_receiving := v_balance;
    END IF;
    SELECT a.balance INTO v_balance FROM accounts a WHERE a.account_id = v_second FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', v_second USING ERRCODE = 'BK001';
    END IF;
    IF v_second = p_from_account THEN
        v_available := v_balance;
    ELSE
        v_receiving := v_balance;
    END IF;

    IF v_available < p_amount THEN
        RAISE EXCEPTION 'insufficient funds: account % holds %, the transfer needs %',
            p_from_account, v_available, p_amount
            USING ERRCODE = 'BK004';
    END IF;
    IF v_receiving > 9999999999999.99 - p_amount THEN
        RAISE EXCEPTION 'account % holds %: receiving % would take it beyond the largest balance, 9999999999999.99',
            p_to_account, v_receiving, p_amount
            USING ERRCODE = 'BK008';
    END IF;

    from_account := p_from_account;
    to_account := p_to_account;
    UPDATE accounts a SET balance = a.balance - p_amount
    WHERE a.account_id = p_from_account RETURNING a.balance INTO from_balance;
    UPDATE accounts a SET balance = a.balance + p_amount
    WHERE a.account_id = p_to_account RETURNING a.balance INTO to_balance;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION bank.transfer(bigint, bigint, numeric) IS
    'Moves p_amount dollars from one account to another, atomically, and returns both new balances. '
    'Refuses: unknown account (BK001), the same account twice (BK002), an amount that is not positive, '
    'has fractions of a cent or exceeds numeric(15,2) (BK003), insufficient funds (BK004), a receiving '
    'balance that would exceed 9999999999999.99 (BK008). '
    'Locks the two rows in account_id order, so transfers never deadlock each other.';

-- Operation Robinhood. The algorithm is bank.robinhood_run(); the helpers before it each do
-- one step and have SQL tests of their own (db/test/functions_test.sql).
--
-- Its promise: the moves are those that one consistent state of the bank gives, the
-- snapshot of its plan, and Robinhood is serialized right after that snapshot: no transfer
-- touched any of its accounts between the snapshot and its commit, so every transfer that
-- committed meanwhile would have done the same after it. Transfers are never held back by
-- a ranking: only those that touch its few accounts wait, for the moment it moves.

CREATE OR REPLACE FUNCTION bank.robinhood_check(p_percent numeric, p_count integer) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF p_percent IS NULL OR p_percent = 'NaN' OR p_percent <= 0 OR p_percent > 100 THEN
        RAISE EXCEPTION 'percent must be more than 0 and at most 100, got %', shown(p_percent::text)
            USING ERRCODE = 'BK005';
    END IF;
    IF p_count IS NULL OR p_count < 1 THEN
        RAISE EXCEPTION 'count must be a whole number of at least 1, got %', shown(p_count::text)
            USING ERRCODE = 'BK005';
    END IF;
    -- Each step plans on a snapshot of its own: at READ COMMITTED each statement takes a
    -- fresh one; above it, the transaction's first snapshot would serve every step.
    -- (PostgreSQL runs READ UNCOMMITTED, which JDBC users may ask for, as READ COMMITTED.)
    IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        RAISE EXCEPTION 'robinhood must run at READ COMMITTED (it is %): each of its steps reads the bank afresh',
            current_setting('transaction_isolation')
            USING ERRCODE = 'BK006';
    END IF;
END
$$;
COMMENT ON FUNCTION bank.robinhood_check(numeric, integer) IS
    'Robinhood''s preconditions: percent in (0, 100] and count >= 1 (BK005), READ COMMITTED (BK006).';

-- A row's xmin is a 32-bit xid; snapshots speak in 64-bit xid8.
CREATE OR REPLACE FUNCTION bank.xid32(p_xid xid8) RETURNS xid
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN (p_xid::text::numeric % 4294967296)::text::xid;
END
$$;
COMMENT ON FUNCTION bank.xid32(xid8) IS 'The 32-bit xid of a 64-bit transaction id, as row xmins hold it.';

-- The oldest transaction still running: every change a snapshot taken after this call
-- misses was made by it or a younger one.
CREATE OR REPLACE FUNCTION bank.oldest_running() RETURNS xid
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN xid32(pg_snapshot_xmin(pg_current_snapshot()));
END
$$;
COMMENT ON FUNCTION bank.oldest_running() IS
    'The xmin of the current snapshot as a 32-bit xid: the oldest transaction still running.';

CREATE OR REPLACE FUNCTION bank.robinhood_plan(
    p_percent numeric, p_count integer,
    p_holders bigint, p_kept_ids bigint[], p_kept_totals numeric[], p_floor numeric, p_ceiling numeric, p_since xid,
    p_keep integer)
RETURNS TABLE (enough boolean, kept_ids bigint[], kept_totals numeric[], floor numeric, ceiling numeric, holders bigint,
               from_customer bigint[], from_account bigint[], to_customer bigint[], to_account bigint[], amount numeric[],
               accounts bigint[], versions xid[], snapshot text)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- One statement, so one snapshot: the totals, the accounts and their versions.
    -- Dynamic SQL for one reason: Citus cannot plan a query that reads a row's xmin from a
    -- distributed table, and on Citus the plan is made under the lock and needs no versions.
    -- $1 to $9 are the parameters, in order; %1$s is the row version, a.xmin.
    RETURN QUERY EXECUTE format($q$
    WITH changed_accounts AS MATERIALIZED (
        -- The accounts written since p_since ($8). A row's xmin is the transaction that
        -- wrote its version. age() compares ids across wraparound, all against one
        -- transaction id fixed for this transaction, so the window is bounded on both
        -- sides: from p_since to a million ids past the newest this snapshot sees (room
        -- for the caller's own subtransactions). A row frozen long ago keeps its raw xmin,
        -- whose age can come out as anything: the bounds keep it out.
        SELECT array_agg(a.account_id) AS ids
        FROM accounts a
        WHERE $4 IS NOT NULL
          AND age(%1$s) BETWEEN (SELECT age(xid32((pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000)::text::xid8)))
                            AND (SELECT age($8))
    ), changed AS MATERIALIZED (
        -- Their holders. Arrays, so that each step finds its few rows through an index:
        -- the planner cannot know how few they are.
        SELECT array_agg(DISTINCT ca.customer_id) AS ids
        FROM customer_accounts ca
        WHERE ca.account_id = ANY ((SELECT c.ids FROM changed_accounts c)::bigint[])
    ), totals AS MATERIALIZED (
        -- No ranking kept: every holder's total, now.
        SELECT t.customer_id, t.total FROM customer_totals t WHERE $4 IS NULL
        UNION ALL
        -- Else the kept ones, with the total of those who changed taken afresh, and those
        -- who changed and now lie beyond a bound. A holder neither kept nor changed still
        -- lies between the bounds: not among the richest or the poorest.
        SELECT m.customer_id, m.total
        FROM (SELECT DISTINCT ON (u.customer_id) u.customer_id, u.total
              FROM (SELECT t.customer_id, t.total, 1 AS newer
                    FROM customer_totals t WHERE t.customer_id = ANY ((SELECT c.ids FROM changed c)::bigint[])
                    UNION ALL
                    SELECT k.customer_id, k.total, 2
                    FROM unnest($4, $5) AS k(customer_id, total)) AS u
              ORDER BY u.customer_id, u.newer) AS m
        WHERE $4 IS NOT NULL AND (m.total >= $6 OR m.total <= $7)
    ), holders AS (
        SELECT coalesce($3, (SELECT count(*) FROM totals)) AS n
    ), sure AS (
        -- The kept ones decide if they are everyone, or if enough lie strictly beyond the
        -- bounds: p_count donors above the one, and p_count recipients besides any donors
        -- below the other. Otherwise transfers drained an end of the ranking, and the bank
        -- must be ranked again.
        SELECT $4 IS NULL OR cardinality($4) >= h.n
               OR (count(*) FILTER (WHERE t.total > $6) >= least($2, h.n - 1)
                   AND count(*) FILTER (WHERE t.total < $7) >= 2 * $2::bigint) AS ok
        FROM totals t CROSS JOIN holders h
        GROUP BY h.n
    ), ends AS (
        -- What a later plan corrects: a whole ranking's p_keep richest and p_keep poorest,
        -- with the bounds they set; or the corrected ones, within the same bounds.
        SELECT x.customer_id, x.total, true AS richest
        FROM (SELECT * FROM totals t WHERE $4 IS NULL ORDER BY t.total DESC, t.customer_id LIMIT $9) x
        UNION ALL
        SELECT x.customer_id, x.total, false
        FROM (SELECT * FROM totals t WHERE $4 IS NULL ORDER BY t.total, t.customer_id LIMIT $9) x
        UNION ALL
        SELECT t.customer_id, t.total, NULL FROM totals t WHERE $4 IS NOT NULL
    ), kept AS (
        SELECT DISTINCT e.customer_id, e.total FROM ends e
    ), donors AS MATERIALIZED (
        SELECT t.customer_id, row_number() OVER (ORDER BY t.total DESC, t.customer_id) AS rich_rank
        FROM (SELECT * FROM totals x ORDER BY x.total DESC, x.customer_id
              -- Someone must be left to receive: with n holders at most n - 1 donors.
              LIMIT (SELECT greatest(0, least($2, h.n - 1)) FROM holders h)) t
    ), recipients AS MATERIALIZED (
        SELECT t.customer_id, row_number() OVER (ORDER BY t.total, t.customer_id) AS poor_rank
        FROM (SELECT * FROM totals x
              WHERE NOT EXISTS (SELECT FROM donors d WHERE d.customer_id = x.customer_id)
              ORDER BY x.total, x.customer_id
              LIMIT $2) t
    ), donor_accounts AS (
        -- Each donor's largest account (ties: lower account_id).
        SELECT DISTINCT ON (r.customer_id) r.customer_id, r.rich_rank, a.account_id, a.balance, %1$s AS version
        FROM donors r
        JOIN customer_accounts ca ON ca.customer_id = r.customer_id
        JOIN accounts a ON a.account_id = ca.account_id
        -- Through the index: the planner cannot tell that the donors are few.
        WHERE ca.customer_id = ANY ((SELECT array_agg(d.customer_id) FROM donors d)::bigint[])
        ORDER BY r.customer_id, a.balance DESC, a.account_id
    ), gifts AS (
        -- An account that is the largest of several donors gives once, in the name of the
        -- highest-ranked of them. floor(balance * percent) is the gift in whole cents.
        SELECT DISTINCT ON (d.account_id) d.customer_id, d.rich_rank, d.account_id, d.version,
               floor(d.balance * $1) AS cents
        FROM donor_accounts d
        ORDER BY d.account_id, d.rich_rank
    ), recipient_accounts AS (
        -- Each recipient's oldest account (ties: lower account_id).
        SELECT DISTINCT ON (r.customer_id) r.customer_id, r.poor_rank, a.account_id, %1$s AS version
        FROM recipients r
        JOIN customer_accounts ca ON ca.customer_id = r.customer_id
        JOIN accounts a ON a.account_id = ca.account_id
        WHERE ca.customer_id = ANY ((SELECT array_agg(x.customer_id) FROM recipients x)::bigint[])
        ORDER BY r.customer_id, a.created_at, a.account_id
    ), shares AS (
        SELECT count(*) AS recipients FROM recipient_accounts
    ), moves AS MATERIALIZED (
        -- Even shares; the leftover cents go one each to the poorest recipients first. A
        -- share of 0.00 moves nothing, and neither does a share whose donor account is
        -- also the recipient's account (a joint account of the two).
        SELECT *
        FROM (SELECT g.customer_id AS from_customer, g.account_id AS from_account, g.version AS from_version,
                     ra.customer_id AS to_customer, ra.account_id AS to_account, ra.version AS to_version,
                     ((div(g.cents, s.recipients)
                       + CASE WHEN ra.poor_rank <= mod(g.cents, s.recipients) THEN 1 ELSE 0 END) / 100)::numeric(15,2) AS amount,
                     g.rich_rank, ra.poor_rank
              FROM gifts g CROSS JOIN recipient_accounts ra CROSS JOIN shares s) x
        WHERE x.amount > 0 AND x.from_account <> x.to_account
    ), touched AS (
        SELECT DISTINCT v.account_id, v.version
        FROM moves m CROSS JOIN LATERAL (VALUES (m.from_account, m.from_version), (m.to_account, m.to_version)) AS v(account_id, version)
    )
    SELECT coalesce((SELECT s.ok FROM sure s), true),
           coalesce((SELECT array_agg(k.customer_id ORDER BY k.customer_id) FROM kept k), '{}'),
           coalesce((SELECT array_agg(k.total ORDER BY k.customer_id) FROM kept k), '{}'),
           coalesce($6, (SELECT min(e.total) FROM ends e WHERE e.richest)),
           coalesce($7, (SELECT max(e.total) FROM ends e WHERE NOT e.richest)),
           (SELECT h.n FROM holders h),
           (SELECT array_agg(m.from_customer ORDER BY m.rich_rank, m.poor_rank) FROM moves m),
           (SELECT array_agg(m.from_account ORDER BY m.rich_rank, m.poor_rank) FROM moves m),
           (SELECT array_agg(m.to_customer ORDER BY m.rich_rank, m.poor_rank) FROM moves m),
           (SELECT array_agg(m.to_account ORDER BY m.rich_rank, m.poor_rank) FROM moves m),
           (SELECT array_agg(m.amount ORDER BY m.rich_rank, m.poor_rank) FROM moves m),
           (SELECT array_agg(t.account_id ORDER BY t.account_id) FROM touched t),
           (SELECT array_agg(t.version ORDER BY t.account_id) FROM touched t),
           pg_current_snapshot()::text
    $q$, CASE WHEN on_citus() THEN 'NULL::xid' ELSE 'a.xmin' END)
    USING p_percent, p_count, p_holders, p_kept_ids, p_kept_totals, p_floor, p_ceiling, p_since, p_keep;
END
$$;
COMMENT ON FUNCTION bank.robinhood_plan(numeric, integer, bigint, bigint[], numeric[], numeric, numeric, xid, integer) IS
    'Robinhood''s moves on one snapshot: from every holder''s total (p_kept_ids NULL), keeping the p_keep richest '
    'and poorest for a later plan; or from such a kept ranking corrected for the holders whose accounts changed '
    'since p_since. Returns whether the kept ranking still decides (enough), the ranking to keep with its bounds '
    'and the number of holders, the moves, the accounts they touch with the row version each was planned on, '
    'and the snapshot.';

-- On Citus: the versions (xmin) of a plan's accounts, one single-shard query each, as
-- Citus reads a row's xmin only there. In the snapshot of the caller's transaction.
CREATE OR REPLACE FUNCTION bank.robinhood_versions(p_accounts bigint[]) RETURNS xid[]
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_id       bigint;
    v_version  xid;
    v_versions xid[] := '{}';
BEGIN
    FOREACH v_id IN ARRAY p_accounts LOOP
        SELECT a.xmin INTO v_version FROM accounts a WHERE a.account_id = v_id;
        v_versions := v_versions || v_version;
    END LOOP;
    RETURN v_versions;
END
$$;
COMMENT ON FUNCTION bank.robinhood_versions(bigint[]) IS
    'The xmin of each account, in order: on Citus, what a plan''s accounts were in its snapshot.';

-- On Citus, a plan from one consistent snapshot of every node, where a Robinhood at READ
-- COMMITTED has none: made in a REPEATABLE READ transaction of a session of the bank's own
-- (bank.gate_begin()), whose snapshots bank.read_snapshot() opens, and which ends once the
-- plan is made. Nothing is held while it ranks. The caller then claims the plan's accounts
-- (bank.robinhood_claim()): each must still be the version this snapshot saw.
CREATE OR REPLACE FUNCTION bank.robinhood_plan_consistent(p_percent numeric, p_count integer, p_keep integer)
RETURNS TABLE (enough boolean, kept_ids bigint[], kept_totals numeric[], floor numeric, ceiling numeric, holders bigint,
               from_customer bigint[], from_account bigint[], to_customer bigint[], to_account bigint[], amount numeric[],
               accounts bigint[], versions xid[], snapshot text)
LANGUAGE plpgsql VOLATILE
-- dblink connects without a password only for a superuser.
SECURITY DEFINER
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_planner constant text := 'bank_robinhood_plan';
BEGIN
    PERFORM gate_begin(v_planner, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    PERFORM FROM bank_gate.dblink(v_planner, 'SELECT bank.read_snapshot()::text') AS t(opened text);
    RETURN QUERY
    SELECT * FROM bank_gate.dblink(v_planner, format(
        'SELECT p.enough, p.kept_ids, p.kept_totals, p.floor, p.ceiling, p.holders, p.from_customer, p.from_account, '
        '       p.to_customer, p.to_account, p.amount, p.accounts, bank.robinhood_versions(p.accounts), p.snapshot '
        'FROM bank.robinhood_plan(%L, %s, NULL, NULL, NULL, NULL, NULL, NULL, %s) p', p_percent, p_count, p_keep))
        AS t(enough boolean, kept_ids bigint[], kept_totals numeric[], floor numeric, ceiling numeric, holders bigint,
             from_customer bigint[], from_account bigint[], to_customer bigint[], to_account bigint[], amount numeric[],
             accounts bigint[], versions xid[], snapshot text);
    PERFORM bank_gate.dblink_exec(v_planner, 'COMMIT');
END
$$;
COMMENT ON FUNCTION bank.robinhood_plan_consistent(numeric, integer, integer) IS
    'On Citus, bank.robinhood_plan() of the whole bank in one consistent snapshot of every node, with its '
    'accounts'' versions: made in a session of the bank''s own, at REPEATABLE READ, through bank.read_snapshot().';

CREATE OR REPLACE FUNCTION bank.robinhood_claim(p_accounts bigint[], p_versions xid[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_id      bigint;
    v_version xid;
    v_now     xid;
BEGIN
    -- A block of its own: when the claim fails, its row locks go with it.
    BEGIN
        -- Locked in account_id order, as transfers lock theirs: no cycle of waits. One row
        -- per statement, as Citus locks rows on one shard only. A locked row is its newest
        -- version, whose xmin says whether anyone wrote it since.
        FOR v_id, v_version IN
            SELECT v.account_id, v.version FROM unnest(p_accounts, p_versions) AS v(account_id, version)
            ORDER BY v.account_id
        LOOP
            SELECT a.xmin INTO v_now FROM accounts a WHERE a.account_id = v_id FOR UPDATE;
            IF v_now IS DISTINCT FROM v_version THEN
                RAISE EXCEPTION USING ERRCODE = 'BK900';
            END IF;
        END LOOP;
        RETURN true;
    EXCEPTION WHEN SQLSTATE 'BK900' THEN
        RETURN false;
    END;
END
$$;
COMMENT ON FUNCTION bank.robinhood_claim(bigint[], xid[]) IS
    'Locks the accounts (account_id order) and keeps the locks if each is still the version planned on; '
    'otherwise releases them and returns false.';

CREATE OR REPLACE FUNCTION bank.lock_patiently(p_tables text, p_mode text, p_queue boolean) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_setting  text := current_setting('lock_timeout');
    v_limit    interval := v_setting::interval;
    v_deadline timestamptz := clock_timestamp() + v_limit;
BEGIN
    -- A lock request that waits holds every later request for the tables queued behind it:
    -- behind a VACUUM, or an idle reader, a waiting EXCLUSIVE would stop every transfer. So it
    -- is asked for in short tries, and between them transfers pass. Without p_queue it never
    -- waits at all: a transaction that already holds rows a transfer may wait for must not
    -- wait for that transfer in turn. The caller's lock_timeout bounds the whole.
    LOOP
        BEGIN
            IF p_queue THEN
                PERFORM set_config('lock_timeout', '50ms', true);
                EXECUTE format('LOCK TABLE %s IN %s MODE', p_tables, p_mode);
                PERFORM set_config('lock_timeout', v_setting, true);
            ELSE
                EXECUTE format('LOCK TABLE %s IN %s MODE NOWAIT', p_tables, p_mode);
            END IF;
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            IF v_limit > interval '0' AND clock_timestamp() >= v_deadline THEN
                RAISE EXCEPTION 'gave up waiting for % on % after %', p_mode, p_tables, v_limit
                    USING ERRCODE = 'lock_not_available';
            END IF;
        END;
        PERFORM pg_sleep(0.05 + 0.05 * random());
    END LOOP;
END
$$;
COMMENT ON FUNCTION bank.lock_patiently(text, text, boolean) IS
    'LOCK TABLE p_tables IN p_mode MODE, asked for in 50 ms tries (p_queue) or without ever waiting in the '
    'queue, so that other requests are never held long behind it; gives up (55P03) after the session''s '
    'lock_timeout. For Robinhood''s last resort and for loads.';

CREATE OR REPLACE FUNCTION bank.robinhood_apply(p_from_account bigint[], p_to_account bigint[], p_amount numeric[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_change record;
BEGIN
    -- Each account's net change once, in account_id order (one row per statement, so that
    -- it stays on one shard under Citus).
    FOR v_change IN
        SELECT c.account_id, sum(c.delta) AS delta
        FROM (SELECT f.account_id, -f.amount FROM unnest(p_from_account, p_amount) AS f(account_id, amount)
              UNION ALL
              SELECT t.account_id, t.amount FROM unnest(p_to_account, p_amount) AS t(account_id, amount)
             ) AS c(account_id, delta)
        GROUP BY c.account_id
        HAVING sum(c.delta) <> 0
        ORDER BY c.account_id
    LOOP
        -- A gift that would take an account past numeric(15,2) refuses the whole Robinhood
        -- with our code rather than PostgreSQL's overflow error.
        UPDATE accounts a SET balance = a.balance + v_change.delta
        WHERE a.account_id = v_change.account_id AND a.balance <= 9999999999999.99 - v_change.delta;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account % would receive % and go beyond the largest balance, 9999999999999.99; nothing was moved',
                v_change.account_id, v_change.delta
                USING ERRCODE = 'BK008';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION bank.robinhood_apply(bigint[], bigint[], numeric[]) IS
    'Moves Robinhood''s gifts: each account''s net change once, in account_id order; BK008 if one would overflow.';

CREATE OR REPLACE FUNCTION bank.robinhood_run(p_percent numeric, p_count integer, p_margin integer, p_tries integer)
RETURNS TABLE (from_customer bigint, from_account bigint, to_customer bigint, to_account bigint,
               amount numeric(15,2))
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_keep     integer := p_margin + 2 * p_count; -- kept at each end: see robinhood_plan's check
    v_citus    boolean := on_citus();
    -- A transaction that already changed something may hold rows a transfer waits for
    -- while it holds one of Robinhood's accounts: it plans under the lock, taken without
    -- ever waiting, so that the two cannot wait for each other.
    v_changed  boolean := pg_current_xact_id_if_assigned() IS NOT NULL;
    v_locked   boolean := false;
    v_plan     record;
    v_kept     record;  -- the ranking the next plan corrects; NULL ids: rank the whole bank
    v_since    xid;     -- every change the kept ranking misses is this old or younger
    v_next     xid;
    v_rankings integer := 0;
    v_plans    integer := 0;
BEGIN
    PERFORM robinhood_check(p_percent, p_count);
    IF v_citus AND NOT v_changed THEN
        -- On Citus, a transaction that has touched a worker: its plan, made in another
        -- session, could not see its own changes there.
        v_changed := (pg_catalog.get_current_transaction_id()).transaction_number <> 0;
    END IF;
    -- Robinhoods one at a time: each reads every account the other writes.
    PERFORM pg_advisory_xact_lock('bank.accounts'::regclass::oid::integer, 1);
    -- Who holds what stays as it is until commit: loads wait. Same order as load_begin().
    LOCK TABLE customers, accounts, customer_accounts IN ACCESS SHARE MODE;
    SELECT NULL::bigint[] AS kept_ids, NULL::numeric[] AS kept_totals, NULL::numeric AS floor,
           NULL::numeric AS ceiling, NULL::bigint AS holders
    INTO v_kept;
    LOOP
        v_plans := v_plans + 1;
        IF NOT v_locked AND (v_changed OR v_plans > p_tries) THEN
            -- A transaction that changed something must not wait for a transfer; and
            -- transfers took the accounts of every plan so far: stop the writers for one
            -- last plan, from the whole bank.
            PERFORM lock_patiently('accounts', 'EXCLUSIVE', NOT v_changed);
            v_locked := true;
            v_kept.kept_ids := NULL;
        END IF;
        v_next := oldest_running();
        IF v_kept.kept_ids IS NULL THEN
            v_rankings := v_rankings + 1;
        END IF;
        IF v_citus AND NOT v_locked THEN
            -- Citus has no snapshot across its nodes, and row versions that only each
            -- node can read: every plan ranks the whole bank, in a snapshot of its own.
            SELECT * INTO v_plan FROM robinhood_plan_consistent(p_percent, p_count, v_keep);
        ELSE
            SELECT * INTO v_plan
            FROM robinhood_plan(p_percent, p_count, v_kept.holders, v_kept.kept_ids, v_kept.kept_totals,
                                v_kept.floor, v_kept.ceiling, v_since, v_keep);
        END IF;
        IF NOT v_plan.enough THEN
            v_kept.kept_ids := NULL; -- transfers drained an end of the ranking: rank again
            CONTINUE;
        END IF;
        -- Under the lock nothing can have changed. Otherwise claim the accounts, or plan
        -- again from this plan's ranking corrected for what changed since its snapshot.
        EXIT WHEN v_locked OR robinhood_claim(v_plan.accounts, v_plan.versions);
        IF NOT v_citus THEN
            SELECT v_plan.kept_ids, v_plan.kept_totals, v_plan.floor, v_plan.ceiling, v_plan.holders INTO v_kept;
            v_since := v_next;
        END IF;
    END LOOP;

    -- How it went, for the caller to read before COMMIT (current_setting('bank.robinhood_path')).
    PERFORM set_config('bank.robinhood_path', format('%s, %s ranking(s), %s plan(s)',
        CASE WHEN v_locked THEN 'locked' ELSE 'snapshot' END, v_rankings, v_plans), true);
    PERFORM set_config('bank.robinhood_snapshot', v_plan.snapshot, true);
    PERFORM robinhood_apply(v_plan.from_account, v_plan.to_account, v_plan.amount);
    RETURN QUERY
    SELECT m.from_customer, m.from_account, m.to_customer, m.to_account, m.amount::numeric(15,2)
    FROM unnest(v_plan.from_customer, v_plan.from_account, v_plan.to_customer, v_plan.to_account, v_plan.amount)
         WITH ORDINALITY AS m(from_customer, from_account, to_customer, to_account, amount, ord)
    ORDER BY m.ord;
END
$$;
COMMENT ON FUNCTION bank.robinhood_run(numeric, integer, integer, integer) IS
    'Robinhood''s algorithm, with its two tuning knobs: p_margin, how many holders beyond 2 x p_count each end '
    'of the kept ranking holds; p_tries, how many plans may lose their accounts to transfers before the '
    'accounts are locked for a last one. bank.robinhood() calls it with the defaults.';

CREATE OR REPLACE FUNCTION bank.robinhood(p_percent numeric DEFAULT 10, p_count integer DEFAULT 10)
RETURNS TABLE (from_customer bigint, from_account bigint, to_customer bigint, to_account bigint,
               amount numeric(15,2))
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    -- A ranking keeps 1,000 holders to spare at each end, so that a few seconds of
    -- transfers rarely push one from outside it past the bounds; five plans may lose an
    -- account to a transfer before the writers are stopped for a last one.
    RETURN QUERY SELECT * FROM robinhood_run(p_percent, p_count, 1000, 5);
END
$$;
COMMENT ON FUNCTION bank.robinhood(numeric, integer) IS
    'Operation Robinhood, in one transaction: the p_count richest customers (ties: lower id) each give '
    'floor(p_percent% of their largest account) to the cent, split evenly among the p_count poorest of the '
    'others (leftover cents to the poorest first), paid into each recipient''s oldest account. '
    'An account that is the largest of several donors gives once. Returns one row per movement, '
    'ordered by donor rank then recipient rank (poorest first). Ranks while transfers go on, then locks only '
    'the accounts it moves: the moves are what one snapshot of the bank gives, and no transfer touched those '
    'accounts between that snapshot and the commit. current_setting(''bank.robinhood_path'') and '
    '(''bank.robinhood_snapshot'') say, before COMMIT, how it ran and on which snapshot. Must run at READ '
    'COMMITTED (BK006); after other changes in its transaction it plans under a lock on the accounts. A gift '
    'that would overflow an account refuses it all (BK008).';

CREATE OR REPLACE FUNCTION bank.audit()
RETURNS TABLE (customers bigint, accounts bigint, links bigint, total_balance numeric,
               negative_balances bigint)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM read_snapshot();
    RETURN QUERY
    SELECT (SELECT count(*) FROM customers),
           (SELECT count(*) FROM accounts),
           (SELECT count(*) FROM customer_accounts),
           (SELECT coalesce(sum(a.balance), 0.00) FROM accounts a),
           (SELECT count(*) FROM accounts a WHERE a.balance < 0);
END
$$;
COMMENT ON FUNCTION bank.audit() IS
    'One consistent snapshot of the bank: how many customers, accounts and holder links, all the money, '
    'and how many balances are negative (always 0: a CHECK forbids it; audit proves it).';

CREATE OR REPLACE FUNCTION bank.balances()
RETURNS TABLE (account_id bigint, balance numeric(15,2))
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM read_snapshot();
    RETURN QUERY SELECT a.account_id, a.balance FROM accounts a ORDER BY a.account_id;
END
$$;
COMMENT ON FUNCTION bank.balances() IS
    'Every account''s balance, by account_id: what a checker compares before and after a run of transfers.';

-- The profile of a loaded bank (client inspect): how its data compare with a real bank's.
CREATE OR REPLACE FUNCTION bank.profile()
RETURNS TABLE (customers bigint, accounts bigint, joint_accounts bigint, joint_pct numeric(5,2),
               household_customers bigint, household_pct numeric(5,2),
               balance_p10 numeric(15,2), balance_p50 numeric(15,2), balance_p90 numeric(15,2),
               balance_p99 numeric(15,2), balance_max numeric(15,2))
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_customers bigint;
    v_accounts bigint;
    v_joint bigint;
    v_household bigint;
    v_pct numeric[];
    v_max numeric(15,2);
BEGIN
    PERFORM read_snapshot();
    SELECT count(*) INTO v_customers FROM customers;
    SELECT count(*), max(a.balance),
           -- percentile_disc picks a real balance, so each figure is exact to the cent.
           percentile_disc(ARRAY[0.10, 0.50, 0.90, 0.99]) WITHIN GROUP (ORDER BY a.balance)
      INTO v_accounts, v_max, v_pct
      FROM accounts a;
    SELECT count(*) INTO v_joint
      FROM (SELECT 1 FROM customer_accounts GROUP BY account_id HAVING count(*) > 1) j;
    -- A household is two or more customers at one street address.
    SELECT coalesce(sum(n), 0) INTO v_household
      FROM (SELECT count(*) AS n FROM customers
            GROUP BY street_address, city, state, zip HAVING count(*) > 1) h;
    RETURN QUERY SELECT
        v_customers, v_accounts, v_joint,
        round(100.0 * v_joint / nullif(v_accounts, 0), 2)::numeric(5,2),
        v_household,
        round(100.0 * v_household / nullif(v_customers, 0), 2)::numeric(5,2),
        v_pct[1]::numeric(15,2), v_pct[2]::numeric(15,2), v_pct[3]::numeric(15,2),
        v_pct[4]::numeric(15,2), v_max;
END
$$;
COMMENT ON FUNCTION bank.profile() IS
    'One row describing the bank: joint accounts (more than one holder) and their percent of accounts, '
    'customers sharing a street address with another customer and their percent, and the 10th, 50th, '
    '90th and 99th percentiles (percentile_disc) and maximum of account balances. NULLs when empty.';

CREATE OR REPLACE FUNCTION bank.profile_states(p_limit integer DEFAULT 10)
RETURNS TABLE (state char(2), customers bigint, pct numeric(5,2))
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM check_limit(p_limit);
    RETURN QUERY
    SELECT c.state, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2)::numeric(5,2)
    FROM customers c
    GROUP BY c.state
    ORDER BY count(*) DESC, c.state
    LIMIT p_limit;
END
$$;
COMMENT ON FUNCTION bank.profile_states(integer) IS
    'The states with the most customers, with their percent of all customers; ties by state.';

CREATE OR REPLACE FUNCTION bank.profile_accounts_per_customer()
RETURNS TABLE (accounts integer, customers bigint, pct numeric(5,2))
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM read_snapshot();
    RETURN QUERY
    WITH held AS (
        SELECT c.customer_id, count(ca.account_id)::integer AS n
        FROM customers c
        LEFT JOIN customer_accounts ca ON ca.customer_id = c.customer_id
        GROUP BY c.customer_id
    )
    SELECT h.n, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2)::numeric(5,2)
    FROM held h
    GROUP BY h.n
    ORDER BY h.n;
END
$$;
COMMENT ON FUNCTION bank.profile_accounts_per_customer() IS
    'The histogram of accounts held per customer, joint accounts counted for each holder, '
    'with each count''s percent of customers.';

-- A load is bank.load_begin() (keys dropped, tables emptied), the new rows, then
-- bank.load_finish() (keys back): a transaction that commits between the two would leave a
-- bank without keys. load_begin() inserts and deletes one guard row with bank.load_guard
-- set, which queues this deferred trigger exactly once; load_finish() fires it early (SET
-- CONSTRAINTS ... IMMEDIATE, as ALTER TABLE refuses a table with pending trigger events)
-- after marking the load finished. A COMMIT before that fires it unmarked, and it refuses
-- the commit. Other inserts only pay for the WHEN test.
CREATE OR REPLACE FUNCTION bank.load_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF current_setting('bank.load_finished', true) IS DISTINCT FROM 'yes' THEN
        RAISE EXCEPTION 'a load begun with bank.load_begin() must end with bank.load_finish() before COMMIT; '
                        'nothing was changed'
            USING ERRCODE = 'BK007';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION bank.load_guard() IS
    'The deferred trigger behind every load: refuses (BK007) a COMMIT after bank.load_begin() without bank.load_finish().';
-- Citus would run this trigger on the workers, where the coordinator's setting that arms
-- it is not seen: there is none there (db/citus/distribute.sql), and load_begin() checks
-- for autocommit itself.
DO $$
BEGIN
    IF NOT bank.on_citus() THEN
        -- Made again only when it is missing or differs: dropping it takes ACCESS EXCLUSIVE
        -- on customers until this file commits, and a report holding customers while it
        -- waits for the view would deadlock with the reload.
        CREATE TEMPORARY TABLE load_guard_wanted (LIKE bank.customers);
        CREATE CONSTRAINT TRIGGER customers_load_guard
            AFTER INSERT ON pg_temp.load_guard_wanted
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW
            WHEN (current_setting('bank.load_guard', true) = 'armed')
            EXECUTE FUNCTION bank.load_guard();
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_trigger t, pg_catalog.pg_trigger w
            WHERE t.tgrelid = 'bank.customers'::regclass AND t.tgname = 'customers_load_guard'
              AND w.tgrelid = 'pg_temp.load_guard_wanted'::regclass AND w.tgname = 'customers_load_guard'
              AND regexp_replace(pg_catalog.pg_get_triggerdef(w.oid), ' ON \S+ ', ' ON t ')
                  = regexp_replace(pg_catalog.pg_get_triggerdef(t.oid), ' ON \S+ ', ' ON t ')
        ) THEN
            PERFORM set_config('client_min_messages', 'warning', true); -- no notice on a first load
            DROP TRIGGER IF EXISTS customers_load_guard ON bank.customers;
            CREATE CONSTRAINT TRIGGER customers_load_guard
                AFTER INSERT ON bank.customers
                DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW
                WHEN (current_setting('bank.load_guard', true) = 'armed')
                EXECUTE FUNCTION bank.load_guard();
        END IF;
        DROP TABLE pg_temp.load_guard_wanted;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION bank.load_begin() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_replaced bigint;
BEGIN
    IF on_citus() THEN
        -- Citus runs no deferred trigger on the coordinator for a reference table, so the
        -- commit-time guard below does not exist there, and in autocommit this would empty
        -- the bank and commit at once. No function can tell autocommit from a transaction
        -- block under every protocol (the extended protocol resets the statement's clock at
        -- Bind and Execute), so the caller says so: a setting made with SET LOCAL lives only
        -- in a transaction block, and in autocommit it is gone before this call.
        IF current_setting('bank.loading', true) IS DISTINCT FROM 'on' THEN
            RAISE EXCEPTION 'on Citus, bank.load_begin() empties the bank only inside BEGIN ... COMMIT, after '
                            'SET LOCAL bank.loading = on; then insert the new bank and call bank.load_finish()'
                USING ERRCODE = 'BK007';
        END IF;
        -- The foreign key to the reference table that load_finish() adds back must not
        -- follow a parallel command on a distributed table in the same transaction: the
        -- whole load runs one connection per worker.
        PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    END IF;
    -- Same table order as bank.robinhood(): two loads, or a load and a Robinhood, queue
    -- rather than deadlock. In short tries: behind an idle reader, a waiting request would
    -- hold every transfer.
    PERFORM lock_patiently('customers, accounts, customer_accounts', 'ACCESS EXCLUSIVE', true);
    PERFORM drop_keys();
    -- DELETE, not TRUNCATE: a reader whose snapshot is older than this load must still see
    -- the old bank, not an empty one (TRUNCATE is not MVCC-safe).
    DELETE FROM customer_accounts;
    DELETE FROM accounts;
    DELETE FROM customers;
    -- Whether there was a bank to replace, for the caller: its rows are dead after the
    -- commit, and worth a VACUUM then. Read here, under the locks, and not before them:
    -- a caller that looked first would hold a lock on customers that the next load waits
    -- for while waiting for the same.
    GET DIAGNOSTICS v_replaced = ROW_COUNT;
    PERFORM set_config('bank.load_replaced', CASE WHEN v_replaced > 0 THEN 'on' ELSE 'off' END, true);
    IF NOT on_citus() THEN
        -- Arm the commit-time guard (bank.load_guard(), above): one row in and out
        -- of the now empty table queues it once. A COMMIT, in autocommit too, then fails
        -- with BK007 unless bank.load_finish() has put the keys back.
        PERFORM set_config('bank.load_finished', '', true);
        PERFORM set_config('bank.load_guard', 'armed', true);
        INSERT INTO customers VALUES (1, 'guard', 'guard', 'guard', 'guard', 'CA', '00000', now());
        DELETE FROM customers;
        PERFORM set_config('bank.load_guard', '', true);
    END IF;
END
$$;
COMMENT ON FUNCTION bank.load_begin() IS
    'Starts a bulk load inside the caller''s transaction: locks the three tables, drops the keys and '
    'empties the tables, setting bank.load_replaced to on if they held a bank (VACUUM them after the COMMIT). '
    'Readers wait for the commit, then see the new bank. A COMMIT (autocommit '
    'included) before bank.load_finish() fails with BK007 and changes nothing.';

CREATE OR REPLACE FUNCTION bank.load_finish() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF NOT on_citus() THEN
        -- The load is finished: let load_begin()'s guard pass, now rather than at COMMIT,
        -- since ALTER TABLE refuses a table with a pending trigger event.
        PERFORM set_config('bank.load_finished', 'yes', true);
        SET CONSTRAINTS bank.customers_load_guard IMMEDIATE;
        SET CONSTRAINTS bank.customers_load_guard DEFERRED;
    END IF;
    -- Building each key once over the loaded rows is several times cheaper than
    -- maintaining it row by row, and it validates the load: a duplicate id or a link to a
    -- missing row fails here, and the whole load rolls back.
    PERFORM create_keys();
    ANALYZE customers;
    ANALYZE accounts;
    ANALYZE customer_accounts;
END
$$;
COMMENT ON FUNCTION bank.load_finish() IS
    'Ends a bulk load started by bank.load_begin(): rebuilds and so validates the keys, and analyzes the tables. '
    'A load that replaced a bank leaves the old rows dead: VACUUM the three tables after the COMMIT '
    '(it cannot run inside a transaction), as client populate does.';

-- Who may call what. Functions are executable by PUBLIC unless revoked; we revoke them all
-- and grant the read-only ones to bank_reader (db/init.sql). The owner (postgres) keeps
-- every right. A function created later is PUBLIC again until this runs again.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bank FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    bank.on_citus(), bank.read_snapshot(), bank.read_gate(), bank.shown(text), bank.check_limit(integer), bank.top_states(integer), bank.ranked_customers(integer, boolean),
    bank.top_customers(integer), bank.bottom_customers(integer), bank.audit(), bank.balances(),
    bank.profile(), bank.profile_states(integer), bank.profile_accounts_per_customer()
    TO bank_reader;

-- On Citus, a function that reads every account may lock first (bank.read_snapshot()), and
-- a STABLE function may not: there they are VOLATILE, so each of their statements also
-- takes a snapshot after the lock. Here rather than in db/citus/distribute.sql, so that
-- loading this file again on a distributed bank keeps it so.
DO $$
BEGIN
    IF bank.on_citus() THEN
        ALTER FUNCTION bank.top_states(integer) VOLATILE;
        ALTER FUNCTION bank.ranked_customers(integer, boolean) VOLATILE;
        ALTER FUNCTION bank.top_customers(integer) VOLATILE;
        ALTER FUNCTION bank.bottom_customers(integer) VOLATILE;
        ALTER FUNCTION bank.audit() VOLATILE;
        ALTER FUNCTION bank.balances() VOLATILE;
        ALTER FUNCTION bank.profile() VOLATILE;
        ALTER FUNCTION bank.profile_accounts_per_customer() VOLATILE;
    END IF;
END
$$;

-- On Citus, bank.read_snapshot() talks to this server through dblink, in a schema of its
-- own that no one else may use, and bank_reader reads at REPEATABLE READ by default. Here rather than in db/citus/distribute.sql, so that
-- loading this file again on a distributed bank made before it keeps it working.
DO $$
BEGIN
    IF bank.on_citus() THEN
        PERFORM set_config('client_min_messages', 'warning', true); -- no notice on a reload
        CREATE SCHEMA IF NOT EXISTS bank_gate;
        REVOKE ALL ON SCHEMA bank_gate FROM PUBLIC;
        CREATE EXTENSION IF NOT EXISTS dblink SCHEMA bank_gate;
        -- The read-only role's every call is a read that qualifies, from any SQL client.
        EXECUTE format('ALTER ROLE bank_reader IN DATABASE %I SET default_transaction_isolation = %L',
                       current_database(), 'repeatable read');
    END IF;
END
$$;

COMMIT;
