package io.relaybus.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/** Connection details of a PostgreSQL server, and how to stop it if this JVM started it. */
final class PostgresEndpoint implements PostgresServer, AutoCloseable {
  private static final String URL_PREFIX = "jdbc:postgresql://";
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final String origin;
  private final Runnable stop;

  PostgresEndpoint(String jdbcUrl, String user, String password, String origin, Runnable stop) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.origin = origin;
    this.stop = stop;
  }

  /** A server started elsewhere, after checking that it answers. */
  static PostgresEndpoint external(String jdbcUrl, String user, String password) {
    if (!jdbcUrl.startsWith(URL_PREFIX)) {
      throw new TestServerException(RelaybusServers.POSTGRES_URL_ENV + "=" + jdbcUrl
          + " is not a jdbc:postgresql://host:port/database URL");
    }
    PostgresEndpoint server = new PostgresEndpoint(jdbcUrl, user, password,
        "external (" + RelaybusServers.POSTGRES_URL_ENV + ")", () -> { });
    server.awaitConnection(0);
    return server;
  }

  @Override
  public String jdbcUrl() {
    return jdbcUrl;
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public String password() {
    return password;
  }

  @Override
  public Map<String, String> relaybusProperties() {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("relaybus.transport", "postgres");
    properties.put("relaybus.postgres.url", jdbcUrl);
    properties.put("relaybus.postgres.user", user);
    properties.put("relaybus.postgres.password", password);
    return properties;
  }

  @Override
  public PostgresServer createDatabase(String name) {
    Objects.requireNonNull(name, "name");
    if (!DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("database name must be a lower-case letter or '_', then"
          + " up to 62 lower-case letters, digits or '_': " + name);
    }
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new TestServerException("cannot create database " + name + " on " + jdbcUrl + ": "
          + e.getMessage(), e);
    }
    return new PostgresEndpoint(withDatabase(name), user, password, origin, () -> { });
  }

  /**
   * Connects until the server answers, for up to {@code waitMillis} (a server just started may
   * still be opening its port), then once more, failing with the driver's reason.
   */
  void awaitConnection(long waitMillis) {
    long deadline = System.nanoTime() + waitMillis * 1_000_000;
    while (true) {
      try {
        connect().close();
        return;
      } catch (SQLException e) {
        if (System.nanoTime() >= deadline) {
          throw new TestServerException("cannot connect to PostgreSQL at " + jdbcUrl + " as "
              + user + " (" + origin + "): " + e.getMessage(), e);
        }
      }
      Pause.briefly();
    }
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", "10");
    properties.setProperty("ApplicationName", "relaybus-test");
    return DriverManager.getConnection(jdbcUrl, properties);
  }

  private String withDatabase(String database) {
    int hostStart = URL_PREFIX.length();
    int query = jdbcUrl.indexOf('?', hostStart);
    int pathStart = jdbcUrl.indexOf('/', hostStart);
    int hostsEnd = pathStart >= 0 && (query < 0 || pathStart < query) ? pathStart
        : query >= 0 ? query : jdbcUrl.length();
    return jdbcUrl.substring(0, hostsEnd) + "/" + database
        + (query >= 0 ? jdbcUrl.substring(query) : "");
  }

  @Override
  public void close() {
    stop.run();
  }

  @Override
  public String toString() {
    return "PostgreSQL " + jdbcUrl + " (" + origin + ")";
  }
}
