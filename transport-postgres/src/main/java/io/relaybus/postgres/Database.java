package io.relaybus.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * Where connections come from: the built-in pool (URL mode) or the application's DataSource,
 * plus dedicated connections for LISTEN. Pool connections are named {@code relaybus-pool} and
 * LISTEN connections {@code relaybus-listener} in {@code pg_stat_activity}.
 */
final class Database implements AutoCloseable {
  private final PostgresSettings settings;
  private final DataSource dataSource;
  private final HikariDataSource ownPool;

  Database(PostgresSettings settings, DataSource userDataSource) {
    this.settings = settings;
    if (userDataSource != null) {
      this.dataSource = userDataSource;
      this.ownPool = null;
    } else {
      HikariConfig config = new HikariConfig();
      config.setPoolName("relaybus-postgres");
      config.setJdbcUrl(settings.url);
      if (settings.user != null) {
        config.setUsername(settings.user);
      }
      if (settings.password != null) {
        config.setPassword(settings.password);
      }
      config.setMaximumPoolSize(settings.poolSize);
      config.setMinimumIdle(Math.min(2, settings.poolSize));
      config.setConnectionTimeout(10_000);
      // Fail fast neither here nor at start: a database that is briefly down must not stop the
      // application from starting; operations fail and retry instead.
      config.setInitializationFailTimeout(-1);
      config.setAutoCommit(true);
      config.addDataSourceProperty("ApplicationName", "relaybus-pool");
      config.addDataSourceProperty("reWriteBatchedInserts", "true");
      config.addDataSourceProperty("tcpKeepAlive", "true");
      // Server error details may quote row values (event contents); keep them out of logs.
      config.addDataSourceProperty("logServerErrorDetail", "false");
      // Every statement of the pool is prepared once per connection and run many times, and
      // each is an index lookup whose plan does not depend on its parameters: keep the generic
      // plan. Left to choose, PostgreSQL planned a member's fetch again at every execution
      // (custom plans looked cheaper for a topic its statistics did not know yet), and the
      // planning cost the server more than the fetch itself (docs/postgres.md, "Performance").
      String options = "-c plan_cache_mode=force_generic_plan";
      if (settings.notifyMode != PostgresSettings.NotifyMode.TRANSACTIONAL) {
        // Our own publishes notify through the coalescer: switch the per-row trigger off for
        // the whole session instead of one SET LOCAL round trip per transaction.
        options += " -c relaybus.notify=off";
      }
      config.addDataSourceProperty("options", options);
      // Prepared on the server at the first execution (pgjdbc's default waits for the fifth,
      // planning the statement each time until then): with the generic plan forced, each
      // statement is planned once per connection. The member's fetch, which reads two tables
      // (ADR 0012), takes several milliseconds to plan.
      config.addDataSourceProperty("prepareThreshold", "1");
      this.ownPool = new HikariDataSource(config);
      this.dataSource = ownPool;
    }
  }

  /** Whether pool connections already have {@code relaybus.notify=off} for their session. */
  boolean notifyOffPerSession() {
    return ownPool != null && settings.notifyMode != PostgresSettings.NotifyMode.TRANSACTIONAL;
  }

  Connection connection() throws SQLException {
    return dataSource.getConnection();
  }

  /** A read-only query. */
  interface Read<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs a read-only query, again on another connection while the ones the pool hands out turn
   * out to be dead: after a restart or {@code pg_terminate_backend} the pool may still hold
   * connections the server closed (it checks only those idle for a while), and discards each on
   * its failure, so at most pool-size attempts meet a dead one. Reading again has no effect to
   * repeat.
   */
  <T> T read(Read<T> query) throws SQLException {
    SQLException first = null;
    for (int attempt = 0; ; attempt++) {
      // Not getting a connection at all (the server is down) is not retried here: the pool
      // already waited its connection timeout.
      try (Connection c = connection()) {
        try {
          return query.run(c);
        } catch (SQLException e) {
          if (!SqlErrors.isConnectionFailure(e) || attempt >= settings.poolSize) {
            if (first != null) {
              e.addSuppressed(first);
            }
            throw e;
          }
          if (first == null) {
            first = e;
          }
        }
      }
    }
  }

  /**
   * Whether {@link #dedicatedConnection()} is one of the application's pool (the DataSource
   * mode) rather than a connection of its own.
   */
  boolean listensOnThePool() {
    return ownPool == null;
  }

  /**
   * A connection for LISTEN, outside the pool in the URL mode (the application's pool's in the
   * DataSource mode); the caller closes it.
   */
  Connection dedicatedConnection() throws SQLException {
    if (ownPool == null) {
      return dataSource.getConnection();
    }
    // Finite socket timeout: a dead server cannot block a read forever (pgjdbc's
    // getNotifications would otherwise wait on a half-open socket).
    return directConnection(settings, "relaybus-listener", 10,
        Math.max(30, settings.healthCheckInterval.toSeconds() * 3), 0);
  }

  /**
   * A connection straight from the driver with the URL-mode credentials, outside any pool; the
   * caller closes it.
   *
   * @param connectTimeoutSeconds the TCP connect timeout
   * @param socketTimeoutSeconds the longest wait for the server's answer, login included
   * @param loginTimeoutSeconds the longest the whole attempt may take (pgjdbc may try twice,
   *     with and without TLS), 0 for no limit
   */
  static Connection directConnection(PostgresSettings settings, String applicationName,
      long connectTimeoutSeconds, long socketTimeoutSeconds, long loginTimeoutSeconds)
      throws SQLException {
    Properties props = new Properties();
    if (settings.user != null) {
      props.setProperty("user", settings.user);
    }
    if (settings.password != null) {
      props.setProperty("password", settings.password);
    }
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("logServerErrorDetail", "false");
    props.setProperty("connectTimeout", Long.toString(connectTimeoutSeconds));
    props.setProperty("socketTimeout", Long.toString(socketTimeoutSeconds));
    if (loginTimeoutSeconds > 0) {
      props.setProperty("loginTimeout", Long.toString(loginTimeoutSeconds));
    }
    return DriverManager.getConnection(settings.url, props);
  }

  @Override
  public void close() {
    if (ownPool != null) {
      ownPool.close();
    }
  }
}
