"""A second ODBC client for the tests: Python's pyodbc (Debian's python3-pyodbc) over the
same unixODBC and psqlODBC, with the DSN the README gives other clients.

    pyodbc_client.py DSN query SQL...          each query's rows, as psql -A -t -F , prints them
    pyodbc_client.py DSN refused FROM TO       a transaction: a good transfer, then one that is
                                               refused for insufficient funds, then COMMIT
"""
import sys

import pyodbc


def text(v):
    return "" if v is None else str(v)  # Decimal prints its exact digits


def main():
    dsn, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "query":
        conn = pyodbc.connect(dsn, autocommit=True)
        for sql in args:
            for row in conn.cursor().execute(sql).fetchall():
                print(",".join(text(v) for v in row))
    elif mode == "refused":
        src, dst = int(args[0]), int(args[1])
        conn = pyodbc.connect(dsn, autocommit=False)
        cur = conn.cursor()
        cur.execute("SELECT * FROM bank.transfer(?, ?, ?::numeric)", src, dst, "0.01")
        print("first transfer:", ",".join(text(v) for v in cur.fetchone()))
        try:
            cur.execute("SELECT * FROM bank.transfer(?, ?, ?::numeric)", src, dst, "9999999999999.99")
            print("refused transfer: not refused")
        except pyodbc.Error as e:
            print("refused transfer:", e.args[0])
        try:
            cur.execute("SELECT * FROM bank.transfer(?, ?, ?::numeric)", src, dst, "0.01")
            print("third transfer: committed in the same transaction")
        except pyodbc.Error as e:
            print("third transfer:", e.args[0])
        try:
            conn.commit()
            print("commit: returned")
        except pyodbc.Error as e:
            print("commit:", e.args[0])
    else:
        sys.exit("unknown mode " + mode)


main()
