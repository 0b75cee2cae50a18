-- Fun With Banking on Citus: the steps that differ from one node, loaded on the coordinator
-- by db/citus/distribute.sql, and again after each reload of db/procedures.sql there.
--
-- Citus has no snapshot across its workers: each worker's transaction takes its own when it
-- opens, and a transfer between accounts on two workers commits on each in turn (two-phase
-- commit). So a read of every account opens its workers' transactions at one moment when no
-- such commit is half done, and reads only then (bank.read_snapshot() below); Robinhood,
-- which runs at READ COMMITTED, plans in a REPEATABLE READ session of the bank's own.
--
-- It runs inside the transaction of the file that includes it (distribute.sql or
-- procedures.sql), so the Citus steps and the rest change together.

-- What only the bank's own functions use: dblink, for that session.
SET LOCAL client_min_messages = warning; -- no notice that they are there already
CREATE SCHEMA IF NOT EXISTS bank_citus;
REVOKE ALL ON SCHEMA bank_citus FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA bank_citus;
RESET client_min_messages;

-- Runs on the workers (Citus creates it there), once per shard a read first touches. Opened
-- while two-phase commits are paused, a worker's transaction finds a prepared transaction
-- of Citus's only if its commit failed half done (a worker crashed or a connection broke)
-- and awaits recovery: a read now would see that transfer on one worker and not the other.
-- One matters if it wrote a shard of the bank's: it still holds that shard's lock.
CREATE OR REPLACE FUNCTION bank.commits_settled() RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_prepared_xacts x
               JOIN pg_catalog.pg_locks t ON t.locktype = 'transactionid' AND t.transactionid = x.transaction
               JOIN pg_catalog.pg_locks r ON r.virtualtransaction = t.virtualtransaction AND r.locktype = 'relation'
               JOIN pg_catalog.pg_class c ON c.oid = r.relation
               WHERE x.database = current_database() AND x.gid LIKE 'citus\_%'
                 AND r.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
                 AND c.relnamespace = 'bank'::regnamespace
                 AND r.mode NOT IN ('AccessShareLock', 'RowShareLock')) THEN
        RAISE EXCEPTION 'on Citus, a two-phase commit on the worker at port % awaits recovery; nothing was read: try '
                        'again once Citus has recovered it (citus.recover_2pc_interval)', inet_server_port()
            USING ERRCODE = 'BK010';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION bank.commits_settled() IS
    'On a Citus worker: true, or BK010 if a two-phase commit of Citus''s awaits recovery there.';

-- BK010 unless no two-phase commit awaits recovery on any worker: one statement that runs
-- bank.commits_settled() on every shard of accounts, and so on every worker.
CREATE OR REPLACE FUNCTION bank_citus.check_settled() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    PERFORM count(*) FROM accounts a WHERE a.account_id < 0 AND commits_settled();
END
$$;

-- Contract: opens this transaction's snapshot on every worker at one moment when no
-- two-phase commit is in flight, after waiting for any load (the bank's tables are locked
-- in their usual order first, customers left out for Robinhood's planning session, whose
-- caller holds customers already). Citus records each two-phase commit in
-- pg_dist_transaction from before its PREPARE until its last COMMIT PREPARED, under ROW
-- EXCLUSIVE; holding SHARE there pauses every such commit. The pause is taken in a
-- subtransaction that is then rolled back: the lock goes with it, within milliseconds,
-- while the workers' transactions stay open, and a cancelled caller leaves nothing held.
CREATE OR REPLACE FUNCTION bank_citus.open_snapshots(p_customers boolean) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
SET citus.enable_ddl_propagation = off -- its LOCKs stay on the coordinator
AS $$
BEGIN
    -- One connection a worker for the rest of the transaction: a second would open a
    -- second snapshot, after the pause.
    PERFORM set_config('citus.max_adaptive_executor_pool_size', '1', true);
    -- A distributed transaction id without touching a worker: Citus's deadlock detector
    -- tells this transaction from others by it, and reads then open transaction blocks.
    PERFORM pg_catalog.create_intermediate_result('bank_read_snapshot', 'SELECT 1 WHERE false');
    IF p_customers THEN
        LOCK TABLE customers, accounts, customer_accounts IN ACCESS SHARE MODE;
    ELSE
        LOCK TABLE accounts, customer_accounts IN ACCESS SHARE MODE;
    END IF;
    BEGIN
        LOCK TABLE pg_catalog.pg_dist_transaction IN SHARE MODE;
        PERFORM bank_citus.check_settled();
        RAISE EXCEPTION USING ERRCODE = 'BK901';
    EXCEPTION WHEN SQLSTATE 'BK901' THEN
        NULL;
    END;
    -- What tells this transaction's next read that its snapshots are open: this
    -- transaction's id in a setting, and a lock only a role that may write the bank can take
    -- (such a role could set both by hand, and mislead only its own reads).
    PERFORM set_config('bank.snapshots_opened', (pg_catalog.get_current_transaction_id()).transaction_number::text, true);
    LOCK TABLE customers IN ROW SHARE MODE;
END
$$;
COMMENT ON FUNCTION bank_citus.open_snapshots(boolean) IS
    'On Citus, opens this transaction''s snapshot on every worker while two-phase commits are paused.';

-- Whether this transaction holds writers off both distributed tables (SHARE or stronger on
-- the coordinator, where every writer takes ROW EXCLUSIVE): then no commit can be half done.
CREATE OR REPLACE FUNCTION bank_citus.writers_held() RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN (SELECT count(DISTINCT l.relation) = 2 FROM pg_catalog.pg_locks l
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
              AND l.relation IN ('bank.accounts'::regclass, 'bank.customer_accounts'::regclass)
              AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'));
END
$$;

-- Contract: on Citus, gives this transaction's reads one snapshot across every worker: in
-- a REPEATABLE READ transaction, through bank_citus.open_snapshots(), once; in one that
-- holds writers off (bank_citus.writers_held()), by checking only that no commit awaits
-- recovery. Refused (BK009) otherwise: at READ COMMITTED each worker statement takes a
-- snapshot of its own, and a REPEATABLE READ transaction that touched a worker before took
-- its snapshots then; and on a worker, where the coordinator's commits cannot be paused.
-- The functions that call it run as the bank's owner (SECURITY DEFINER), so that all their
-- reads share one connection a worker, whoever calls them.
CREATE OR REPLACE FUNCTION bank.read_snapshot() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF NOT pg_catalog.citus_is_coordinator() THEN
        RAISE EXCEPTION 'on Citus, read the bank through the coordinator' USING ERRCODE = 'BK009';
    END IF;
    IF bank_citus.writers_held() THEN
        PERFORM bank_citus.check_settled();
        RETURN;
    END IF;
    IF current_setting('transaction_isolation') NOT IN ('repeatable read', 'serializable') THEN
        RAISE EXCEPTION 'on Citus, a read of every account needs a REPEATABLE READ transaction (or writers held off: '
                        'LOCK TABLE bank.accounts, bank.customer_accounts IN SHARE MODE)'
            USING ERRCODE = 'BK009';
    END IF;
    IF current_setting('bank.snapshots_opened', true) = (pg_catalog.get_current_transaction_id()).transaction_number::text
       AND EXISTS (SELECT FROM pg_catalog.pg_locks l
                   WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
                     AND l.relation = 'bank.customers'::regclass AND l.mode = 'RowShareLock') THEN
        RETURN;
    END IF;
    IF (pg_catalog.get_current_transaction_id()).transaction_number <> 0 THEN
        RAISE EXCEPTION 'on Citus, a consistent read must come first in its transaction, before any other read or '
                        'write of the bank''s tables (or a ROLLBACK TO SAVEPOINT past the first read)'
            USING ERRCODE = 'BK009';
    END IF;
    PERFORM bank_citus.open_snapshots(true);
END
$$;
COMMENT ON FUNCTION bank.read_snapshot() IS
    'On Citus, one snapshot across every worker for this transaction: REPEATABLE READ first in the transaction, '
    'or writers held off; BK009 otherwise. Called by every function that reads all accounts.';

-- On Citus a transaction that wrote only on workers has no id on the coordinator until it
-- commits: one is given to it, so that its outcome can be asked for after a lost COMMIT.
CREATE OR REPLACE FUNCTION bank.transaction_id() RETURNS xid8
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NULL AND (pg_catalog.get_current_transaction_id()).transaction_number = 0 THEN
        RETURN NULL;
    END IF;
    RETURN pg_current_xact_id();
END
$$;

-- Local execution would read the coordinator's copy of customers (where it holds one) with
-- its own snapshot, older than the read's pause: off for every read, whatever the session set.
DO $$
DECLARE
    v_reader regprocedure;
BEGIN
    FOREACH v_reader IN ARRAY ARRAY['bank.top_states(integer)', 'bank.ranked_customers(integer, boolean)',
            'bank.top_customers(integer)', 'bank.bottom_customers(integer)', 'bank.audit()', 'bank.balances()',
            'bank.profile()', 'bank.profile_states(integer)', 'bank.profile_accounts_per_customer()']::regprocedure[] LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET citus.enable_local_execution = off', v_reader);
    END LOOP;
END
$$;

-- Robinhood's planning session: a connection of the bank's own to this server, kept with
-- the caller's session, over its Unix socket (pg_hba.conf must let the owner in by trust or
-- peer there). One left idle in a transaction, as a cancelled caller would leave it, is
-- ended by its server after a second. Its lock waits end after 5 s: its caller holds the
-- tables it reads, so any request it queues behind is one that waits for its caller.
CREATE OR REPLACE FUNCTION bank_citus.planner() RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_name    constant text := 'bank_planner';
    v_sockets constant text := split_part(current_setting('unix_socket_directories'), ',', 1);
BEGIN
    IF v_name = ANY (coalesce(bank_citus.dblink_get_connections(), '{}')) THEN
        -- A connection whose server went away fails its first command: make it again. (The
        -- ROLLBACK ends what a cancelled caller left open; its warning when there is none
        -- is not shown: the session's client_min_messages is error.)
        IF bank_citus.dblink_exec(v_name, 'ROLLBACK', false) <> 'ERROR' THEN
            RETURN v_name;
        END IF;
        PERFORM bank_citus.dblink_disconnect(v_name);
    END IF;
    PERFORM bank_citus.dblink_connect(v_name, format(
        'host=%s port=%s dbname=%s user=%s application_name=bank-planner '
        'options=''-c idle_in_transaction_session_timeout=1000 -c lock_timeout=5000 -c client_min_messages=error''',
        CASE WHEN v_sockets <> '' THEN v_sockets ELSE host(inet_server_addr()) END,
        current_setting('port'), current_database(), current_user));
    RETURN v_name;
END
$$;
COMMENT ON FUNCTION bank_citus.planner() IS
    'The name of this session''s connection to the planning session of Robinhood on Citus, made if need be.';

-- Whether the transaction had touched a worker when this Robinhood began (its own failed
-- claims touch them too): asked at its first plan, remembered for the run, which
-- bank.robinhood_run() names in bank.robinhood_path while it plans.
CREATE OR REPLACE FUNCTION bank_citus.touched_before_robinhood() RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = bank, pg_temp
AS $$
DECLARE
    v_said constant text := current_setting('bank.touched_before_robinhood', true);
    v_now  constant text := current_setting('bank.robinhood_path', true);
BEGIN
    IF v_said LIKE v_now || '%' THEN
        RETURN v_said LIKE '%yes';
    END IF;
    PERFORM set_config('bank.touched_before_robinhood', v_now || CASE
        WHEN (pg_catalog.get_current_transaction_id()).transaction_number <> 0 THEN ' yes' ELSE ' no' END, true);
    RETURN (pg_catalog.get_current_transaction_id()).transaction_number <> 0;
END
$$;

-- Contract: as on one node, a plan from every holder's total in one snapshot, here one
-- across every worker. Made in the planning session at REPEATABLE READ, where it comes back
-- to this function; in the caller's own session under EXCLUSIVE on accounts if the caller
-- holds writers off already, or touched a worker before (the other session could not see
-- what it changed there).
CREATE OR REPLACE FUNCTION bank.robinhood_plan(p_percent numeric, p_count integer, p_keep integer) RETURNS bank.plan
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER -- dblink connects without a password only for a superuser
SET search_path = bank, pg_temp
SET citus.enable_ddl_propagation = off
SET citus.enable_local_execution = off
AS $$
DECLARE
    v_planner text;
    v_plan    plan;
BEGIN
    IF current_setting('transaction_isolation') = 'repeatable read' THEN
        PERFORM bank_citus.open_snapshots(false);
        RETURN plan_moves(rank_holders(p_keep), p_percent, p_count);
    END IF;
    IF bank_citus.touched_before_robinhood() OR bank_citus.writers_held() THEN
        LOCK TABLE accounts IN EXCLUSIVE MODE;
        PERFORM bank_citus.check_settled(); -- writers are held off, but a half-done commit stays half done
        RETURN plan_moves(rank_holders(p_keep), p_percent, p_count);
    END IF;
    v_planner := bank_citus.planner();
    PERFORM bank_citus.dblink_exec(v_planner, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    v_plan := (SELECT t.plan::plan
               FROM bank_citus.dblink(v_planner, format('SELECT bank.robinhood_plan(%L, %s, %s)::text',
                                                        p_percent, p_count, p_keep)) AS t(plan text));
    PERFORM bank_citus.dblink_exec(v_planner, 'COMMIT');
    RETURN v_plan;
END
$$;
COMMENT ON FUNCTION bank.robinhood_plan(numeric, integer, integer) IS
    'On Citus, Robinhood''s plan from every holder''s total in one snapshot across every worker.';

-- Citus cannot read the row versions of a whole distributed table in one query: a plan
-- that lost an account to a transfer ranks the whole bank again.
CREATE OR REPLACE FUNCTION bank.rerank_holders(p_ranking bank.ranking, p_count integer) RETURNS bank.ranking
LANGUAGE plpgsql STABLE
SET search_path = bank, pg_temp
AS $$
BEGIN
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION bank.rerank_holders(bank.ranking, integer) IS 'On Citus: NULL, rank the whole bank again.';

-- Table locks on the coordinator only, where every client's statements take theirs: Citus
-- would send them to every worker first, and a reader opening its snapshots could then wait
-- there for a load that waits here for the reader.
ALTER FUNCTION bank.robinhood_run(numeric, integer, integer, integer) SET citus.enable_ddl_propagation = off;
ALTER FUNCTION bank.lock_for_load() SET citus.enable_ddl_propagation = off;

-- The read-only role's every call is a read that qualifies, from any SQL client.
DO $$
BEGIN
    EXECUTE format('ALTER ROLE bank_reader IN DATABASE %I SET default_transaction_isolation = %L',
                   current_database(), 'repeatable read');
END
$$;

-- Only the bank's owner connects to the workers: through the coordinator, the read
-- functions run as the owner, and nobody else can hold a lock or a prepared transaction on
-- a worker that the bank's loads and reads would wait for. (A role other than the owner
-- that writes through the coordinator needs CONNECT granted on each worker.)
SELECT run_command_on_workers(format('SET citus.enable_ddl_propagation TO off; REVOKE CONNECT ON DATABASE %I FROM PUBLIC',
                                     current_database()));

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bank_citus FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bank FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bank.read_snapshot() FROM bank_reader; -- the read functions call it as the owner
