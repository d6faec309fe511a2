package io.relaybus.postgres.testing;

import io.relaybus.tck.TestInfrastructureException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server for tests: embedded (zonky's binaries, no Docker, no install) or,
 * when {@value #URL_ENV} is set, an external server.
 *
 * <p>Most tests use {@link #shared()}, started once per JVM and stopped by a shutdown hook, and
 * isolate themselves with {@link #createDatabase(String)}. A test that stops the server uses its
 * own {@link #startEmbedded(String)} so the others keep theirs.
 *
 * <p>An embedded server listens on 127.0.0.1 only, on a port it keeps across
 * {@link #stop()}/{@link #start()}, with its data directory under {@code target/}; its
 * superuser is {@value EmbeddedCluster#SUPERUSER} and password authentication is enforced.
 * Every helper opens and closes its own admin connection.
 */
public final class PostgresServer implements AutoCloseable {

  /** JDBC URL of an external server ({@code jdbc:postgresql://host:port/database}). */
  public static final String URL_ENV = "RELAYBUS_TEST_POSTGRES_URL";
  /** User for {@value #URL_ENV}; default {@code postgres}. */
  public static final String USER_ENV = "RELAYBUS_TEST_POSTGRES_USER";
  /** Password for {@value #URL_ENV}; default empty. */
  public static final String PASSWORD_ENV = "RELAYBUS_TEST_POSTGRES_PASSWORD";

  private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
  private static final String URL_PREFIX = "jdbc:postgresql://";
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final String ADMIN_APPLICATION_NAME = "relaybus-test-admin";
  private static final int TERMINATE_WAIT_MILLIS = 5_000;
  private static final Set<PostgresServer> EMBEDDED = ConcurrentHashMap.newKeySet();
  private static final Object SHARED_LOCK = new Object();
  private static PostgresServer shared; // guarded by SHARED_LOCK

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(PostgresServer::destroyAllEmbedded,
        "relaybus-test-postgres-shutdown"));
  }

  private final EmbeddedCluster cluster; // null for an external server
  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final boolean isShared;

  private PostgresServer(EmbeddedCluster cluster, String jdbcUrl, String user, String password,
      boolean isShared) {
    this.cluster = cluster;
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.isShared = isShared;
  }

  /**
   * The server for this JVM's tests, started on first use and stopped when the JVM exits: the
   * external server named by {@value #URL_ENV} if that is set, else an embedded PostgreSQL 17.
   *
   * @return the running shared server
   * @throws TestInfrastructureException if it cannot be started or reached
   */
  public static PostgresServer shared() {
    synchronized (SHARED_LOCK) {
      if (shared == null) {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
          shared = external(url.trim(), envOrDefault(USER_ENV, "postgres"),
              envOrDefault(PASSWORD_ENV, ""), true);
          LOG.info("tests use the external PostgreSQL at {} ({})", shared.jdbcUrl, URL_ENV);
        } else {
          shared = embedded("shared", true);
        }
      }
      return shared;
    }
  }

  /**
   * Starts a new embedded PostgreSQL 17 with its own data directory and port, for a test that
   * stops, restarts or breaks the server. The caller closes it; the JVM's exit stops it too.
   *
   * @param name a short name for the data directory and logs, such as the test class
   * @return the running server
   * @throws TestInfrastructureException if it cannot be started
   */
  public static PostgresServer startEmbedded(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new IllegalArgumentException("name must be 1-64 letters, digits, '_', '.' or '-': " + name);
    }
    return embedded(name, false);
  }

  /**
   * A handle on a server started elsewhere; it cannot be restarted and closing it does nothing.
   *
   * @param jdbcUrl {@code jdbc:postgresql://host:port/database}
   * @param user the user to connect as
   * @param password the user's password (empty for none)
   * @return the handle, after checking a connection works
   * @throws TestInfrastructureException if the server cannot be reached
   */
  public static PostgresServer external(String jdbcUrl, String user, String password) {
    return external(jdbcUrl, user, password, false);
  }

  private static PostgresServer external(String jdbcUrl, String user, String password,
      boolean isShared) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    if (!jdbcUrl.startsWith(URL_PREFIX)) {
      throw new IllegalArgumentException("not a jdbc:postgresql://host:port/database URL (set "
          + URL_ENV + " to one): " + jdbcUrl);
    }
    PostgresServer server = new PostgresServer(null, jdbcUrl, user, password, isShared);
    server.queryLong("SELECT 1");
    return server;
  }

  private static PostgresServer embedded(String name, boolean isShared) {
    EmbeddedCluster cluster = EmbeddedCluster.create(name);
    PostgresServer server = new PostgresServer(cluster,
        URL_PREFIX + "127.0.0.1:" + cluster.port() + "/postgres", EmbeddedCluster.SUPERUSER,
        EmbeddedCluster.SUPERUSER_PASSWORD, isShared);
    EMBEDDED.add(server);
    try {
      cluster.start();
    } catch (RuntimeException e) {
      EMBEDDED.remove(server);
      cluster.destroy();
      throw e;
    }
    return server;
  }

  private static String envOrDefault(String name, String defaultValue) {
    String value = System.getenv(name);
    return value == null ? defaultValue : value;
  }

  // --- connection details ---

  /**
   * The URL of the admin database ({@code postgres} on an embedded server).
   *
   * @return a {@code jdbc:postgresql://} URL without credentials
   */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /**
   * The URL of another database on this server.
   *
   * @param database the database name
   * @return {@link #jdbcUrl()} with its database replaced
   */
  public String jdbcUrl(String database) {
    Objects.requireNonNull(database, "database");
    int hostStart = URL_PREFIX.length();
    int pathStart = jdbcUrl.indexOf('/', hostStart);
    int query = jdbcUrl.indexOf('?', hostStart);
    String hosts = jdbcUrl.substring(0, pathStart >= 0 ? pathStart
        : query >= 0 ? query : jdbcUrl.length());
    String params = query >= 0 ? jdbcUrl.substring(query) : "";
    return hosts + "/" + database + params;
  }

  /**
   * The user to connect as (a superuser on an embedded server).
   *
   * @return the user name
   */
  public String user() {
    return user;
  }

  /**
   * The user's password; an embedded server rejects connections without it.
   *
   * @return the password
   */
  public String password() {
    return password;
  }

  /**
   * The embedded server's port, the same across restarts.
   *
   * @return the TCP port on 127.0.0.1
   * @throws UnsupportedOperationException for an external server
   */
  public int port() {
    return requireEmbedded("has no port of its own").port();
  }

  /**
   * The embedded server's data directory, the same across restarts and deleted by
   * {@link #close()}.
   *
   * @return the directory under {@code target/embedded-postgres/}
   * @throws UnsupportedOperationException for an external server
   */
  public Path dataDirectory() {
    return requireEmbedded("has no data directory here").dataDirectory();
  }

  /**
   * Whether this server runs in this JVM's control (and so can be stopped and restarted).
   *
   * @return true for an embedded server
   */
  public boolean isEmbedded() {
    return cluster != null;
  }

  /**
   * Whether {@link #stop()} and {@link #start()} work: only on an embedded server.
   *
   * @return true if the server can be stopped and started again
   */
  public boolean canRestart() {
    return cluster != null;
  }

  /**
   * Whether the embedded server is running; an external server is assumed to be.
   *
   * @return false between {@link #stop()} and {@link #start()}
   */
  public boolean isRunning() {
    return cluster == null || cluster.isRunning();
  }

  /**
   * Environment variables that make {@link #shared()} in another JVM (see {@link io.relaybus.tck.ChildJvm}) use
   * this server, with {@code jdbcUrl} as its admin URL.
   *
   * @param jdbcUrl the URL the other JVM should use, such as one from {@link #createDatabase}
   * @return {@value #URL_ENV}, {@value #USER_ENV} and {@value #PASSWORD_ENV}
   */
  public Map<String, String> environment(String jdbcUrl) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Map<String, String> env = new LinkedHashMap<>();
    env.put(URL_ENV, jdbcUrl);
    env.put(USER_ENV, user);
    env.put(PASSWORD_ENV, password);
    return env;
  }

  // --- lifecycle ---

  /**
   * Stops the embedded server (fast shutdown: open sessions are terminated), keeping its data
   * directory and port for {@link #start()}. Connections then fail until it is started again.
   *
   * @throws UnsupportedOperationException for an external server
   * @throws TestInfrastructureException if the server does not stop
   */
  public void stop() {
    requireEmbedded("cannot be stopped").stop();
  }

  /**
   * Starts the stopped embedded server again on the same data directory and port; no-op when
   * it is running.
   *
   * @throws UnsupportedOperationException for an external server
   * @throws TestInfrastructureException if it does not start
   */
  public void start() {
    requireEmbedded("cannot be started").start();
  }

  /**
   * {@link #stop()} then {@link #start()}.
   *
   * @throws UnsupportedOperationException for an external server
   */
  public void restart() {
    stop();
    start();
  }

  /**
   * Stops a server from {@link #startEmbedded(String)} and deletes its data; idempotent and a
   * no-op for an external server.
   *
   * @throws IllegalStateException on {@link #shared()}, which the JVM's exit stops
   */
  @Override
  public void close() {
    if (isShared) {
      throw new IllegalStateException("the shared PostgreSQL server is stopped when the JVM exits;"
          + " do not close it");
    }
    if (cluster != null) {
      EMBEDDED.remove(this);
      cluster.destroy();
    }
  }

  private EmbeddedCluster requireEmbedded(String what) {
    if (cluster == null) {
      throw new UnsupportedOperationException("the external PostgreSQL at " + jdbcUrl + " " + what);
    }
    return cluster;
  }

  private static void destroyAllEmbedded() {
    for (PostgresServer server : EMBEDDED) {
      try {
        server.cluster.destroy();
      } catch (RuntimeException e) {
        LOG.warn("could not stop {}", server.cluster, e);
      }
    }
  }

  // --- databases and connections ---

  /**
   * Creates an empty database, dropping one of that name first (with its sessions), so a test
   * class starts from nothing even on a reused external server.
   *
   * @param name lower-case letters, digits and '_', starting with a letter or '_'
   * @return the JDBC URL of the new database
   * @throws IllegalArgumentException if the name is not a plain identifier
   */
  public String createDatabase(String name) {
    requireDatabaseName(name);
    execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    execute("CREATE DATABASE " + name);
    return jdbcUrl(name);
  }

  /**
   * Drops a database and terminates its sessions; no-op if it does not exist.
   *
   * @param name the database name
   */
  public void dropDatabase(String name) {
    requireDatabaseName(name);
    execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private static void requireDatabaseName(String name) {
    Objects.requireNonNull(name, "name");
    if (!DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("database name must match " + DATABASE_NAME + ": " + name);
    }
  }

  /**
   * Opens a connection to the admin database as {@link #user()}.
   *
   * @return a new connection, which the caller closes
   */
  public Connection connect() {
    return connect(jdbcUrl, ADMIN_APPLICATION_NAME);
  }

  /**
   * Opens a connection as {@link #user()}.
   *
   * @param jdbcUrl a URL of this server, such as one from {@link #createDatabase(String)}
   * @param applicationName the session's {@code application_name}, which
   *     {@link #terminateBackends(String)} matches
   * @return a new connection, which the caller closes
   * @throws TestInfrastructureException if the server refuses or cannot be reached
   */
  public Connection connect(String jdbcUrl, String applicationName) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(applicationName, "applicationName");
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("ApplicationName", applicationName);
    props.setProperty("connectTimeout", "10");
    try {
      return DriverManager.getConnection(jdbcUrl, props);
    } catch (SQLException e) {
      throw new TestInfrastructureException("cannot connect to " + jdbcUrl + " as " + user, e);
    }
  }

  /**
   * Runs one statement in the admin database, on a connection of its own (autocommit).
   *
   * @param sql the statement
   */
  public void execute(String sql) {
    executeIn(jdbcUrl, sql);
  }

  /**
   * Runs one statement in the given database, on a connection of its own (autocommit).
   *
   * @param jdbcUrl a URL of this server
   * @param sql the statement
   */
  public void executeIn(String jdbcUrl, String sql) {
    Objects.requireNonNull(sql, "sql");
    try (Connection c = connect(jdbcUrl, ADMIN_APPLICATION_NAME);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new TestInfrastructureException("failed on " + jdbcUrl + ": " + sql, e);
    }
  }

  /**
   * Runs a query in the admin database and returns the first column of its single row.
   *
   * @param sql a query returning one row whose first column is a non-null integer
   * @return that value
   */
  public long queryLong(String sql) {
    return queryLongIn(jdbcUrl, sql);
  }

  /**
   * Runs a query in the given database and returns the first column of its single row.
   *
   * @param jdbcUrl a URL of this server
   * @param sql a query returning one row whose first column is a non-null integer
   * @return that value
   */
  public long queryLongIn(String jdbcUrl, String sql) {
    Objects.requireNonNull(sql, "sql");
    try (Connection c = connect(jdbcUrl, ADMIN_APPLICATION_NAME);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new TestInfrastructureException("no row from " + jdbcUrl + ": " + sql);
      }
      long value = rs.getLong(1);
      if (rs.wasNull()) {
        throw new TestInfrastructureException("NULL from " + jdbcUrl + ": " + sql);
      }
      return value;
    } catch (SQLException e) {
      throw new TestInfrastructureException("failed on " + jdbcUrl + ": " + sql, e);
    }
  }

  /**
   * The server's {@code SELECT version()}, such as {@code PostgreSQL 17.6 on x86_64-pc-linux-gnu}.
   *
   * @return the version string
   */
  public String version() {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version()")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new TestInfrastructureException("cannot read the version of " + jdbcUrl, e);
    }
  }

  // --- faults ---

  /**
   * Kills, with {@code pg_terminate_backend}, the client sessions whose {@code application_name}
   * matches a {@code LIKE} pattern, and waits (up to 5 s each) until they are gone. Their
   * clients see the connection fail on next use.
   *
   * @param applicationNameLikePattern such as {@code relaybus-listener%}
   * @return how many sessions were terminated
   */
  public int terminateBackends(String applicationNameLikePattern) {
    Objects.requireNonNull(applicationNameLikePattern, "applicationNameLikePattern");
    return terminate("application_name LIKE ?", applicationNameLikePattern);
  }

  /**
   * Kills every other client session this user may signal (on an external server where the user
   * is no superuser: only the user's own), as a network failure or server-side kill would.
   *
   * @return how many sessions were terminated
   */
  public int terminateAllOtherBackends() {
    return terminate("TRUE", null);
  }

  private int terminate(String condition, String parameter) {
    // MATERIALIZED: the planner must not evaluate pg_terminate_backend before the filter.
    String sql = "WITH victims AS MATERIALIZED ("
        + "  SELECT pid FROM pg_stat_activity"
        + "  WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        + "    AND (usename = current_user"
        + "         OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))"
        + "    AND " + condition + ")"
        + " SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, " + TERMINATE_WAIT_MILLIS + "))"
        + " FROM victims";
    try (Connection c = connect();
        PreparedStatement s = c.prepareStatement(sql)) {
      if (parameter != null) {
        s.setString(1, parameter);
      }
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
      throw new TestInfrastructureException("cannot terminate backends on " + jdbcUrl, e);
    }
  }

  @Override
  public String toString() {
    return cluster != null ? "PostgresServer[embedded " + cluster + "]"
        : "PostgresServer[external " + jdbcUrl + "]";
  }
}
