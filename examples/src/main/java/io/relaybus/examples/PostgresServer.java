package io.relaybus.examples;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The PostgreSQL server an example uses: the one named by {@code RELAYBUS_POSTGRES_URL} (with
 * {@code RELAYBUS_POSTGRES_USER} and {@code RELAYBUS_POSTGRES_PASSWORD}), or else an embedded
 * PostgreSQL 17 started here from the binaries on the classpath and removed on close.
 */
public final class PostgresServer implements AutoCloseable {
  /** The environment variable naming an existing server. */
  public static final String URL_ENV = "RELAYBUS_POSTGRES_URL";

  private final String url;
  private final String user;
  private final String password;
  private final EmbeddedPostgres embedded;
  private final Path directory;

  private PostgresServer(String url, String user, String password, EmbeddedPostgres embedded,
      Path directory) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.embedded = embedded;
    this.directory = directory;
  }

  /**
   * Connects to the configured server or starts an embedded one, and says which.
   *
   * @param console where to say it
   * @return the server; close it when done
   */
  public static PostgresServer startOrConnect(Console console) {
    String envUrl = System.getenv(URL_ENV);
    if (envUrl != null && !envUrl.isBlank()) {
      console.step("using the PostgreSQL server of %s: %s", URL_ENV, envUrl);
      return new PostgresServer(envUrl,
          System.getenv().getOrDefault("RELAYBUS_POSTGRES_USER", "postgres"),
          System.getenv().getOrDefault("RELAYBUS_POSTGRES_PASSWORD", ""), null, null);
    }
    try {
      Path dir = Files.createTempDirectory("relaybus-example-pg");
      Path log = dir.resolve("postgres.log");
      EmbeddedPostgres pg = EmbeddedPostgres.builder()
          .setDataDirectory(dir.resolve("data").toFile())
          .setCleanDataDirectory(true)
          .setPGStartupWait(Duration.ofSeconds(60))
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("unix_socket_directories", "''")
          .setServerConfig("max_connections", "200")
          .setOutputRedirector(Redirect.appendTo(log.toFile()))
          .setErrorRedirector(Redirect.appendTo(log.toFile()))
          .start();
      String url = pg.getJdbcUrl("postgres", "postgres");
      console.step("no %s set: started an embedded PostgreSQL 17 at %s (log %s)", URL_ENV, url,
          log);
      return new PostgresServer(url, "postgres", "", pg, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("The embedded PostgreSQL did not start: " + e.getMessage()
          + " (set " + URL_ENV + " to use an existing server)", e);
    }
  }

  /**
   * The bus configuration for this server.
   *
   * @return {@code relaybus.transport=postgres} and the connection keys
   */
  public Map<String, String> busConfig() {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "postgres");
    config.put("relaybus.postgres.url", url);
    config.put("relaybus.postgres.user", user);
    if (!password.isEmpty()) {
      config.put("relaybus.postgres.password", password);
    }
    return config;
  }

  /**
   * Opens a JDBC connection for the example's own tables.
   *
   * @return a connection with auto-commit on
   * @throws SQLException when the server refuses
   */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user, password);
  }

  /**
   * Whether this server was started here.
   *
   * @return true for the embedded server
   */
  public boolean isEmbedded() {
    return embedded != null;
  }

  @Override
  public void close() {
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        // The data directory is temporary; nothing else to release.
      }
      try (var files = Files.walk(directory)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort
      }
    }
  }
}
