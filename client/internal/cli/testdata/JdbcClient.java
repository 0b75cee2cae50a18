// A second, independent kind of client for the tests: Java through pgjdbc (Debian's
// libpostgresql-jdbc-java), run as a single source file. Each mode prints what the Go test
// compares with psql, or what a JDBC user would see.
//
//   java -cp /usr/share/java/postgresql.jar JdbcClient.java URL MODE [ARGS...]
import java.math.BigDecimal;
import java.sql.*;

public class JdbcClient {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0], "postgres", "")) {
            switch (args[1]) {
                case "query" -> query(c, args[2]);
                case "amount" -> amount(c, args[2]);
                case "refused" -> refused(c);
                case "batch" -> batch(c);
                case "robinhood" -> robinhood(c, args[2]);
                default -> throw new IllegalArgumentException(args[1]);
            }
        }
    }

    // Rows as psql -A -t -F , prints them: every value as text, NULL as nothing.
    static void query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            int n = r.getMetaData().getColumnCount();
            StringBuilder out = new StringBuilder();
            while (r.next()) {
                for (int i = 1; i <= n; i++) {
                    if (i > 1) out.append(',');
                    String v = r.getString(i);
                    out.append(v == null ? "" : v);
                }
                out.append('\n');
            }
            System.out.print(out);
        }
    }

    // One transfer of 0.01 from account 1 to 2, the amount bound as FORM: what a JDBC user
    // gets for each way of binding money.
    static void amount(Connection c, String form) {
        String sql = form.equals("cast") ? "SELECT from_balance FROM bank.transfer(?, ?, ?::numeric)"
                                         : "SELECT from_balance FROM bank.transfer(?, ?, ?)";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setLong(1, 1);
            p.setLong(2, 2);
            switch (form) {
                case "bigdecimal" -> p.setBigDecimal(3, new BigDecimal("0.01"));
                case "string", "cast" -> p.setString(3, "0.01");
                case "double" -> p.setDouble(3, 0.01);
                default -> throw new IllegalArgumentException(form);
            }
            try (ResultSet r = p.executeQuery()) {
                r.next();
                BigDecimal b = r.getBigDecimal(1);
                System.out.println(form + ": ok " + b.toPlainString());
            }
        } catch (SQLException e) {
            System.out.println(form + ": " + e.getSQLState());
        }
    }

    // A transaction: a transfer, one refused for insufficient funds, another transfer, COMMIT.
    static void refused(Connection c) throws SQLException {
        c.setAutoCommit(false);
        String[] calls = {"SELECT * FROM bank.transfer(1, 2, 0.01)", "SELECT * FROM bank.transfer(1, 2, 99999999999)",
                          "SELECT * FROM bank.transfer(3, 4, 0.01)"};
        for (String sql : calls) {
            try (Statement s = c.createStatement()) {
                s.executeQuery(sql).close();
                System.out.println("ok");
            } catch (SQLException e) {
                System.out.println(e.getSQLState());
            }
        }
        try {
            c.commit();
            System.out.println("commit: ok");
        } catch (SQLException e) {
            System.out.println("commit: " + e.getSQLState());
        }
    }

    // An autocommit batch of three transfers, the second refused: the update counts as pgjdbc
    // reports them (-3 is EXECUTE_FAILED).
    static void batch(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT bank.transfer(?, ?, ?)")) {
            long[][] moves = {{1, 2, 1}, {1, 2, 999999999999L}, {3, 4, 1}};
            for (long[] m : moves) {
                p.setLong(1, m[0]);
                p.setLong(2, m[1]);
                p.setBigDecimal(3, BigDecimal.valueOf(m[2], 2));
                p.addBatch();
            }
            try {
                p.executeBatch();
                System.out.println("batch: ok");
            } catch (BatchUpdateException e) {
                System.out.println("batch: " + java.util.Arrays.toString(e.getUpdateCounts()) + " " + e.getSQLState());
            }
        }
    }

    // Robinhood at an isolation level, rolled back.
    static void robinhood(Connection c, String level) throws SQLException {
        c.setAutoCommit(false);
        c.setTransactionIsolation(level.equals("read uncommitted") ? Connection.TRANSACTION_READ_UNCOMMITTED
                                  : Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM bank.robinhood()")) {
            r.next();
            System.out.println(level + ": " + r.getLong(1) + " moves");
        } catch (SQLException e) {
            System.out.println(level + ": " + e.getSQLState());
        }
        c.rollback();
    }
}
