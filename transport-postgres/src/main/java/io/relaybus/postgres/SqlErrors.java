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

  /**
   * The cause a pool hides, for a log line: the deepest SQL exception ({@link #describe}), and
   * the socket's exception under it when there is one. A pool's "Connection is not available"
   * becomes, for instance, "Connection to db:5432 refused ... (SQLState 08001)
   * (ConnectException: Connection refused)".
   */
  static String rootCause(Throwable e) {
    SQLException deepest = null;
    Throwable last = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        deepest = s;
      }
      last = t;
      if (t.getCause() == t) {
        break;
      }
    }
    if (deepest == null) {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    String text = describe(deepest);
    if (!(last instanceof SQLException)) {
      text += " (" + last.getClass().getSimpleName()
          + (last.getMessage() == null ? "" : ": " + last.getMessage()) + ")";
    }
    return text;
  }

  /** Whether the failure is about the connection, not the statement (SQLState class 08, 57P). */
  static boolean isConnectionFailure(SQLException e) {
    String state = withoutValues(e).getSQLState();
    return state == null || state.startsWith("08") || state.startsWith("57P");
  }
}
