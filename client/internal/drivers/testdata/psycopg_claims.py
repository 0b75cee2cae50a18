"""The psycopg 3 claims of docs/clients.md, each one assertion against the small bank the Go
test makes (main_test.go): accounts 1 to 3 hold 1,000.00, 50.00 and 0.00, accounts 4 to 13
the largest balance. Each claim leaves the bank as it found it, or checks only what it moved.

    psycopg_claims.py URL     prints "ok NAME" or "FAIL NAME: why" for each claim
"""
import decimal
import sys
import traceback

import psycopg
from psycopg import pq

URL = sys.argv[1]
D = decimal.Decimal
TRANSFER = "SELECT * FROM bank.transfer(%s, %s, %s)"
TOTAL = D("100000000001049.90")  # main_test.go's bankTotal
claims = []


def claim(f):
    claims.append(f)
    return f


def balances():
    with psycopg.connect(URL, autocommit=True) as conn:
        return dict(conn.execute("SELECT account_id, balance FROM bank.accounts").fetchall())


def sqlstate(f):
    """The SQLSTATE f raises, or "ok"."""
    try:
        f()
        return "ok"
    except psycopg.Error as e:
        return e.sqlstate


def moved_in_rolled_back(src, dst, amount):
    """What transfer(src, dst, amount) makes of dst's balance, in a transaction rolled back."""
    with psycopg.connect(URL) as conn:
        try:
            return conn.execute(TRANSFER, (src, dst, amount)).fetchone()[3]
        finally:
            conn.rollback()


@claim
def float_amount_finds_no_function():
    # A float is sent as double precision, and there is no transfer(..., double precision).
    with psycopg.connect(URL) as conn:
        try:
            conn.execute(TRANSFER, (1, 2, 0.1))
            assert False, "transfer with a float ran"
        except psycopg.errors.UndefinedFunction as e:
            assert e.sqlstate == "42883", e.sqlstate
            assert "transfer(smallint, smallint, double precision)" in str(e), str(e)


@claim
def int_amount_is_dollars():
    before = balances()[3]
    got = moved_in_rolled_back(4, 3, 2500)
    assert got == before + D("2500.00"), got
    got = moved_in_rolled_back(4, 3, D(1999) / 100)  # cents, made dollars exactly
    assert got == before + D("19.99"), got


@claim
def decimal_and_str_amounts_are_exact():
    before = balances()[2]
    for amount in (D("0.10"), "0.10"):
        got = moved_in_rolled_back(1, 2, amount)
        assert got == before + D("0.10"), (amount, got)


@claim
def decimal_of_a_float_is_bk003():
    # Decimal(0.1) is the float's binary value, 0.1000000000000000055511151231257827...
    assert sqlstate(lambda: moved_in_rolled_back(1, 2, D(0.1))) == "BK003"


@claim
def money_reads_as_exact_decimal():
    with psycopg.connect(URL) as conn:
        total = conn.execute("SELECT total_balance FROM bank.audit()").fetchone()[0]
        zero = conn.execute("SELECT balance FROM bank.accounts WHERE account_id = 3").fetchone()[0]
    assert isinstance(total, D) and str(total) == str(TOTAL), repr(total)
    assert str(zero) == "0.00", repr(zero)


@claim
def bk_codes_raise_plain_database_error():
    with psycopg.connect(URL) as conn:
        try:
            conn.execute(TRANSFER, (2, 1, D("1000.00")))
            assert False, "not refused"
        except psycopg.Error as e:
            assert type(e) is psycopg.DatabaseError, type(e)
            assert e.sqlstate == e.diag.sqlstate == "BK004", (e.sqlstate, e.diag.sqlstate)


@claim
def commit_after_refusal_returns_and_keeps_nothing():
    before = balances()
    conn = psycopg.connect(URL)
    conn.execute(TRANSFER, (1, 2, D("1.00")))
    assert sqlstate(lambda: conn.execute(TRANSFER, (2, 3, D("1000.00")))) == "BK004"
    try:
        conn.execute(TRANSFER, (1, 3, D("1.00")))
        assert False, "a transfer ran after the refusal"
    except psycopg.errors.InFailedSqlTransaction:
        pass
    assert conn.info.transaction_status == pq.TransactionStatus.INERROR, conn.info.transaction_status
    assert conn.commit() is None  # no exception
    conn.close()
    assert balances() == before, "the transaction kept part of itself"


@claim
def connection_block_commits_at_its_end():
    before = balances()[1]
    with psycopg.connect(URL) as conn:
        conn.execute(TRANSFER, (1, 2, D("1.00")))
    assert balances()[1] == before - 1, "the block's transfer did not commit"


@claim
def refusal_leaving_the_block_rolls_back():
    before = balances()
    try:
        with psycopg.connect(URL) as conn:
            conn.execute(TRANSFER, (1, 2, D("1.00")))
            conn.execute(TRANSFER, (2, 3, D("1000.00")))
        assert False, "not refused"
    except psycopg.DatabaseError as e:
        assert e.sqlstate == "BK004", e.sqlstate
    with psycopg.connect(URL, autocommit=True) as conn:
        try:
            with conn.transaction():
                conn.execute(TRANSFER, (1, 2, D("1.00")))
                conn.execute(TRANSFER, (2, 3, D("1000.00")))
            assert False, "not refused"
        except psycopg.DatabaseError as e:
            assert e.sqlstate == "BK004", e.sqlstate
    assert balances() == before, "a block kept the transfer before the refusal"


@claim
def caught_refusal_in_a_block_keeps_nothing_silently():
    before = balances()
    with psycopg.connect(URL) as conn:  # commit() at the end: nothing is kept, nothing raised
        conn.execute(TRANSFER, (1, 2, D("1.00")))
        sqlstate(lambda: conn.execute(TRANSFER, (2, 3, D("1000.00"))))
    with psycopg.connect(URL, autocommit=True) as conn:
        with conn.transaction():  # the same at the end of conn.transaction()
            conn.execute(TRANSFER, (1, 2, D("1.00")))
            sqlstate(lambda: conn.execute(TRANSFER, (2, 3, D("1000.00"))))
    assert balances() == before, "a block with a caught refusal kept part of itself"


@claim
def autocommit_commits_each_statement():
    before = balances()[1]
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(TRANSFER, (1, 2, D("1.00")))
        assert sqlstate(lambda: conn.execute(TRANSFER, (2, 3, D("1000.00")))) == "BK004"
    assert balances()[1] == before - 1, "the transfer before the refusal did not commit"


@claim
def pipeline_in_autocommit_is_one_transaction():
    before = balances()
    with psycopg.connect(URL, autocommit=True) as conn:
        def run():
            with conn.pipeline():
                conn.execute(TRANSFER, (1, 2, D("1.00")))
                conn.execute(TRANSFER, (2, 3, D("1000.00")))
                conn.execute(TRANSFER, (1, 3, D("1.00")))
        assert sqlstate(run) == "BK004"
    assert balances() == before, "the pipeline kept the transfer before the refusal"


@claim
def executemany_in_autocommit_is_one_transaction():
    before = balances()
    with psycopg.connect(URL, autocommit=True) as conn:
        cur = conn.cursor()
        args = [(1, 2, D("1.00")), (2, 3, D("1000.00")), (1, 3, D("1.00"))]
        assert sqlstate(lambda: cur.executemany(TRANSFER, args)) == "BK004"
    assert balances() == before, "executemany kept the transfer before the refusal"


@claim
def isolation_level_is_the_next_transactions():
    with psycopg.connect(URL) as conn:
        assert conn.execute("SHOW transaction_isolation").fetchone()[0] == "read committed"
        assert sqlstate(lambda: conn.execute("SELECT * FROM bank.robinhood()")) == "ok"
        try:  # only between transactions
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            assert False, "isolation_level changed inside a transaction"
        except psycopg.ProgrammingError:
            pass
        conn.rollback()
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        assert conn.execute("SHOW transaction_isolation").fetchone()[0] == "repeatable read"
        assert conn.execute("SELECT total_balance FROM bank.audit()").fetchone()[0] == TOTAL
        assert sqlstate(lambda: conn.execute("SELECT * FROM bank.robinhood()")) == "BK006"
        conn.rollback()


def main():
    print("psycopg", psycopg.__version__, "libpq", pq.version())
    failed = False
    for f in claims:
        try:
            f()
            print("ok", f.__name__)
        except Exception:
            failed = True
            why = traceback.format_exc().strip().replace("\n", " | ")
            print("FAIL", f.__name__ + ":", why)
    sys.exit(1 if failed else 0)


main()
