package io.relaybus.postgres;

import java.sql.BatchUpdateException;
import java.sql.SQLException;

/**
 * Error text without event contents: pgjdbc's batch errors quote every bound value (event data,
 * headers), which must not reach the caller's logs. Only the server's own message and SQL
 * state are kept.
 */
final class SqlErrors {
  private SqlErrors() {}

  /** The innermost server error, or the exception itself when it is not a batch error. */
  static SQLException withoutValues(SQLException e) {
    if (e instanceof BatchUpdateException && e.getNextException() != null) {
      return e.getNextException();
    }
    return e;
  }

  /** {@code message (SQLState x)} of {@link #withoutValues}. */
  static String describe(SQLException e) {
    SQLException inner = withoutValues(e);
    String message = inner.getMessage() == null ? inner.getClass().getSimpleName()
        : inner.getMessage();
    return message + (inner.getSQLState() != null ? " (SQLState " + inner.getSQLState() + ")"
        : "");
  }

  /** Whether the failure is about the connection, not the statement (SQLState class 08, 57P). */
  static boolean isConnectionFailure(SQLException e) {
    String state = withoutValues(e).getSQLState();
    return state == null || state.startsWith("08") || state.startsWith("57P");
  }
}
