package io.relaybus.examples;

import io.relaybus.test.RelaybusServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The PostgreSQL server an example uses: the one named by {@code RELAYBUS_POSTGRES_URL} (with
 * {@code RELAYBUS_POSTGRES_USER} and {@code RELAYBUS_POSTGRES_PASSWORD}), or else a new database
 * of its own on the embedded PostgreSQL 17 of relaybus-test ({@link RelaybusServers#postgres()}),
 * which runs from this platform's binaries and stops when the program exits.
 */
public final class PostgresServer implements AutoCloseable {
  /** The environment variable naming an existing server. */
  public static final String URL_ENV = "RELAYBUS_POSTGRES_URL";
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final String url;
  private final String user;
  private final String password;
  private final boolean embedded;

  private PostgresServer(String url, String user, String password, boolean embedded) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.embedded = embedded;
  }

  /**
   * Connects to the configured server or to a fresh database on the embedded one, and says
   * which.
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
          System.getenv().getOrDefault("RELAYBUS_POSTGRES_PASSWORD", ""), false);
    }
    // A database per example: each starts without the tables and events of the one before.
    io.relaybus.test.PostgresServer database = RelaybusServers.postgres()
        .createDatabase("example_" + ProcessHandle.current().pid() + "_"
            + DATABASES.incrementAndGet());
    console.step("no %s set: using an embedded PostgreSQL 17 at %s", URL_ENV,
        database.jdbcUrl());
    return new PostgresServer(database.jdbcUrl(), database.user(), database.password(), true);
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
   * Whether this server is the embedded one.
   *
   * @return true for a database on the embedded server
   */
  public boolean isEmbedded() {
    return embedded;
  }

  /** Nothing to release: the embedded server stops when the program exits. */
  @Override
  public void close() {}
}
