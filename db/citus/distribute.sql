-- Fun With Banking on Citus: distributes the bank loaded by db/init.sql and
-- db/procedures.sql. Run once, on the coordinator, with the workers already added:
--
--   psql -v ON_ERROR_STOP=1 -d bank -f db/citus/distribute.sql [-v shards=N]
--
-- The layout (docs/citus.md gives the measurements behind it):
--   * accounts and customer_accounts are distributed by account_id and co-located, so the
--     join behind every total (a link and its account) stays on one shard, and a transfer's
--     row lock and update each stay on one shard;
--   * customers is a reference table, a copy on every node, so that every shard can join
--     its links to their customers locally. It is written only by loads.
-- Every function stays on the coordinator, where Citus routes each of its statements;
-- db/citus/functions.sql (loaded at the end) replaces the steps that differ here, and a
-- reload of db/procedures.sql loads it again.
\if :{?shards}
\else
\set shards 8
\endif

-- The keys of the two large tables go first: Citus distributes a table's constraints with
-- it, and create_keys() adds them back in the order Citus accepts.
SELECT bank.drop_keys();
SELECT create_reference_table('bank.customers');
SELECT create_distributed_table('bank.accounts', 'account_id', shard_count => :shards);
SELECT create_distributed_table('bank.customer_accounts', 'account_id', colocate_with => 'bank.accounts');
SELECT bank.create_keys();

DO $$
BEGIN
    -- Where the coordinator is in Citus's metadata (as Citus's own guide sets a cluster up),
    -- it holds a copy of the reference table, and Citus would read and write that copy in
    -- the session itself ("local execution"): a load then fails, and a read's snapshot of
    -- that copy would be older than its pause. Over a connection, as on every other node,
    -- both work.
    EXECUTE format('ALTER DATABASE %I SET citus.enable_local_execution = off', current_database());
    -- A load adds the foreign key to the reference table back in the transaction that
    -- filled the distributed tables, which Citus allows only after sequential writes.
    EXECUTE format('ALTER DATABASE %I SET citus.multi_shard_modify_mode = %L', current_database(), 'sequential');
END
$$;
SET citus.enable_local_execution = off;
SET citus.multi_shard_modify_mode = 'sequential';

BEGIN;
\ir functions.sql
COMMIT;
