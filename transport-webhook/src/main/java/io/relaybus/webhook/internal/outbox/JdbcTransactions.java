package io.relaybus.webhook.internal.outbox;

import io.relaybus.RelaybusException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the outbox's work in transactions. A transaction PostgreSQL aborted as a deadlock victim
 * or for a serialization failure (SQLSTATE 40P01, 40001) did nothing and is run again, up to
 * {@value #TRANSACTION_TRIES} times: senders, publishers and endpoint changes lock overlapping
 * delivery rows in different orders, and one of them losing must not fail a publish. Other
 * failures become a {@link RelaybusException} naming the schema.
 */
final class JdbcTransactions {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcTransactions.class);
  private static final int TRANSACTION_TRIES = 3;
  /** Deadlock victim, serialization failure: the transaction did nothing. */
  private static final Set<String> RETRYABLE_STATES = Set.of("40P01", "40001");

  /** Work inside one transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private final String schema;

  JdbcTransactions(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
  }

  /** Runs work in one transaction, again when PostgreSQL aborted it (see the class). */
  <T> T run(Work<T> work) {
    return run(work, false);
  }

  /**
   * Runs work that is one statement in auto-commit: atomic on its own, and one round trip
   * instead of a statement and a {@code COMMIT}. Run again when PostgreSQL aborted it.
   */
  <T> T runStatement(Work<T> statement) {
    return run(statement, true);
  }

  private <T> T run(Work<T> work, boolean autoCommit) {
    for (int attempt = 1; ; attempt++) {
      try {
        return autoCommit ? runAutoCommit(work) : runOnce(work);
      } catch (RelaybusException e) {
        if (attempt >= TRANSACTION_TRIES || !retryable(e.getCause())) {
          throw e;
        }
        LOG.debug("Webhook outbox transaction aborted ({}); running it again", e.getMessage());
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1_000_000, 10_000_000));
      }
    }
  }

  /** A deadlock victim or serialization failure; many failures carry no SQLSTATE at all. */
  private static boolean retryable(Throwable cause) {
    return cause instanceof SQLException
        && RETRYABLE_STATES.contains(String.valueOf(((SQLException) cause).getSQLState()));
  }

  private <T> T runAutoCommit(Work<T> statement) {
    try (Connection c = dataSource.getConnection()) {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      return statement.run(c);
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  private RelaybusException failure(SQLException e) {
    return new RelaybusException("Webhook outbox (PostgreSQL, schema " + schema + ") failed: "
        + e.getMessage(), e);
  }

  private <T> T runOnce(Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    } catch (SQLException e) {
      throw failure(e);
    }
  }
}
