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
--
-- Written in PL/pgSQL, never LANGUAGE sql: Citus cannot plan parameterized SQL functions
-- over distributed tables. Every function pins its search_path.

-- Sums of balances are plain numeric: a customer's total, a state's average or the bank's
-- total can exceed what one account holds (numeric(15,2)). A function whose result type
-- changed cannot be replaced, only dropped and made again (the grants are made again below).
DO $$
BEGIN
    PERFORM set_config('client_min_messages', 'warning', true); -- no notice on a first load
    DROP FUNCTION IF EXISTS bank.top_states(integer), bank.top_customers(integer), bank.bottom_customers(integer),
        bank.ranked_customers(integer, boolean), bank.audit();
END
$$;

-- A customer's total balance, defined once for every report and for Robinhood: the sum of
-- the balances of every account they hold, a joint account counted in full for each
-- holder. A view, so that each query that reads it is planned as if it had written the
-- join itself. Customers who hold no account have no row here (their total is 0.00).
CREATE OR REPLACE VIEW bank.customer_totals AS
SELECT ca.customer_id, count(*)::integer AS accounts, sum(a.balance) AS total
FROM bank.customer_accounts ca
JOIN bank.accounts a ON a.account_id = ca.account_id
GROUP BY ca.customer_id;
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

-- On Citus, a read of every account spans shards, and Citus has no snapshot across shards:
-- without a lock, a total read while transfers commit can count one side of a transfer and
-- not the other. Readers there take SHARE on the three tables for the rest of their
-- transaction; transfers (ROW EXCLUSIVE) and loads queue behind them, and they behind any
-- transfer already writing. On one node a snapshot is enough, and this does nothing.
CREATE OR REPLACE FUNCTION bank.read_lock() RETURNS void
LANGUAGE plpgsql VOLATILE
-- bank_reader may not LOCK stronger than ACCESS SHARE by itself.
SECURITY DEFINER
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_propagate text;
BEGIN
    IF on_citus() THEN
        -- Citus would first send the LOCK to every worker, which opens the transaction
        -- there, and a REPEATABLE READ transaction takes its snapshot on opening: before
        -- this lock has waited out the transfers in flight. Writers take their locks on
        -- the coordinator, so the coordinator's lock is the one that counts.
        v_propagate := current_setting('citus.enable_ddl_propagation');
        PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
        -- Same table order as bank.robinhood() and bank.load_begin().
        LOCK TABLE customers, accounts, customer_accounts IN SHARE MODE;
        PERFORM set_config('citus.enable_ddl_propagation', v_propagate, true);
    END IF;
END
$$;
COMMENT ON FUNCTION bank.read_lock() IS
    'On Citus, locks the three tables in SHARE mode until the transaction ends, so that a read '
    'across shards sees whole transfers only; on one node, does nothing. Called by every function '
    'that reads all accounts.';

CREATE OR REPLACE FUNCTION bank.top_states(p_limit integer DEFAULT 10)
RETURNS TABLE (state char(2), customers bigint, avg_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM check_limit(p_limit);
    PERFORM read_lock();
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
    PERFORM read_lock();
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

CREATE OR REPLACE FUNCTION bank.robinhood(p_percent numeric DEFAULT 10, p_count integer DEFAULT 10)
RETURNS TABLE (from_customer bigint, from_account bigint, to_customer bigint, to_account bigint,
               amount numeric(15,2))
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_from_customer bigint[];
    v_from_account  bigint[];
    v_to_customer   bigint[];
    v_to_account    bigint[];
    v_amount        numeric[];
    v_change        record;
    v_full          boolean;   -- rank the whole bank under the lock, as Citus must
    v_since         xid;       -- no transaction older than this can be missing from the ranking
    v_margin        bigint;    -- how many of the richest and of the poorest the first ranking keeps
    v_holders       bigint;    -- customers who hold an account
    v_cand_ids      bigint[];  -- those kept, and those changed since, with their latest totals
    v_cand_totals   numeric[];
    v_top_floor     numeric;   -- the least total among the kept richest, when ranked
    v_bottom_ceiling numeric;  -- the greatest total among the kept poorest, when ranked
    v_everyone      boolean;   -- every holder was kept
    v_changed       bigint[];  -- holders of accounts written since v_since
    v_next          xid;
    v_locked        boolean := false;
    v_last          boolean := false;
BEGIN
    IF p_percent IS NULL OR p_percent = 'NaN' OR p_percent <= 0 OR p_percent > 100 THEN
        RAISE EXCEPTION 'percent must be more than 0 and at most 100, got %', shown(p_percent::text)
            USING ERRCODE = 'BK005';
    END IF;
    IF p_count IS NULL OR p_count < 1 THEN
        RAISE EXCEPTION 'count must be a whole number of at least 1, got %', shown(p_count::text)
            USING ERRCODE = 'BK005';
    END IF;
    -- The ranking below must see the state as of after the locks. At READ COMMITTED each
    -- statement takes a fresh snapshot; above it, the transaction's snapshot may predate the locks.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'robinhood must run at READ COMMITTED (it is %): it locks the accounts and then reads them',
            current_setting('transaction_isolation')
            USING ERRCODE = 'BK006';
    END IF;

    -- Who holds what is frozen until commit (loads wait); balances are not yet: transfers
    -- go on while the whole bank is ranked. Same table order as bank.load_begin().
    LOCK TABLE customers IN SHARE MODE;
    LOCK TABLE customer_accounts IN SHARE MODE;
    -- The richest and the poorest the first ranking keeps: p_count of each, twice over (the
    -- poorest p_count of the others may have to pass over donors), and 1,000 to spare.
    -- (bank.robinhood_margin, if set to a whole number, replaces the 1,000: the tests make
    -- it small, so that the check below decides.)
    v_margin := 1000;
    IF current_setting('bank.robinhood_margin', true) ~ '^[0-9]{1,9}$' THEN
        v_margin := current_setting('bank.robinhood_margin', true)::bigint;
    END IF;
    v_margin := v_margin + 2 * p_count::bigint;
    -- Rank once, under the lock, on Citus (it has no xmin that means anything across its
    -- nodes) and where every customer would be kept anyway (a first ranking would save
    -- nothing there).
    v_full := on_citus() OR (SELECT c.reltuples FROM pg_catalog.pg_class c WHERE c.oid = 'bank.customers'::regclass) <= 2 * v_margin;
    IF NOT v_full THEN
        -- Taken before the ranking's own snapshot, so every transaction the ranking might
        -- not see is this old or younger.
        v_since := (pg_snapshot_xmin(pg_current_snapshot())::text::numeric % 4294967296)::text::xid;
        WITH t AS MATERIALIZED (
            SELECT x.customer_id, x.total FROM customer_totals x
        ), top AS (
            SELECT t.customer_id, t.total FROM t ORDER BY t.total DESC, t.customer_id LIMIT v_margin
        ), bottom AS (
            SELECT t.customer_id, t.total FROM t ORDER BY t.total, t.customer_id LIMIT v_margin
        ), kept AS (
            SELECT * FROM top UNION SELECT * FROM bottom
        )
        SELECT (SELECT count(*) FROM t), (SELECT min(top.total) FROM top), (SELECT max(bottom.total) FROM bottom),
               array_agg(k.customer_id), array_agg(k.total)
        INTO v_holders, v_top_floor, v_bottom_ceiling, v_cand_ids, v_cand_totals
        FROM kept k;
        -- Everyone who holds an account was kept: there is nobody left out to worry about.
        v_everyone := cardinality(v_cand_ids) = v_holders;
    END IF;

    -- Catch up with the transfers since the ranking, then once more under the lock: each
    -- pass recomputes the totals of the holders of every account written since the last
    -- pass began (and a few before: a row's xmin is the transaction that wrote its current
    -- version; age() compares transaction ids across wraparound, and frozen rows are oldest
    -- of all), and adds them to the kept ones. The passes before the lock shorten the
    -- window the last one must correct, so that transfers wait only for a short one.
    --
    -- EXCLUSIVE on accounts conflicts with itself (Robinhoods run one at a time) and with
    -- the row locks and updates of transfers, while plain readers go on. At READ COMMITTED,
    -- each statement after it sees the state under the lock, frozen until commit.
    FOR v_pass IN 1..5 LOOP
        EXIT WHEN v_full;
        IF v_last OR v_pass = 5 THEN
            LOCK TABLE accounts IN EXCLUSIVE MODE;
            v_locked := true;
        END IF;
        v_next := (pg_snapshot_xmin(pg_current_snapshot())::text::numeric % 4294967296)::text::xid;
        -- Two steps, so that the few accounts found lead to their holders through the
        -- account_id index (the planner cannot know how few they are).
        SELECT array_agg(a.account_id) INTO v_changed
        FROM accounts a
        WHERE age(a.xmin) <= age(v_since);
        SELECT array_agg(DISTINCT ca.customer_id) INTO v_changed
        FROM customer_accounts ca
        WHERE ca.account_id = ANY (coalesce(v_changed, '{}'));
        v_changed := coalesce(v_changed, '{}');
        IF cardinality(v_changed) > 0 THEN
            -- Each customer once, the recomputed total over the one kept before. Those now
            -- strictly between the two bounds are let go: like every customer never kept,
            -- they stay within the bounds until they change again, and then they are found.
            SELECT coalesce(array_agg(m.customer_id), '{}'), coalesce(array_agg(m.total), '{}')
            INTO v_cand_ids, v_cand_totals
            FROM (SELECT DISTINCT ON (u.customer_id) u.customer_id, u.total
                  FROM (SELECT t.customer_id, t.total, 1 AS newer FROM customer_totals t
                        WHERE t.customer_id = ANY (v_changed)
                        UNION ALL
                        SELECT k.customer_id, k.total, 2
                        FROM unnest(v_cand_ids, v_cand_totals) AS k(customer_id, total)) AS u
                  ORDER BY u.customer_id, u.newer) AS m
            WHERE v_everyone OR m.total >= v_top_floor OR m.total <= v_bottom_ceiling;
        END IF;
        v_since := v_next;
        EXIT WHEN v_locked;
        v_last := cardinality(v_changed) <= 1000;
    END LOOP;
    IF NOT v_locked THEN
        LOCK TABLE accounts IN EXCLUSIVE MODE;
    END IF;
    -- A customer who was not kept and has not changed since is still below the poorest of
    -- the kept richest, and above the richest of the kept poorest. The kept ones, as they
    -- are now, decide only if enough of them are still beyond those bounds: p_count donors
    -- strictly above the one, and p_count recipients besides any donors strictly below the
    -- other. Otherwise (transfers drained the top, or a load ran), rank the whole bank.
    IF NOT v_full AND NOT v_everyone THEN
        SELECT count(*) FILTER (WHERE k.total > v_top_floor) < least(p_count, v_holders - 1)
            OR count(*) FILTER (WHERE k.total < v_bottom_ceiling) < 2 * p_count::bigint
        INTO v_full
        FROM unnest(v_cand_totals) AS k(total);
    END IF;
    IF v_full THEN
        SELECT count(*) INTO v_holders FROM customer_totals;
    END IF;

    -- The totals to rank: every holder's (under the lock), or the kept ones, corrected.
    -- Then only the few donors and recipients are sorted out of it (top-N), never the whole
    -- bank.
    WITH totals AS MATERIALIZED (
        SELECT t.customer_id, t.total FROM customer_totals t WHERE v_full
        UNION ALL
        SELECT k.customer_id, k.total
        FROM unnest(v_cand_ids, v_cand_totals) AS k(customer_id, total)
        WHERE NOT v_full
    ), donors AS MATERIALIZED (
        SELECT t.customer_id, row_number() OVER (ORDER BY t.total DESC, t.customer_id) AS rich_rank
        FROM (SELECT * FROM totals x ORDER BY x.total DESC, x.customer_id
              -- Someone must be left to receive: with n holders at most n - 1 donors.
              LIMIT greatest(0, least(p_count, v_holders - 1))) t
    ), recipients AS (
        SELECT t.customer_id, row_number() OVER (ORDER BY t.total, t.customer_id) AS poor_rank
        FROM (SELECT * FROM totals x
              WHERE NOT EXISTS (SELECT FROM donors d WHERE d.customer_id = x.customer_id)
              ORDER BY x.total, x.customer_id
              LIMIT p_count) t
    ), donor_accounts AS (
        -- Each donor's largest account (ties: lower account_id).
        SELECT DISTINCT ON (r.customer_id) r.customer_id, r.rich_rank, a.account_id, a.balance
        FROM donors r
        JOIN customer_accounts ca ON ca.customer_id = r.customer_id
        JOIN accounts a ON a.account_id = ca.account_id
        ORDER BY r.customer_id, a.balance DESC, a.account_id
    ), gifts AS (
        -- An account that is the largest of several donors gives once, in the name of the
        -- highest-ranked of them. floor(balance * percent) is the gift in whole cents.
        SELECT DISTINCT ON (d.account_id) d.customer_id, d.rich_rank, d.account_id,
               floor(d.balance * p_percent) AS cents
        FROM donor_accounts d
        ORDER BY d.account_id, d.rich_rank
    ), recipient_accounts AS (
        -- Each recipient's oldest account (ties: lower account_id).
        SELECT DISTINCT ON (r.customer_id) r.customer_id, r.poor_rank, a.account_id
        FROM recipients r
        JOIN customer_accounts ca ON ca.customer_id = r.customer_id
        JOIN accounts a ON a.account_id = ca.account_id
        ORDER BY r.customer_id, a.created_at, a.account_id
    ), shares AS (
        SELECT count(*) AS recipients FROM recipient_accounts
    ), moves AS (
        -- Even shares; the leftover cents go one each to the poorest recipients first.
        SELECT g.customer_id AS from_customer, g.account_id AS from_account,
               ra.customer_id AS to_customer, ra.account_id AS to_account,
               (div(g.cents, s.recipients)
                + CASE WHEN ra.poor_rank <= mod(g.cents, s.recipients) THEN 1 ELSE 0 END) / 100 AS amount,
               g.rich_rank, ra.poor_rank
        FROM gifts g
        CROSS JOIN recipient_accounts ra
        CROSS JOIN shares s
    )
    SELECT array_agg(m.from_customer ORDER BY m.rich_rank, m.poor_rank),
           array_agg(m.from_account ORDER BY m.rich_rank, m.poor_rank),
           array_agg(m.to_customer ORDER BY m.rich_rank, m.poor_rank),
           array_agg(m.to_account ORDER BY m.rich_rank, m.poor_rank),
           array_agg(m.amount ORDER BY m.rich_rank, m.poor_rank)
    INTO v_from_customer, v_from_account, v_to_customer, v_to_account, v_amount
    FROM moves m
    -- A share of 0.00 moves nothing, and neither does a share whose donor account is also
    -- the recipient's account (a joint account of the two).
    WHERE m.amount > 0 AND m.from_account <> m.to_account;

    -- Apply each account's net change once, in account_id order (one row per statement,
    -- so it stays on one shard under Citus).
    FOR v_change IN
        SELECT c.account_id, sum(c.delta) AS delta
        FROM (SELECT f.account_id, -f.amount FROM unnest(v_from_account, v_amount) AS f(account_id, amount)
              UNION ALL
              SELECT t.account_id, t.amount FROM unnest(v_to_account, v_amount) AS t(account_id, amount)
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

    RETURN QUERY
    SELECT m.from_customer, m.from_account, m.to_customer, m.to_account, m.amount::numeric(15,2)
    FROM unnest(v_from_customer, v_from_account, v_to_customer, v_to_account, v_amount)
         WITH ORDINALITY AS m(from_customer, from_account, to_customer, to_account, amount, ord)
    ORDER BY m.ord;
END
$$;
COMMENT ON FUNCTION bank.robinhood(numeric, integer) IS
    'Operation Robinhood, in one transaction: the p_count richest customers (ties: lower id) each give '
    'floor(p_percent% of their largest account) to the cent, split evenly among the p_count poorest of the '
    'others (leftover cents to the poorest first), paid into each recipient''s oldest account. '
    'An account that is the largest of several donors gives once. Returns one row per movement, '
    'ordered by donor rank then recipient rank (poorest first). Ranks a large bank while transfers '
    'go on, then locks the accounts against writers, corrects the ranking for what changed and moves: '
    'money is conserved and the ranking is the state it moved. Must run at READ COMMITTED (BK006); '
    'a gift that would overflow an account refuses it all (BK008).';

CREATE OR REPLACE FUNCTION bank.audit()
RETURNS TABLE (customers bigint, accounts bigint, links bigint, total_balance numeric,
               negative_balances bigint)
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM read_lock();
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
    PERFORM read_lock();
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
    PERFORM read_lock();
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
    PERFORM read_lock();
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
        PERFORM set_config('client_min_messages', 'warning', true); -- no notice on a first load
        DROP TRIGGER IF EXISTS customers_load_guard ON bank.customers;
        CREATE CONSTRAINT TRIGGER customers_load_guard
            AFTER INSERT ON bank.customers
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW
            WHEN (current_setting('bank.load_guard', true) = 'armed')
            EXECUTE FUNCTION bank.load_guard();
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION bank.load_begin() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF on_citus() THEN
        -- Citus runs no deferred trigger on the coordinator for a reference table, so the
        -- guard below does not exist there. In autocommit this would empty the bank and
        -- commit at once; the two timestamps are equal in the first statement of a
        -- transaction, so a BEGIN block sent as separate statements passes.
        IF transaction_timestamp() = statement_timestamp() THEN
            RAISE EXCEPTION 'bank.load_begin() empties the bank: call it inside BEGIN ... COMMIT, '
                            'then insert the new bank and call bank.load_finish()'
                USING ERRCODE = 'BK007';
        END IF;
        -- The foreign key to the reference table that load_finish() adds back must not
        -- follow a parallel command on a distributed table in the same transaction: the
        -- whole load runs one connection per worker.
        PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    END IF;
    -- Same table order as bank.robinhood(): two loads, or a load and a Robinhood, queue
    -- rather than deadlock.
    LOCK TABLE customers, accounts, customer_accounts IN ACCESS EXCLUSIVE MODE;
    PERFORM drop_keys();
    -- DELETE, not TRUNCATE: a reader whose snapshot is older than this load must still see
    -- the old bank, not an empty one (TRUNCATE is not MVCC-safe).
    DELETE FROM customer_accounts;
    DELETE FROM accounts;
    DELETE FROM customers;
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
    'empties the tables. Readers see the old bank until the transaction commits. A COMMIT (autocommit '
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
    'Ends a bulk load started by bank.load_begin(): rebuilds and so validates the keys, and analyzes the tables.';

-- Who may call what. Functions are executable by PUBLIC unless revoked; we revoke them all
-- and grant the read-only ones to bank_reader (db/init.sql). The owner (postgres) keeps
-- every right. A function created later is PUBLIC again until this runs again.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bank FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    bank.on_citus(), bank.read_lock(), bank.check_limit(integer), bank.top_states(integer), bank.ranked_customers(integer, boolean),
    bank.top_customers(integer), bank.bottom_customers(integer), bank.audit(), bank.balances(),
    bank.profile(), bank.profile_states(integer), bank.profile_accounts_per_customer()
    TO bank_reader;

-- On Citus, the functions that read every account lock first (bank.read_lock()), and a
-- STABLE function may not: there they are VOLATILE, so each of their statements also takes
-- a snapshot after the lock. Here rather than in db/citus/distribute.sql, so that loading
-- this file again on a distributed bank keeps it so.
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
