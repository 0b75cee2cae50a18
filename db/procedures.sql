-- Fun With Banking: the functions. Loaded after db/init.sql; loading it again on a live bank
-- replaces them (CREATE OR REPLACE), which is how a fix is deployed.
--
-- Every report, Robinhood and transfer lives here, so that a psql user and the Go client get
-- the very same answers. Money is numeric, exact to the cent. Read top to bottom: the
-- reports, the transfer, Robinhood step by step, the audit and profiles, then loads.
--
--   * A customer's total balance is the sum of the balances of every account they hold; a
--     joint account counts in full for each holder. A customer with no account has 0.00.
--   * Ties are always broken by the lower id, so every answer is deterministic.
--
-- Our errors, by SQLSTATE (class BK is ours; PostgreSQL uses none of it):
--   BK001  unknown account                    BK006  robinhood called above READ COMMITTED
--   BK002  transfer to the same account       BK007  load_begin twice or in replica mode, or
--                                                    load_finish without it
--   BK003  invalid amount                     BK008  a receiving account would pass 9999999999999.99
--   BK004  insufficient funds                 BK009  on Citus, a read that cannot be consistent
--   BK005  invalid argument                   BK010  on Citus, a two-phase commit awaits recovery
-- A COMMIT after load_begin() without load_finish() fails on the constraint load_unfinished
-- (23P01). BK900 and BK901 are internal: raised and caught here, never seen by a caller.
--
-- PL/pgSQL throughout, never LANGUAGE sql: Citus cannot plan parameterized SQL functions
-- over distributed tables. Every function pins its search_path and says who may call it.
-- db/citus/functions.sql replaces the few steps that differ on a Citus cluster.

-- One transaction: callers see the old functions or the new ones, never neither.
BEGIN;

-- ===== Reloading into a live bank ==========================================================
-- A function whose result columns changed cannot be replaced, only dropped and made again.
DO $$
DECLARE
    v_fn record;
BEGIN
    FOR v_fn IN
        SELECT p.oid::regprocedure AS fn
        FROM pg_catalog.pg_proc p
        JOIN (VALUES
            ('top_states', 'TABLE(state character, customers bigint, avg_balance numeric)'),
            ('ranked_customers', 'SETOF bank.ranked_customer'),
            ('top_customers', 'SETOF bank.ranked_customer'),
            ('bottom_customers', 'SETOF bank.ranked_customer'),
            ('robinhood', 'SETOF bank.move'),
            ('robinhood_run', 'SETOF bank.move'),
            ('audit', 'TABLE(customers bigint, accounts bigint, links bigint, total_balance numeric, negative_balances bigint)')
        ) AS w(name, result) ON w.name = p.proname
        WHERE p.pronamespace = 'bank'::regnamespace AND pg_catalog.pg_get_function_result(p.oid) <> w.result
    LOOP
        EXECUTE format('DROP FUNCTION %s', v_fn.fn);
    END LOOP;
END
$$;

-- Types have no CREATE OR REPLACE: each is made when missing.
DO $$
DECLARE
    v_type record;
BEGIN
    FOR v_type IN SELECT * FROM (VALUES
        -- A ranking of account holders kept for a later correction: the kept holders (the
        -- richest and the poorest) with their totals; every holder not kept has a total
        -- between lower and upper. since: the ranking's snapshot saw every change made before it.
        ('bank.ranking', 'ids bigint[], totals numeric[], lower numeric, upper numeric, holders bigint, since xid'),
        -- Robinhood's moves from one ranking, the accounts they touch with the row version each
        -- was planned on, and the snapshot they were planned on.
        ('bank.plan', 'ranking bank.ranking, from_customer bigint[], from_account bigint[], to_customer bigint[], '
                      'to_account bigint[], amount numeric[], accounts bigint[], versions xid[], snapshot text'),
        -- A row of top_customers and bottom_customers, and one of Robinhood's movements.
        ('bank.ranked_customer', 'customer_id bigint, first_name text, last_name text, state char(2), '
                                 'accounts integer, total_balance numeric'),
        ('bank.move', 'from_customer bigint, from_account bigint, to_customer bigint, to_account bigint, amount numeric(15,2)')
    ) AS t(name, fields) WHERE to_regtype(t.name) IS NULL
    LOOP
        EXECUTE format('CREATE TYPE %s AS (%s)', v_type.name, v_type.fields);
    END LOOP;
END
$$;

-- ===== Definitions and helpers =============================================================

-- A customer's total balance, defined once for every report and for Robinhood. A view, so
-- that each query that reads it is planned as if it had written the join itself. Replaced
-- only when its definition changed: replacing takes ACCESS EXCLUSIVE until this file commits,
-- and every report would queue behind the reload.
DO $$
DECLARE
    v_definition constant text := $sql$
        SELECT ca.customer_id, count(*)::integer AS accounts, sum(a.balance) AS total
        FROM bank.customer_accounts ca
        JOIN bank.accounts a ON a.account_id = ca.account_id
        GROUP BY ca.customer_id
    $sql$;
    v_messages constant text := current_setting('client_min_messages');
BEGIN
    -- Citus notes that a temporary view stays on the coordinator: so it should.
    PERFORM set_config('client_min_messages', 'error', true);
    EXECUTE 'CREATE TEMPORARY VIEW customer_totals_wanted AS ' || v_definition;
    IF pg_catalog.pg_get_viewdef(to_regclass('bank.customer_totals'))
       IS DISTINCT FROM pg_catalog.pg_get_viewdef('pg_temp.customer_totals_wanted'::regclass) THEN
        EXECUTE 'CREATE OR REPLACE VIEW bank.customer_totals AS ' || v_definition;
    END IF;
    DROP VIEW customer_totals_wanted; -- not pg_temp.: Citus would look for a schema of that name
    PERFORM set_config('client_min_messages', v_messages, true);
END
$$;
COMMENT ON VIEW bank.customer_totals IS
    'Each account holder''s number of accounts and total balance (joint accounts in full for each holder).';
GRANT SELECT ON bank.customer_totals TO bank_reader;

-- An argument as an error message shows it: a numeric can have 131,072 digits, and the
-- message must stay one readable line.
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
GRANT EXECUTE ON FUNCTION bank.shown(text) TO bank_reader;

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
COMMENT ON FUNCTION bank.check_limit(integer) IS 'Raises BK005 unless p_limit is at least 1: every report''s check.';
GRANT EXECUTE ON FUNCTION bank.check_limit(integer) TO bank_reader;

-- Where every read of all accounts begins. On one node the statement's snapshot already
-- shows the whole bank at one moment, so this does nothing; on Citus, whose workers each
-- take their own, db/citus/functions.sql replaces it.
CREATE OR REPLACE FUNCTION bank.read_snapshot() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
END
$$;
COMMENT ON FUNCTION bank.read_snapshot() IS
    'Called first by every function that reads all accounts: on one node, nothing to do.';
GRANT EXECUTE ON FUNCTION bank.read_snapshot() TO bank_reader;

-- ===== Reports =============================================================================

-- The reports join in account_id order, as bank.rank_holders() does and for the same reason.
CREATE OR REPLACE FUNCTION bank.top_states(p_limit integer DEFAULT 10)
RETURNS TABLE (state char(2), customers bigint, avg_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
SET enable_hashjoin = off
SET enable_nestloop = off
SET enable_mergejoin = on
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
    -- By the exact average: two states that round to the same cent still rank apart.
    ORDER BY b.avg_total DESC, b.state
    LIMIT p_limit;
END
$$;
COMMENT ON FUNCTION bank.top_states(integer) IS
    'States by the average total balance of the customers living there, highest first; ties by state. '
    'avg_balance is rounded half away from zero to the cent; the order uses the exact average.';
GRANT EXECUTE ON FUNCTION bank.top_states(integer) TO bank_reader;

-- One ranking of customers by total balance, behind top_customers and bottom_customers.
CREATE OR REPLACE FUNCTION bank.ranked_customers(p_limit integer, p_richest_first boolean)
RETURNS SETOF bank.ranked_customer
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
SET enable_hashjoin = off
SET enable_nestloop = off
SET enable_mergejoin = on
AS $$
BEGIN
    PERFORM check_limit(p_limit);
    IF p_richest_first IS NULL THEN
        RAISE EXCEPTION 'p_richest_first must not be NULL' USING ERRCODE = 'BK005';
    END IF;
    PERFORM read_snapshot();
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
    'Customers by total balance, richest or poorest first; ties by lower customer_id.';
GRANT EXECUTE ON FUNCTION bank.ranked_customers(integer, boolean) TO bank_reader;

CREATE OR REPLACE FUNCTION bank.top_customers(p_limit integer DEFAULT 10)
RETURNS SETOF bank.ranked_customer
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
GRANT EXECUTE ON FUNCTION bank.top_customers(integer) TO bank_reader;

CREATE OR REPLACE FUNCTION bank.bottom_customers(p_limit integer DEFAULT 10)
RETURNS SETOF bank.ranked_customer
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN QUERY SELECT * FROM ranked_customers(p_limit, false);
END
$$;
COMMENT ON FUNCTION bank.bottom_customers(integer) IS
    'The p_limit customers with the lowest total balance, lowest first; ties by lower customer_id.';
GRANT EXECUTE ON FUNCTION bank.bottom_customers(integer) TO bank_reader;

-- ===== Transfer ============================================================================

-- Contract: moves p_amount from one account to the other in the caller's transaction, or
-- raises and moves nothing. Locks the two rows lower account_id first, one row a statement
-- (so each lock stays on one shard under Citus): two transfers never wait in a cycle.
CREATE OR REPLACE FUNCTION bank.transfer(p_from_account bigint, p_to_account bigint, p_amount numeric)
RETURNS TABLE (from_account bigint, from_balance numeric(15,2), to_account bigint, to_balance numeric(15,2))
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_balance   numeric(15,2);
    v_available numeric(15,2);
    v_receiving numeric(15,2);
    v_id        bigint;
BEGIN
    IF p_from_account IS NULL OR p_to_account IS NULL THEN
        RAISE EXCEPTION 'transfer needs both accounts, got from % to %',
            shown(p_from_account::text), shown(p_to_account::text)
            USING ERRCODE = 'BK001';
    END IF;
    IF p_from_account = p_to_account THEN
        RAISE EXCEPTION 'cannot transfer from account % to itself', p_from_account USING ERRCODE = 'BK002';
    END IF;
    IF p_amount IS NULL OR p_amount = 'NaN' OR p_amount <= 0 OR p_amount > 9999999999999.99
       OR p_amount <> round(p_amount, 2) THEN
        RAISE EXCEPTION 'amount must be a positive number of dollars and whole cents, at most 9999999999999.99; got %',
            shown(p_amount::text)
            USING ERRCODE = 'BK003';
    END IF;

    FOREACH v_id IN ARRAY ARRAY[least(p_from_account, p_to_account), greatest(p_from_account, p_to_account)] LOOP
        SELECT a.balance INTO v_balance FROM accounts a WHERE a.account_id = v_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account % does not exist', v_id USING ERRCODE = 'BK001';
        END IF;
        IF v_id = p_from_account THEN
            v_available := v_balance;
        ELSE
            v_receiving := v_balance;
        END IF;
    END LOOP;
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

-- ===== Robinhood ===========================================================================
-- bank.robinhood() at the end of this part runs the steps before it, each tested on its own
-- (db/test/one_node/robinhood_test.sql). It ranks on a snapshot while transfers go on, then
-- locks only the accounts it moves and checks that no transfer wrote them since that
-- snapshot; if one did, it corrects the ranking for what changed and plans again.

-- Contract: percent in (0, 100] and count >= 1 (BK005), at READ COMMITTED (BK006), where each
-- step takes a snapshot of its own. PostgreSQL runs READ UNCOMMITTED as READ COMMITTED.
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
    IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        RAISE EXCEPTION 'robinhood must run at READ COMMITTED (it is %): each of its steps reads the bank afresh',
            current_setting('transaction_isolation')
            USING ERRCODE = 'BK006';
    END IF;
END
$$;
COMMENT ON FUNCTION bank.robinhood_check(numeric, integer) IS
    'Robinhood''s preconditions: percent in (0, 100] and count >= 1 (BK005), READ COMMITTED (BK006).';

-- Contract: the p_keep richest and p_keep poorest holders with their totals, the bounds
-- every other holder lies within, the number of holders, and the snapshot's xmin: every
-- change this statement's snapshot misses was made by that transaction or a younger one.
-- Joined in account_id order, through accounts' key and the links' index on account_id:
-- hashing every account first costs a quarter more under writers (docs/performance.md).
-- Nested loops are ruled out too, so no session setting can make the join quadratic.
CREATE OR REPLACE FUNCTION bank.rank_holders(p_keep integer) RETURNS bank.ranking
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
SET enable_hashjoin = off
SET enable_nestloop = off
SET enable_mergejoin = on
AS $$
DECLARE
    v_ranking ranking;
BEGIN
    WITH totals AS MATERIALIZED (
        SELECT t.customer_id, t.total FROM customer_totals t
    ), richest AS (
        SELECT * FROM totals t ORDER BY t.total DESC, t.customer_id LIMIT p_keep
    ), poorest AS (
        SELECT * FROM totals t ORDER BY t.total, t.customer_id LIMIT p_keep
    ), kept AS (
        SELECT * FROM richest UNION SELECT * FROM poorest
    )
    SELECT array_agg(k.customer_id ORDER BY k.customer_id), array_agg(k.total ORDER BY k.customer_id),
           (SELECT max(p.total) FROM poorest p), (SELECT min(r.total) FROM richest r),
           (SELECT count(*) FROM totals),
           (pg_snapshot_xmin(pg_current_snapshot())::text::numeric % 4294967296)::text::xid
    INTO v_ranking
    FROM kept k;
    RETURN v_ranking;
END
$$;
COMMENT ON FUNCTION bank.rank_holders(integer) IS
    'Ranks every account holder in the caller''s snapshot and keeps the p_keep richest and poorest, with the '
    'bounds every other holder lies within: a bank.ranking.';

-- Contract: p_ranking brought up to this statement's snapshot, or NULL if it no longer
-- decides who gives and who receives. Only holders of accounts written since the ranking
-- are looked at, and of those only the ones whose bounds say they might now be among the
-- p_count richest or 2 x p_count poorest get their totals afresh. Links do not change
-- meanwhile: bank.robinhood_run() holds customer_accounts against writers.
CREATE OR REPLACE FUNCTION bank.rerank_holders(p_ranking bank.ranking, p_count integer) RETURNS bank.ranking
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_written  bigint[];
    v_holders  bigint[];  -- the holders of the accounts written since the ranking...
    v_balances numeric[]; -- ...and, for each, what those accounts hold now
    v_everyone constant boolean := cardinality(p_ranking.ids) >= p_ranking.holders;
    v_kept     ranking;
    v_donor    numeric;   -- the p_count-th richest total among the kept, now
    v_receiver numeric;   -- the (2 x p_count)-th poorest
    v_ranking  ranking;
BEGIN
    -- Written since: a row version whose xmin is no older than p_ranking.since (age()
    -- compares 32-bit ids across wraparound; younger ids, this transaction's own among
    -- them, have negative ages). A row frozen over 2^31 ids ago can pass too: that costs a
    -- look at its holders and changes nothing.
    SELECT array_agg(a.account_id) INTO v_written FROM accounts a WHERE age(a.xmin) <= age(p_ranking.since);
    SELECT array_agg(h.customer_id), array_agg(h.balances) INTO v_holders, v_balances
    FROM (SELECT ca.customer_id, sum(a.balance) AS balances
          FROM unnest(v_written) AS w(account_id)
          JOIN customer_accounts ca ON ca.account_id = w.account_id
          JOIN accounts a ON a.account_id = w.account_id
          GROUP BY ca.customer_id) h;
    v_kept := refresh_totals(p_ranking, v_holders, v_balances, NULL, NULL);
    SELECT (array_agg(k.total ORDER BY k.total DESC, k.customer_id))[p_count],
           (array_agg(k.total ORDER BY k.total, k.customer_id))[2 * p_count]
    INTO v_donor, v_receiver
    FROM unnest(v_kept.ids, v_kept.totals) AS k(customer_id, total);
    IF NOT v_everyone AND (v_donor IS NULL OR v_receiver IS NULL
                           OR p_ranking.upper >= v_donor OR p_ranking.lower <= v_receiver) THEN
        RETURN NULL; -- transfers drained an end of the ranking: rank the whole bank again
    END IF;
    v_ranking := refresh_totals(v_kept, v_holders, v_balances, v_donor, v_receiver);
    v_ranking.since := (pg_snapshot_xmin(pg_current_snapshot())::text::numeric % 4294967296)::text::xid;
    RETURN v_ranking;
END
$$;
COMMENT ON FUNCTION bank.rerank_holders(bank.ranking, integer) IS
    'A kept ranking corrected for the accounts written since its snapshot, or NULL when it no longer decides '
    'who gives and who receives.';

-- Contract: p_ranking with the totals of its kept holders among p_holders (the holders of
-- written accounts, p_balances what those accounts hold now) taken afresh. With p_donor and
-- p_receiver, also every other of p_holders whose total might reach p_donor or fall to
-- p_receiver (it held at most p_ranking.upper before, and holds at least p_balances now);
-- the ones left out widen the bounds by what they might hold.
CREATE OR REPLACE FUNCTION bank.refresh_totals(p_ranking bank.ranking, p_holders bigint[], p_balances numeric[],
                                               p_donor numeric, p_receiver numeric) RETURNS bank.ranking
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_ranking ranking := p_ranking;
BEGIN
    WITH kept AS (
        SELECT k.customer_id, k.total FROM unnest(p_ranking.ids, p_ranking.totals) AS k(customer_id, total)
    ), written AS MATERIALIZED (
        SELECT w.customer_id, w.balances, k.customer_id IS NOT NULL AS kept,
               coalesce(p_ranking.upper + w.balances >= p_donor OR w.balances <= p_receiver, false) AS near
        FROM unnest(p_holders, p_balances) AS w(customer_id, balances)
        LEFT JOIN kept k ON k.customer_id = w.customer_id
    ), afresh AS (
        SELECT t.customer_id, t.total FROM customer_totals t
        WHERE t.customer_id = ANY ((SELECT array_agg(w.customer_id) FROM written w WHERE w.kept OR w.near)::bigint[])
    ), ranked AS (
        SELECT k.customer_id, coalesce(f.total, k.total) AS total
        FROM kept k LEFT JOIN afresh f ON f.customer_id = k.customer_id
        UNION ALL
        SELECT f.customer_id, f.total FROM afresh f WHERE NOT EXISTS (SELECT FROM kept k WHERE k.customer_id = f.customer_id)
    )
    SELECT array_agg(r.customer_id ORDER BY r.customer_id), array_agg(r.total ORDER BY r.customer_id),
           least(p_ranking.lower, (SELECT min(w.balances) FROM written w WHERE NOT w.kept AND NOT w.near AND p_donor IS NOT NULL)),
           greatest(p_ranking.upper, p_ranking.upper + (SELECT max(w.balances) FROM written w
                                                        WHERE NOT w.kept AND NOT w.near AND p_donor IS NOT NULL))
    INTO v_ranking.ids, v_ranking.totals, v_ranking.lower, v_ranking.upper
    FROM ranked r;
    RETURN v_ranking;
END
$$;
COMMENT ON FUNCTION bank.refresh_totals(bank.ranking, bigint[], numeric[], numeric, numeric) IS
    'A step of bank.rerank_holders(): the ranking with the totals of the holders of written accounts that '
    'might matter taken afresh, and bounds widened for the others.';

-- Contract: Robinhood's moves from a ranking that holds the richest and the poorest: the
-- p_count richest give (at most holders - 1 of them, so that someone is left to receive),
-- the p_count poorest of the others receive. Each donor's largest account (ties: lower
-- account_id) gives floor(p_percent% of it) to the cent, once even if it is the largest of
-- several donors; each gift is split evenly, the leftover cents to the poorest first, into
-- each recipient's oldest account. Shares of 0.00 and shares from an account to itself move
-- nothing.
CREATE OR REPLACE FUNCTION bank.plan_moves(p_ranking bank.ranking, p_percent numeric, p_count integer)
RETURNS bank.plan
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_donors     bigint[];
    v_recipients bigint[];
    v_plan       plan;
BEGIN
    SELECT array_agg(x.customer_id ORDER BY x.total DESC, x.customer_id) INTO v_donors
    FROM (SELECT * FROM unnest(p_ranking.ids, p_ranking.totals) AS k(customer_id, total)
          ORDER BY k.total DESC, k.customer_id LIMIT greatest(0, least(p_count, p_ranking.holders - 1))) x;
    SELECT array_agg(x.customer_id ORDER BY x.total, x.customer_id) INTO v_recipients
    FROM (SELECT * FROM unnest(p_ranking.ids, p_ranking.totals) AS k(customer_id, total)
          WHERE k.customer_id <> ALL (coalesce(v_donors, '{}'))
          ORDER BY k.total, k.customer_id LIMIT p_count) x;
    WITH gifts AS (
        SELECT DISTINCT ON (d.account_id) d.customer_id, d.rank, d.account_id, floor(d.balance * p_percent) AS cents
        FROM (SELECT DISTINCT ON (ca.customer_id) ca.customer_id, array_position(v_donors, ca.customer_id) AS rank,
                     a.account_id, a.balance
              FROM customer_accounts ca JOIN accounts a ON a.account_id = ca.account_id
              WHERE ca.customer_id = ANY (v_donors)
              ORDER BY ca.customer_id, a.balance DESC, a.account_id) d
        ORDER BY d.account_id, d.rank
    ), receiving AS (
        SELECT DISTINCT ON (ca.customer_id) ca.customer_id, array_position(v_recipients, ca.customer_id) AS rank,
               a.account_id
        FROM customer_accounts ca JOIN accounts a ON a.account_id = ca.account_id
        WHERE ca.customer_id = ANY (v_recipients)
        ORDER BY ca.customer_id, a.created_at, a.account_id
    ), moves AS (
        SELECT g.customer_id AS from_customer, g.account_id AS from_account, r.customer_id AS to_customer,
               r.account_id AS to_account, g.rank AS from_rank, r.rank AS to_rank,
               ((div(g.cents, n.n) + CASE WHEN r.rank <= mod(g.cents, n.n) THEN 1 ELSE 0 END) / 100)::numeric(15,2) AS amount
        FROM gifts g CROSS JOIN receiving r CROSS JOIN (SELECT count(*) AS n FROM receiving) n
    )
    SELECT array_agg(m.from_customer ORDER BY m.from_rank, m.to_rank), array_agg(m.from_account ORDER BY m.from_rank, m.to_rank),
           array_agg(m.to_customer ORDER BY m.from_rank, m.to_rank), array_agg(m.to_account ORDER BY m.from_rank, m.to_rank),
           array_agg(m.amount ORDER BY m.from_rank, m.to_rank)
    INTO v_plan.from_customer, v_plan.from_account, v_plan.to_customer, v_plan.to_account, v_plan.amount
    FROM moves m
    WHERE m.amount > 0 AND m.from_account <> m.to_account;
    v_plan.ranking := p_ranking;
    SELECT array_agg(DISTINCT x.id ORDER BY x.id) INTO v_plan.accounts
    FROM unnest(v_plan.from_account || v_plan.to_account) AS x(id);
    v_plan.versions := account_versions(v_plan.accounts);
    v_plan.snapshot := pg_current_snapshot()::text;
    RETURN v_plan;
END
$$;
COMMENT ON FUNCTION bank.plan_moves(bank.ranking, numeric, integer) IS
    'Robinhood''s moves from a ranking (see bank.robinhood()), with the accounts they touch, each one''s row '
    'version and the snapshot: a bank.plan.';

-- One single-row read each, as Citus reads a row's xmin on one shard only.
CREATE OR REPLACE FUNCTION bank.account_versions(p_accounts bigint[]) RETURNS xid[]
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_id       bigint;
    v_versions xid[] := '{}';
BEGIN
    FOREACH v_id IN ARRAY coalesce(p_accounts, '{}') LOOP
        v_versions := v_versions || (SELECT a.xmin FROM accounts a WHERE a.account_id = v_id);
    END LOOP;
    RETURN v_versions;
END
$$;
COMMENT ON FUNCTION bank.account_versions(bigint[]) IS 'The row version (xmin) of each account, in order.';

-- The two ways to a plan, one statement each and so one snapshot each: from a whole
-- ranking, or from a kept one corrected (whose ranking is NULL when the correction does
-- not decide). db/citus/functions.sql replaces both.
CREATE OR REPLACE FUNCTION bank.robinhood_plan(p_percent numeric, p_count integer, p_keep integer) RETURNS bank.plan
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN plan_moves(rank_holders(p_keep), p_percent, p_count);
END
$$;
COMMENT ON FUNCTION bank.robinhood_plan(numeric, integer, integer) IS
    'Robinhood''s plan from every holder''s total, in one snapshot.';

CREATE OR REPLACE FUNCTION bank.robinhood_replan(p_ranking bank.ranking, p_percent numeric, p_count integer)
RETURNS bank.plan
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_ranking constant ranking := rerank_holders(p_ranking, p_count);
BEGIN
    IF v_ranking IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN plan_moves(v_ranking, p_percent, p_count);
END
$$;
COMMENT ON FUNCTION bank.robinhood_replan(bank.ranking, numeric, integer) IS
    'Robinhood''s plan from a kept ranking corrected to this snapshot, or NULL if the correction does not decide.';

-- Contract: locks the accounts in account_id order, as transfers lock theirs, one row a
-- statement, and keeps the locks if each row is still the version planned on; otherwise
-- releases them (its block is a subtransaction) and returns false.
CREATE OR REPLACE FUNCTION bank.claim_accounts(p_accounts bigint[], p_versions xid[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_id      bigint;
    v_version xid;
    v_now     xid;
BEGIN
    BEGIN
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
COMMENT ON FUNCTION bank.claim_accounts(bigint[], xid[]) IS
    'Locks the accounts (account_id order) and keeps the locks if each is still the version planned on; '
    'otherwise releases them and returns false.';

-- Each account's net change once, in account_id order, one row a statement.
CREATE OR REPLACE FUNCTION bank.apply_moves(p_plan bank.plan) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_change record;
BEGIN
    FOR v_change IN
        SELECT c.account_id, sum(c.delta) AS delta
        FROM (SELECT f.account_id, -f.amount FROM unnest(p_plan.from_account, p_plan.amount) AS f(account_id, amount)
              UNION ALL
              SELECT t.account_id, t.amount FROM unnest(p_plan.to_account, p_plan.amount) AS t(account_id, amount)
             ) AS c(account_id, delta)
        GROUP BY c.account_id
        HAVING sum(c.delta) <> 0
        ORDER BY c.account_id
    LOOP
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
COMMENT ON FUNCTION bank.apply_moves(bank.plan) IS
    'Moves a plan''s gifts: each account''s net change once, in account_id order; BK008 if one would overflow.';

-- Contract: the moves are exactly those one snapshot of the bank gives, and no transfer
-- wrote any account they touch between that snapshot and the commit (snapshot isolation,
-- checked on the accounts it writes). Loads and link changes wait for it; two Robinhoods
-- take turns; transfers wait only for the few accounts it moves, and only while it moves.
-- p_keep (>= 1): the holders kept at each end of a ranking for a correction; p_tries (>= 0):
-- the plans that may lose an account to a transfer before transfers are held off for one.
CREATE OR REPLACE FUNCTION bank.robinhood_run(p_percent numeric, p_count integer, p_keep integer, p_tries integer)
RETURNS SETOF bank.move
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_plan     plan;
    v_plans    integer := 0;
    v_rankings integer := 0;
    v_locked   boolean := false;
BEGIN
    PERFORM robinhood_check(p_percent, p_count);
    IF p_keep IS NULL OR p_keep < 1 OR p_tries IS NULL OR p_tries < 0 THEN
        RAISE EXCEPTION 'keep must be at least 1 and tries at least 0, got % and %', shown(p_keep::text), shown(p_tries::text)
            USING ERRCODE = 'BK005';
    END IF;
    -- Until it ends, the path says that a Robinhood is planning, and since when: one run from
    -- the next, even within one statement.
    PERFORM set_config('bank.robinhood_path', format('planning since %s', clock_timestamp()), true);
    -- Who holds what stays as it is until commit (loads and link writers wait), and two
    -- Robinhoods, each reading every account the other writes, take turns: SHARE ROW
    -- EXCLUSIVE conflicts with itself. Same table order as bank.load_begin().
    LOCK TABLE customers, accounts IN ACCESS SHARE MODE;
    LOCK TABLE customer_accounts IN SHARE ROW EXCLUSIVE MODE;
    LOOP
        v_plans := v_plans + 1;
        IF v_plans > p_tries THEN
            LOCK TABLE accounts IN EXCLUSIVE MODE;
            v_locked := true;
        END IF;
        IF v_plan.ranking IS NOT NULL THEN
            v_plan := robinhood_replan(v_plan.ranking, p_percent, p_count);
        END IF;
        IF v_plan.ranking IS NULL THEN
            v_rankings := v_rankings + 1;
            v_plan := robinhood_plan(p_percent, p_count, p_keep);
        END IF;
        EXIT WHEN v_locked OR claim_accounts(v_plan.accounts, v_plan.versions);
    END LOOP;
    -- How it went, for the caller to read before COMMIT: 'locked' if transfers were held
    -- off while it planned (here, or by its caller).
    v_locked := v_locked OR EXISTS (SELECT FROM pg_catalog.pg_locks l
                                    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
                                      AND l.relation = 'bank.accounts'::regclass AND l.granted
                                      AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'));
    PERFORM set_config('bank.robinhood_path', format('%s, %s ranking(s), %s plan(s)',
        CASE WHEN v_locked THEN 'locked' ELSE 'snapshot' END, v_rankings, v_plans), true);
    PERFORM set_config('bank.robinhood_snapshot', coalesce(v_plan.snapshot, ''), true);
    PERFORM apply_moves(v_plan);
    RETURN QUERY
    SELECT m.from_customer, m.from_account, m.to_customer, m.to_account, m.amount::numeric(15,2)
    FROM unnest(v_plan.from_customer, v_plan.from_account, v_plan.to_customer, v_plan.to_account, v_plan.amount)
         WITH ORDINALITY AS m(from_customer, from_account, to_customer, to_account, amount, ord)
    ORDER BY m.ord;
END
$$;
COMMENT ON FUNCTION bank.robinhood_run(numeric, integer, integer, integer) IS
    'Robinhood with its two knobs: p_keep holders kept at each end of a ranking, p_tries plans before '
    'transfers are held off for one. bank.robinhood() calls it with 2 x count + 1,000 and 3.';

CREATE OR REPLACE FUNCTION bank.robinhood(p_percent numeric DEFAULT 10, p_count integer DEFAULT 10)
RETURNS SETOF bank.move
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    -- 1,000 holders to spare at each end: transfers during a ranking rarely push an
    -- outsider past the bounds. Three plans may lose an account before transfers wait.
    RETURN QUERY SELECT * FROM robinhood_run(p_percent, p_count, least(2::bigint * p_count + 1000, 2147483647)::integer, 3);
END
$$;
COMMENT ON FUNCTION bank.robinhood(numeric, integer) IS
    'Operation Robinhood, in the caller''s transaction: the p_count richest customers (ties: lower id) each give '
    'floor(p_percent% of their largest account) to the cent, split evenly among the p_count poorest of the '
    'others (leftover cents to the poorest first), paid into each recipient''s oldest account. An account that '
    'is the largest of several donors gives once. Returns one row per movement, by donor rank then recipient '
    'rank. The moves are what one snapshot gives, and no transfer wrote their accounts between that snapshot and '
    'the commit; current_setting(''bank.robinhood_path'') and (''bank.robinhood_snapshot'') say, before COMMIT, '
    'how it ran and on which snapshot. READ COMMITTED only (BK006); BK008 if a gift would overflow an account.';

-- ===== Audit and profiles ==================================================================

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
GRANT EXECUTE ON FUNCTION bank.audit() TO bank_reader;

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
GRANT EXECUTE ON FUNCTION bank.balances() TO bank_reader;

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
    v_accounts  bigint;
    v_joint     bigint;
    v_household bigint;
    v_pct       numeric[];
    v_max       numeric(15,2);
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
GRANT EXECUTE ON FUNCTION bank.profile() TO bank_reader;

CREATE OR REPLACE FUNCTION bank.profile_states(p_limit integer DEFAULT 10)
RETURNS TABLE (state char(2), customers bigint, pct numeric(5,2))
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM check_limit(p_limit);
    PERFORM read_snapshot();
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
GRANT EXECUTE ON FUNCTION bank.profile_states(integer) TO bank_reader;

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
GRANT EXECUTE ON FUNCTION bank.profile_accounts_per_customer() TO bank_reader;

-- The id of the caller's transaction, for a client to ask pg_xact_status() about should the
-- answer to its COMMIT be lost; NULL if it wrote nothing. db/citus/functions.sql replaces it.
CREATE OR REPLACE FUNCTION bank.transaction_id() RETURNS xid8
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN pg_current_xact_id_if_assigned();
END
$$;
COMMENT ON FUNCTION bank.transaction_id() IS
    'This transaction''s id, for pg_xact_status() after a lost COMMIT; NULL if it wrote nothing.';

-- ===== Loads ===============================================================================
-- A load is bank.load_begin(), the new rows, then bank.load_finish(), in one transaction:
-- readers see the old bank or the new one, never part of one.

-- Contract: ACCESS EXCLUSIVE on the three tables, asked for in tries that each wait in the
-- lock queue at most 50 ms, with pauses between: a load waiting for a long reader never
-- holds the bank's other users in the queue behind it. Gives up (55P03) after the session's
-- lock_timeout, or a minute where it has none. Same table order as bank.robinhood_run().
CREATE OR REPLACE FUNCTION bank.lock_for_load() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_setting  constant text := current_setting('lock_timeout');
    v_limit    constant interval := CASE WHEN v_setting::interval > interval '0' THEN v_setting::interval
                                         ELSE interval '1 minute' END;
    v_deadline constant timestamptz := clock_timestamp() + v_limit;
BEGIN
    LOOP
        BEGIN
            PERFORM set_config('lock_timeout', '50ms', true);
            LOCK TABLE customers, accounts, customer_accounts IN ACCESS EXCLUSIVE MODE;
            PERFORM set_config('lock_timeout', v_setting, true);
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            IF clock_timestamp() >= v_deadline THEN
                RAISE EXCEPTION 'a load waited % for every other session to leave the bank''s tables; nothing was changed',
                    v_limit USING ERRCODE = 'lock_not_available';
            END IF;
        END;
        PERFORM pg_sleep(0.05 + 0.05 * random());
    END LOOP;
END
$$;
COMMENT ON FUNCTION bank.lock_for_load() IS
    'ACCESS EXCLUSIVE on the three tables for a load, in tries of 50 ms; 55P03 after lock_timeout, or a minute.';

-- Contract: in the caller's transaction, takes the bank for itself (bank.lock_for_load()),
-- drops the keys the load rebuilds, empties the tables, and arms the guard: two rows with
-- the reserved ids that the constraint load_unfinished refuses at COMMIT unless
-- bank.load_finish() removed them. DELETE, not TRUNCATE: a reader whose snapshot predates
-- the load must still see the old bank, and TRUNCATE is not MVCC-safe.
CREATE OR REPLACE FUNCTION bank.load_begin() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_replaced bigint;
BEGIN
    IF current_setting('bank.load_begun', true) = 'yes' THEN
        RAISE EXCEPTION 'a load has already begun in this transaction' USING ERRCODE = 'BK007';
    END IF;
    -- The guard is a deferred constraint, which PostgreSQL does not check in replica mode.
    IF current_setting('session_replication_role') <> 'origin' THEN
        RAISE EXCEPTION 'a load needs session_replication_role = origin: its guard is a deferred constraint'
            USING ERRCODE = 'BK007';
    END IF;
    PERFORM lock_for_load();
    -- The DELETEs below read every row: on Citus, refused while a commit awaits recovery.
    PERFORM read_snapshot();
    PERFORM drop_keys();
    DELETE FROM customer_accounts;
    DELETE FROM accounts;
    DELETE FROM customers;
    -- Whether there was a bank to replace: its rows are dead after the commit, worth a VACUUM.
    GET DIAGNOSTICS v_replaced = ROW_COUNT;
    PERFORM set_config('bank.load_replaced', CASE WHEN v_replaced > 0 THEN 'on' ELSE 'off' END, true);
    INSERT INTO customers VALUES
        (9223372036854775806, 'load', 'guard', 'guard', 'guard', 'CA', '00000', now()),
        (9223372036854775807, 'load', 'guard', 'guard', 'guard', 'CA', '00000', now());
    PERFORM set_config('bank.load_begun', 'yes', true);
END
$$;
COMMENT ON FUNCTION bank.load_begin() IS
    'Starts a bulk load inside the caller''s transaction: locks the three tables (bank.lock_for_load()), drops '
    'the keys and empties the tables, setting bank.load_replaced to on if they held a bank (VACUUM them after '
    'the COMMIT). Others wait for the commit. A COMMIT, autocommit included, before bank.load_finish() fails on '
    'the constraint load_unfinished (23P01) and changes nothing. BK007 if a load has begun in this transaction '
    'already, or session_replication_role is not origin.';

-- Contract: disarms the guard, then builds the keys once over the loaded rows (several
-- times cheaper than row by row, and it validates the load: a duplicate id or a link to a
-- missing row fails here, and the whole load rolls back), and analyzes the tables.
CREATE OR REPLACE FUNCTION bank.load_finish() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_guards bigint;
BEGIN
    DELETE FROM customers c WHERE c.customer_id >= 9223372036854775806;
    GET DIAGNOSTICS v_guards = ROW_COUNT;
    IF v_guards <> 2 THEN
        RAISE EXCEPTION 'bank.load_finish() ends a load begun with bank.load_begin() in the same transaction'
            USING ERRCODE = 'BK007';
    END IF;
    PERFORM set_config('bank.load_begun', '', true);
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

-- A bank made before default privileges were revoked in db/init.sql: the same, by hand.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bank FROM PUBLIC;

-- On a bank that db/citus/distribute.sql distributed, the Citus steps replace the one-node
-- ones again in this transaction: a reload never leaves a Citus bank with reads unguarded.
SELECT to_regnamespace('bank_citus') IS NOT NULL AS bank_on_citus \gset
\if :bank_on_citus
\ir citus/functions.sql
\endif
DO $$
BEGIN
    IF to_regnamespace('bank_citus') IS NOT NULL
       AND NOT (SELECT p.prosecdef FROM pg_proc p WHERE p.oid = 'bank.audit()'::regprocedure) THEN
        RAISE EXCEPTION 'this bank is on Citus, and db/citus/functions.sql was not loaded with this file; nothing was '
                        'changed: load it with psql -f db/procedures.sql, which finds the Citus file beside it';
    END IF;
END
$$;

COMMIT;
