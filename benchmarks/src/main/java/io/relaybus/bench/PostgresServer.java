package io.relaybus.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * The PostgreSQL server the postgres benchmarks run against, one per JVM: an existing server
 * when {@code RELAYBUS_BENCH_POSTGRES_URL} (and {@code _USER}, {@code _PASSWORD}) are set,
 * otherwise an embedded PostgreSQL 17 (zonky binaries) started on first use and stopped when
 * the JVM exits. As root, zonky runs the server inside {@code unshare -U}.
 *
 * <p>The embedded server keeps {@code synchronous_commit=on} (zonky's default is off) so that
 * commits cost what they cost in production on this disk, with {@code fsync=off} as in the
 * transport's tests; both sides of every comparison use the same server.
 */
final class PostgresServer {
  static final String URL_ENV = "RELAYBUS_BENCH_POSTGRES_URL";
  static final String USER_ENV = "RELAYBUS_BENCH_POSTGRES_USER";
  static final String PASSWORD_ENV = "RELAYBUS_BENCH_POSTGRES_PASSWORD";

  /**
   * {@code on} starts the embedded server with {@code fsync=on} (commits reach the disk, as in
   * production); default {@code off}. Ignored for an external server.
   */
  static final String FSYNC_KEY = "relaybus.bench.postgres.fsync";

  private static PostgresServer instance;
  private static String fsync = "off";
  private static boolean statementStatistics;

  private final String url;
  private final String user;
  private final String password;
  private final String description;
  private final EmbeddedPostgres embedded;
  private final Path pidFile;

  private PostgresServer(String url, String user, String password, String description,
      EmbeddedPostgres embedded, Path pidFile) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.description = description;
    this.embedded = embedded;
    this.pidFile = pidFile;
  }

  /**
   * Chooses fsync for the embedded server, before it starts.
   *
   * @param value {@code on} or {@code off}
   */
  static synchronized void fsync(String value) {
    String v = value.trim();
    if (!v.equals("on") && !v.equals("off")) {
      throw new IllegalArgumentException(FSYNC_KEY + " must be on or off, got '" + value + "'");
    }
    if (instance != null && !v.equals(fsync)) {
      throw new IllegalStateException("The benchmark PostgreSQL already runs with fsync="
          + fsync);
    }
    fsync = v;
  }

  /**
   * Loads {@code pg_stat_statements} into the embedded server when it starts ({@link
   * BenchProfile}, which says so when the server runs without it: external, or started
   * before).
   */
  static synchronized void statementStatistics() {
    statementStatistics = true;
  }

  /** The server of this JVM, started on first call. */
  static synchronized PostgresServer get() {
    if (instance == null) {
      instance = start();
    }
    return instance;
  }

  private static PostgresServer start() {
    String envUrl = System.getenv(URL_ENV);
    if (envUrl != null && !envUrl.isBlank()) {
      String user = System.getenv().getOrDefault(USER_ENV, "postgres");
      String password = System.getenv().getOrDefault(PASSWORD_ENV, "");
      return new PostgresServer(envUrl, user, password, "external " + envUrl, null, null);
    }
    try {
      Path dir = Files.createTempDirectory("relaybus-bench-pg");
      Path log = dir.resolve("postgres.log");
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
      if (statementStatistics) {
        builder.setServerConfig("shared_preload_libraries", "pg_stat_statements");
      }
      EmbeddedPostgres pg = builder
          .setDataDirectory(dir.resolve("data").toFile())
          .setCleanDataDirectory(true)
          .setPGStartupWait(Duration.ofSeconds(60))
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", "''")
          .setServerConfig("fsync", fsync)
          .setServerConfig("synchronous_commit", "on")
          .setServerConfig("max_connections", "300")
          .setServerConfig("shared_buffers", "256MB")
          .setOutputRedirector(Redirect.appendTo(log.toFile()))
          .setErrorRedirector(Redirect.appendTo(log.toFile()))
          .start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          pg.close();
        } catch (IOException e) {
          // exiting anyway
        }
      }, "bench-postgres-stop"));
      String url = pg.getJdbcUrl("postgres", "postgres");
      PostgresServer server = new PostgresServer(url, "postgres", "", "embedded PostgreSQL "
          + "(zonky binaries) on " + url + ", fsync=" + fsync + ", synchronous_commit=on, log " + log,
          pg, dir.resolve("data").resolve("postmaster.pid"));
      try (Connection c = server.connect();
          var rs = c.createStatement().executeQuery("SELECT version()")) {
        rs.next();
        System.err.println("[postgres] " + rs.getString(1) + " at " + url);
      }
      return server;
    } catch (IOException | SQLException e) {
      throw new BenchmarkException("embedded PostgreSQL did not start: " + e.getMessage(), e);
    }
  }

  String url() {
    return url;
  }

  String user() {
    return user;
  }

  String password() {
    return password;
  }

  String description() {
    return description;
  }

  boolean embedded() {
    return embedded != null;
  }

  /** The embedded server's postmaster process id, or {@code null} (external server). */
  Integer postmasterPid() {
    if (pidFile == null) {
      return null;
    }
    try {
      return Integer.parseInt(Files.readAllLines(pidFile).get(0).trim());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A new connection, auto-commit on. */
  Connection connect() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("reWriteBatchedInserts", "true");
    if (!password.isEmpty()) {
      p.setProperty("password", password);
    }
    return DriverManager.getConnection(url, p);
  }
}
