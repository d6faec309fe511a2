package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.EventBus;
import io.relaybus.TransportUnavailableException;
import io.relaybus.postgres.testing.PostgresServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A bus that cannot reach its database fails the start with what failed in the first line of
 * its message: wrong credentials, a missing database, an unknown host and TLS at once; a refused
 * connection and a server that does not answer after {@code connect-timeout}, tried until then.
 */
class PostgresConnectFailureTest {
  private static final String ROLE = "relaybus_connect_app";
  private static final String ROLE_PASSWORD = "C0nnect-Pa55word";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** A permanent cause fails well before the connect timeout. */
  private static final Duration AT_ONCE = Duration.ofMillis(1_500);

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_connect");
  private final TestBuses buses = DB.buses();

  @BeforeAll
  static void createRole() {
    PostgresServer server = DB.server();
    server.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE
        + "') THEN CREATE ROLE " + ROLE + " LOGIN; END IF; END $$");
    server.execute("ALTER ROLE " + ROLE + " PASSWORD '" + ROLE_PASSWORD + "'");
  }

  /** host:port of the test database's URL. */
  private static String address() {
    Matcher m = Pattern.compile("jdbc:postgresql://([^/?]+)").matcher(DB.url());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private Map<String, String> config() {
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.connect-timeout", CONNECT_TIMEOUT.toSeconds() + "s");
    return config;
  }

  /** The start's failure and how long it took. */
  private record Failure(TransportUnavailableException exception, Duration took) {
    String firstLine() {
      return exception.getMessage().lines().findFirst().orElse("");
    }
  }

  private Failure start(Map<String, String> config) {
    return timed(() -> buses.create(config));
  }

  private Failure timed(Runnable start) {
    long t0 = System.nanoTime();
    Throwable thrown = catchThrowable(start::run);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(thrown).isInstanceOf(TransportUnavailableException.class);
    return new Failure((TransportUnavailableException) thrown, took);
  }

  private static int closedLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  @DisplayName("a wrong password: authentication failed for the user, at once")
  void wrongPassword() {
    Map<String, String> config = config();
    config.put("relaybus.postgres.user", ROLE);
    config.put("relaybus.postgres.password", "not-" + ROLE_PASSWORD);
    Failure f = start(config);
    assertThat(f.firstLine()).isEqualTo("PostgreSQL authentication failed for user '" + ROLE
        + "' at " + address() + "/relaybus_connect (SQLState 28P01): check "
        + "relaybus.postgres.user and relaybus.postgres.password");
    assertThat(f.took()).isLessThan(AT_ONCE);
    assertThat(f.exception().isTransient()).isFalse();
    assertThat(f.exception().getCause()).isInstanceOf(SQLException.class);
  }

  @Test
  @DisplayName("a database that does not exist: named, at once")
  void missingDatabase() {
    Map<String, String> config = config();
    config.put("relaybus.postgres.url", DB.server().jdbcUrl("relaybus_no_such_db"));
    Failure f = start(config);
    assertThat(f.firstLine()).isEqualTo("PostgreSQL database 'relaybus_no_such_db' does not "
        + "exist at " + address() + " (SQLState 3D000): check relaybus.postgres.url");
    assertThat(f.took()).isLessThan(AT_ONCE);
  }

  @Test
  @DisplayName("an unknown host: named, at once")
  void unknownHost() {
    Map<String, String> config = config();
    config.put("relaybus.postgres.url", "jdbc:postgresql://nonexistent.invalid:5432/app");
    Failure f = start(config);
    assertThat(f.firstLine()).isEqualTo("PostgreSQL host 'nonexistent.invalid' unknown: the "
        + "name does not resolve (relaybus.postgres.url)");
    assertThat(f.took()).isLessThan(AT_ONCE);
  }

  @Test
  @DisplayName("TLS required by a server without TLS: a TLS failure, at once")
  void tlsRequired() {
    assumeTrue(DB.server().isEmbedded(), "the embedded server has no TLS; an external one may");
    Map<String, String> config = config();
    config.put("relaybus.postgres.url", DB.url() + "?sslmode=require");
    Failure f = start(config);
    assertThat(f.firstLine()).isEqualTo("PostgreSQL TLS/SSL failure at " + address()
        + ": The server does not support SSL.");
    assertThat(f.took()).isLessThan(AT_ONCE);
  }

  @Test
  @DisplayName("a refused port: tried until connect-timeout, then connection refused at host:port")
  void refusedPort() throws IOException {
    int port = closedLoopbackPort();
    Map<String, String> config = config();
    config.put("relaybus.postgres.url", "jdbc:postgresql://127.0.0.1:" + port + "/app");
    Failure f = start(config);
    assertThat(f.firstLine()).isEqualTo("PostgreSQL connection refused at 127.0.0.1:" + port
        + " (tried for 2s, relaybus.postgres.connect-timeout): is the server running and "
        + "listening there?");
    assertThat(f.took()).isBetween(CONNECT_TIMEOUT, CONNECT_TIMEOUT.plusMillis(1_500));
    assertThat(f.exception().isTransient()).isTrue();
  }

  @Test
  @DisplayName("a server that accepts and never answers: timed out after connect-timeout")
  void silentServer() throws IOException {
    // The kernel completes the handshake into the backlog; nothing ever answers the login.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Map<String, String> config = config();
      config.put("relaybus.postgres.url", "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort()
          + "/app");
      Failure f = start(config);
      assertThat(f.firstLine()).isEqualTo("PostgreSQL connection to 127.0.0.1:"
          + silent.getLocalPort() + " timed out after 2s (relaybus.postgres.connect-timeout)");
      assertThat(f.took()).isBetween(CONNECT_TIMEOUT, CONNECT_TIMEOUT.plusMillis(1_500));
    }
  }

  @Test
  @DisplayName("DataSource mode: a wrong password in the application's DataSource, at once")
  void dataSourceWrongPassword() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(DB.url());
    ds.setUser(ROLE);
    ds.setPassword("not-" + ROLE_PASSWORD);
    Failure f = timed(() -> buses.track(EventBus.builder()
        .provider(PostgresTransportProvider.withDataSource(ds))
        .property("relaybus.postgres.connect-timeout", "2s").build()));
    assertThat(f.firstLine()).isEqualTo("PostgreSQL authentication failed for user '" + ROLE
        + "' at " + address() + "/relaybus_connect (SQLState 28P01): FATAL: password "
        + "authentication failed for user \"" + ROLE + "\"");
    assertThat(f.took()).isLessThan(AT_ONCE);
  }

  @Test
  @DisplayName("DataSource mode: an application pool on a refused port, tried until "
      + "connect-timeout")
  void dataSourcePoolRefused() throws IOException {
    int port = closedLoopbackPort();
    try (HikariDataSource pool = new HikariDataSource()) {
      pool.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + port + "/app");
      pool.setConnectionTimeout(250);
      Failure f = timed(() -> buses.track(EventBus.builder()
          .provider(PostgresTransportProvider.withDataSource(pool))
          .property("relaybus.postgres.connect-timeout", "2s").build()));
      assertThat(f.firstLine()).isEqualTo("PostgreSQL connection refused at 127.0.0.1:" + port
          + " (tried for 2s, relaybus.postgres.connect-timeout): is the server running and "
          + "listening there?");
      assertThat(f.took()).isBetween(CONNECT_TIMEOUT, CONNECT_TIMEOUT.plusMillis(1_500));
    }
  }
}
