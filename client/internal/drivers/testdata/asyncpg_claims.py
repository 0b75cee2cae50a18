"""The asyncpg claims of docs/clients.md, each one assertion against the small bank the Go
test makes (main_test.go): accounts 1 to 3 hold 1,000.00, 50.00 and 0.00, accounts 4 to 13
the largest balance. Each claim leaves the bank as it found it, or checks only what it moved.

    asyncpg_claims.py URL     prints "ok NAME" or "FAIL NAME: why" for each claim
"""
import asyncio
import decimal
import sys
import traceback

import asyncpg

URL = sys.argv[1]
D = decimal.Decimal
TRANSFER = "SELECT * FROM bank.transfer($1, $2, $3)"
TOTAL = D("100000000001049.90")  # main_test.go's bankTotal
claims = []


def claim(f):
    claims.append(f)
    return f


async def connect():
    return await asyncpg.connect(URL)


async def balances():
    conn = await connect()
    try:
        return dict(await conn.fetch("SELECT account_id, balance FROM bank.accounts"))
    finally:
        await conn.close()


async def sqlstate(coro):
    """The SQLSTATE awaiting coro raises, or "ok"."""
    try:
        await coro
        return "ok"
    except asyncpg.PostgresError as e:
        return e.sqlstate


async def moved_in_rolled_back(src, dst, amount):
    """What transfer(src, dst, amount) makes of dst's balance, in a transaction rolled back."""
    conn = await connect()
    tr = conn.transaction()
    await tr.start()
    try:
        return (await conn.fetchrow(TRANSFER, src, dst, amount))["to_balance"]
    finally:
        await tr.rollback()
        await conn.close()


@claim
async def float_amount_is_its_binary_value():
    # 19.99 is 19.989999999999998436805981327779591083526611328125 in binary.
    assert await sqlstate(moved_in_rolled_back(1, 2, 19.99)) == "BK003"
    before = (await balances())[2]
    assert await moved_in_rolled_back(1, 2, 0.25) == before + D("0.25")  # exact in binary


@claim
async def int_amount_is_dollars():
    before = (await balances())[3]
    got = await moved_in_rolled_back(4, 3, 2500)
    assert got == before + D("2500.00"), got
    got = await moved_in_rolled_back(4, 3, D(1999) / 100)  # cents, made dollars exactly
    assert got == before + D("19.99"), got


@claim
async def decimal_and_str_amounts_are_exact():
    before = (await balances())[2]
    for amount in (D("0.10"), "0.10"):
        got = await moved_in_rolled_back(1, 2, amount)
        assert got == before + D("0.10"), (amount, got)


@claim
async def money_reads_as_exact_decimal():
    conn = await connect()
    total = await conn.fetchval("SELECT total_balance FROM bank.audit()")
    zero = await conn.fetchval("SELECT balance FROM bank.accounts WHERE account_id = 3")
    await conn.close()
    assert isinstance(total, D) and str(total) == str(TOTAL), repr(total)
    assert str(zero) == "0.00", repr(zero)


@claim
async def bk_codes_raise_unknown_postgres_error():
    conn = await connect()
    try:
        await conn.execute(TRANSFER, 2, 1, D("1000.00"))
        assert False, "not refused"
    except asyncpg.PostgresError as e:
        assert type(e) is asyncpg.exceptions.UnknownPostgresError, type(e)
        assert isinstance(e, asyncpg.exceptions.FatalPostgresError), type(e).__mro__
        assert e.sqlstate == "BK004", e.sqlstate
        assert await conn.fetchval("SELECT 1") == 1  # the connection lives on
    finally:
        await conn.close()


@claim
async def commit_after_refusal_returns_and_keeps_nothing():
    before = await balances()
    conn = await connect()
    tr = conn.transaction()
    await tr.start()
    await conn.execute(TRANSFER, 1, 2, D("1.00"))
    assert await sqlstate(conn.execute(TRANSFER, 2, 3, D("1000.00"))) == "BK004"
    try:
        await conn.execute(TRANSFER, 1, 3, D("1.00"))
        assert False, "a transfer ran after the refusal"
    except asyncpg.exceptions.InFailedSQLTransactionError:
        pass
    assert await tr.commit() is None  # no exception
    await conn.close()
    assert await balances() == before, "the transaction kept part of itself"


@claim
async def transaction_block_commits_rolls_back_or_keeps_nothing_silently():
    conn = await connect()
    before = (await balances())[1]
    async with conn.transaction():
        await conn.execute(TRANSFER, 1, 2, D("1.00"))
    assert (await balances())[1] == before - 1, "the block's transfer did not commit"
    before = await balances()
    try:  # a refusal leaving the block rolls it back
        async with conn.transaction():
            await conn.execute(TRANSFER, 1, 2, D("1.00"))
            await conn.execute(TRANSFER, 2, 3, D("1000.00"))
        assert False, "not refused"
    except asyncpg.PostgresError as e:
        assert e.sqlstate == "BK004", e.sqlstate
    async with conn.transaction():  # one caught inside: the end commits nothing, raises nothing
        await conn.execute(TRANSFER, 1, 2, D("1.00"))
        await sqlstate(conn.execute(TRANSFER, 2, 3, D("1000.00")))
    await conn.close()
    assert await balances() == before, "a block kept the transfer before the refusal"


@claim
async def outside_a_transaction_each_statement_commits():
    before = (await balances())[1]
    conn = await connect()
    await conn.execute(TRANSFER, 1, 2, D("1.00"))
    assert await sqlstate(conn.execute(TRANSFER, 2, 3, D("1000.00"))) == "BK004"
    await conn.close()
    assert (await balances())[1] == before - 1, "the transfer before the refusal did not commit"


@claim
async def executemany_is_one_transaction():
    before = await balances()
    conn = await connect()
    args = [(1, 2, D("1.00")), (2, 3, D("1000.00")), (1, 3, D("1.00"))]
    assert await sqlstate(conn.executemany(TRANSFER, args)) == "BK004"
    await conn.close()
    assert await balances() == before, "executemany kept the transfer before the refusal"


@claim
async def isolation_is_the_transactions():
    conn = await connect()
    async with conn.transaction():
        assert await conn.fetchval("SHOW transaction_isolation") == "read committed"
    tr = conn.transaction(isolation="repeatable_read")
    await tr.start()
    assert await conn.fetchval("SHOW transaction_isolation") == "repeatable read"
    assert await conn.fetchval("SELECT total_balance FROM bank.audit()") == TOTAL
    assert await sqlstate(conn.execute("SELECT * FROM bank.robinhood()")) == "BK006"
    await tr.rollback()
    await conn.close()


async def main():
    print("asyncpg", asyncpg.__version__)
    failed = False
    for f in claims:
        try:
            await f()
            print("ok", f.__name__)
        except Exception:
            failed = True
            why = traceback.format_exc().strip().replace("\n", " | ")
            print("FAIL", f.__name__ + ":", why)
    sys.exit(1 if failed else 0)


asyncio.run(main())
