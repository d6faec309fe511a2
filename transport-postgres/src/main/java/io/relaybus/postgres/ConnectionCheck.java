package io.relaybus.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.RelaybusException;
import io.relaybus.TransportUnavailableException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import javax.net.ssl.SSLException;
import javax.sql.DataSource;
import org.postgresql.Driver;
import org.postgresql.ds.common.BaseDataSource;

/**
 * The first connection of a bus, opened before anything else at start so that a database that
 * cannot be reached fails the start with its cause in the first line, instead of a pool timeout
 * with the cause two levels down. Wrong credentials, a missing database, an unknown host and a
 * TLS failure fail at once: no wait mends them. A refused connection or a timeout is tried
 * again until {@code connect-timeout}, then fails with the last cause.
 *
 * <p>The cause is read from the SQLState and from the exceptions under it, never from the
 * driver's message text; host, port, database and user come from the URL or the DataSource.
 */
final class ConnectionCheck {
  private static final long FIRST_PAUSE_MILLIS = 100;
  private static final long LONGEST_PAUSE_MILLIS = 1_000;

  /** What went wrong, and whether waiting can mend it. */
  enum Cause {
    AUTHENTICATION(false), DATABASE_MISSING(false), UNKNOWN_HOST(false), TLS(false),
    REFUSED(true), TIMEOUT(true), OTHER_TRANSIENT(true), OTHER(false);

    final boolean transientFailure;

    Cause(boolean transientFailure) {
      this.transientFailure = transientFailure;
    }
  }

  /** Where the bus connects, as far as it is known; nulls when it is not. */
  record Target(String host, String port, String database, String user, boolean sslRequired) {
    static final Target UNKNOWN = new Target(null, null, null, null, false);

    String address() {
      return host == null ? "the given DataSource" : host + (port == null ? "" : ":" + port);
    }

    String where() {
      return host == null ? address() : address() + (database == null ? "" : "/" + database);
    }
  }

  private ConnectionCheck() {}

  /**
   * Opens and closes one connection, from the driver in URL mode (the pool is not built yet)
   * or from the application's DataSource.
   *
   * @throws TransportUnavailableException when no connection could be opened in time
   */
  static void awaitDatabase(PostgresSettings settings, DataSource userDataSource) {
    Target target = userDataSource == null ? fromUrl(settings.url, settings.user)
        : fromDataSource(userDataSource);
    long start = System.nanoTime();
    long deadline = start + settings.connectTimeout.toNanos();
    long pause = FIRST_PAUSE_MILLIS;
    while (true) {
      long attemptStart = System.nanoTime();
      long leftSeconds = Math.max(1,
          (deadline - attemptStart + 999_999_999L) / 1_000_000_000L);
      try (Connection c = userDataSource != null ? userDataSource.getConnection()
          : Database.directConnection(settings, "relaybus-start", leftSeconds, leftSeconds,
              leftSeconds)) {
        return;
      } catch (SQLException e) {
        Cause cause = classify(e, target);
        // pgjdbc's loginTimeout ends an attempt with a bare 08001 and no socket exception
        // under it: an attempt that used all the time it was given timed out.
        if (cause == Cause.OTHER_TRANSIENT && userDataSource == null
            && System.nanoTime() - attemptStart >= leftSeconds * 1_000_000_000L - 50_000_000L) {
          cause = Cause.TIMEOUT;
        }
        long left = deadline - System.nanoTime();
        if (!cause.transientFailure || left <= 0) {
          throw failure(cause, e, target, settings);
        }
        try {
          Thread.sleep(Math.max(1, Math.min(pause, left / 1_000_000L)));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new RelaybusException("Interrupted while waiting for PostgreSQL at "
              + target.where(), e);
        }
      }
      pause = Math.min(LONGEST_PAUSE_MILLIS, pause * 2);
    }
  }

  /** The cause of a failed connection attempt. */
  static Cause classify(SQLException e, Target target) {
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return Cause.UNKNOWN_HOST;
      }
      if (t instanceof SSLException) {
        return Cause.TLS;
      }
      if (t instanceof ConnectException) {
        return Cause.REFUSED;
      }
      if (t instanceof SocketTimeoutException) {
        return Cause.TIMEOUT;
      }
    }
    String state = sqlState(e);
    if (state == null) {
      return Cause.OTHER_TRANSIENT;
    }
    if (state.equals("3D000")) {
      return Cause.DATABASE_MISSING;
    }
    if (state.startsWith("28")) {
      return Cause.AUTHENTICATION;
    }
    // The server refused to set up the connection; with TLS required, that is the server
    // without TLS (pgjdbc: "The server does not support SSL").
    if (state.equals("08004") && target.sslRequired()) {
      return Cause.TLS;
    }
    // Connection failures, a server starting or shutting down, too many connections.
    if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")) {
      return Cause.OTHER_TRANSIENT;
    }
    return Cause.OTHER;
  }

  /** The SQLState of the innermost SQL exception that has one (a pool wraps the driver's). */
  private static String sqlState(Throwable e) {
    String state = null;
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        state = s.getSQLState();
      }
    }
    return state;
  }

  private static TransportUnavailableException failure(Cause cause, SQLException e,
      Target target, PostgresSettings settings) {
    boolean urlMode = settings.url != null && target.host() != null;
    String state = sqlState(e);
    String code = state == null ? "" : " (SQLState " + state + ")";
    String message = switch (cause) {
      case AUTHENTICATION -> "PostgreSQL authentication failed"
          + (target.user() == null ? "" : " for user '" + target.user() + "'") + " at "
          + target.where() + code + (state != null && state.equals("28P01") && urlMode
              ? ": check " + PostgresSettings.USER + " and " + PostgresSettings.PASSWORD
              : ": " + innermostMessage(e));
      case DATABASE_MISSING -> "PostgreSQL database "
          + (target.database() == null ? "" : "'" + target.database() + "' ")
          + "does not exist at " + target.address() + code
          + (urlMode ? ": check " + PostgresSettings.URL : ": " + innermostMessage(e));
      case UNKNOWN_HOST -> "PostgreSQL host '" + unknownHost(e, target) + "' unknown: the name "
          + "does not resolve" + (urlMode ? " (" + PostgresSettings.URL + ")" : "");
      case TLS -> "PostgreSQL TLS/SSL failure at " + target.address() + ": "
          + innermostMessage(e);
      case REFUSED -> "PostgreSQL connection refused at " + target.address() + " (tried for "
          + seconds(settings.connectTimeout) + ", " + PostgresSettings.CONNECT_TIMEOUT
          + "): is the server running and listening there?"
          + (target.host() == null ? " " + innermostMessage(e) : "");
      case TIMEOUT -> "PostgreSQL connection to " + target.address() + " timed out after "
          + seconds(settings.connectTimeout) + " (" + PostgresSettings.CONNECT_TIMEOUT + ")";
      case OTHER_TRANSIENT -> "Cannot connect to PostgreSQL at " + target.where()
          + " (tried for " + seconds(settings.connectTimeout) + ", "
          + PostgresSettings.CONNECT_TIMEOUT + "): " + SqlErrors.describe(e);
      case OTHER -> "Cannot connect to PostgreSQL at " + target.where() + ": "
          + SqlErrors.describe(e);
    };
    return new TransportUnavailableException(message, cause.transientFailure, e);
  }

  private static String unknownHost(SQLException e, Target target) {
    if (target.host() != null) {
      return target.host();
    }
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return t.getMessage();
      }
    }
    return "?";
  }

  /** The message of the deepest exception that has one: the server's or the socket's. */
  private static String innermostMessage(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
    }
    return message == null ? e.getClass().getSimpleName() : message;
  }

  private static String seconds(Duration d) {
    long tenths = Math.round(d.toMillis() / 100.0);
    return tenths % 10 == 0 ? tenths / 10 + "s" : tenths / 10 + "." + tenths % 10 + "s";
  }

  /** Host, port, database and user of a JDBC URL, as the driver reads them. */
  static Target fromUrl(String url, String user) {
    if (url == null) {
      return Target.UNKNOWN;
    }
    Properties p = Driver.parseURL(url, null);
    if (p == null) {
      return Target.UNKNOWN;
    }
    String sslMode = p.getProperty("sslmode", "");
    boolean ssl = sslMode.equals("require") || sslMode.startsWith("verify")
        || (sslMode.isEmpty() && "true".equals(p.getProperty("ssl")));
    return new Target(p.getProperty("PGHOST"), p.getProperty("PGPORT"),
        p.getProperty("PGDBNAME"), user != null ? user : p.getProperty("user",
            System.getProperty("user.name")), ssl);
  }

  /** What the application's DataSource says about its target, for the two common kinds. */
  static Target fromDataSource(DataSource dataSource) {
    if (dataSource instanceof HikariDataSource h) {
      if (h.getJdbcUrl() != null) {
        return fromUrl(h.getJdbcUrl(), h.getUsername());
      }
      if (h.getDataSource() != null && h.getDataSource() != dataSource) {
        return fromDataSource(h.getDataSource());
      }
      return Target.UNKNOWN;
    }
    if (dataSource instanceof BaseDataSource b) {
      return fromUrl(b.getUrl(), b.getUser());
    }
    return Target.UNKNOWN;
  }
}
