package io.relaybus.postgres.testing;

import io.relaybus.tck.TestInfrastructureException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The shared server: version, credentials, isolated databases, helpers and killed sessions. */
class PostgresServerTest {

  // Not TestDatabase: this tests the server that TestDatabase is built on.
  private final PostgresServer server = PostgresServer.shared();

  @Test
  void sharedServerIsOneRunningPostgres17() {
    assertThat(PostgresServer.shared()).isSameAs(server);
    assertThat(server.isRunning()).isTrue();
    assertThat(server.version()).startsWith("PostgreSQL 17.");
    assertThat(server.queryLong("SELECT current_setting('server_version_num')::int"))
        .isBetween(170000L, 179999L);
  }

  @Test
  void embeddedServerListensOnLoopbackOnly() {
    assumeTrue(server.isEmbedded(), "an external server listens where it was configured to");
    assertThat(server.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + server.port() + "/postgres");
    assertThat(server.queryLong("SELECT count(*) FROM pg_settings WHERE name = 'listen_addresses'"
        + " AND setting = '127.0.0.1'")).isEqualTo(1);
    assertThat(server.dataDirectory()).isDirectory();
    assertThat(server.dataDirectory().toString()).contains("target");
  }

  @Test
  void embeddedServerRejectsAWrongPassword() {
    assumeTrue(server.isEmbedded(), "an external server has its own authentication");
    assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(), server.user(), "wrong"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed");
  }

  @Test
  void createDatabaseIsolatesTablesAndStartsEmpty() {
    String first = server.createDatabase("infra_isolation_first");
    String second = server.createDatabase("infra_isolation_second");
    assertThat(first).endsWith("/infra_isolation_first");

    server.executeIn(first, "CREATE TABLE isolated (id int)");
    server.executeIn(first, "INSERT INTO isolated VALUES (1), (2)");

    assertThat(server.queryLongIn(first, "SELECT count(*) FROM isolated")).isEqualTo(2);
    assertThat(server.queryLongIn(second, "SELECT count(*) FROM pg_tables WHERE tablename = 'isolated'"))
        .isZero();
    assertThat(server.queryLong("SELECT count(*) FROM pg_tables WHERE tablename = 'isolated'"))
        .isZero();

    // Creating it again drops the old one, even with a session open on it.
    try (Connection open = server.connect(first, "infra-isolation-holder")) {
      server.createDatabase("infra_isolation_first");
      assertThat(server.queryLongIn(first, "SELECT count(*) FROM pg_tables WHERE tablename = 'isolated'"))
          .isZero();
      assertThatThrownBy(() -> open.createStatement().execute("SELECT 1"))
          .isInstanceOf(SQLException.class);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    server.dropDatabase("infra_isolation_first");
    server.dropDatabase("infra_isolation_second");
    assertThat(server.queryLong("SELECT count(*) FROM pg_database WHERE datname LIKE 'infra_isolation%'"))
        .isZero();
  }

  @Test
  void createDatabaseRefusesNamesThatAreNotPlainIdentifiers() {
    assertThatThrownBy(() -> server.createDatabase("x; DROP DATABASE postgres"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x; DROP");
    assertThatThrownBy(() -> server.createDatabase("Upper"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> server.createDatabase(null))
        .isInstanceOf(NullPointerException.class).hasMessage("name");
  }

  @Test
  void queryHelpersReportTheStatementThatFailed() {
    server.execute("SELECT 1");
    assertThat(server.queryLong("SELECT 40 + 2")).isEqualTo(42);
    assertThatThrownBy(() -> server.queryLong("SELECT 1 WHERE false"))
        .isInstanceOf(TestInfrastructureException.class).hasMessageContaining("no row");
    assertThatThrownBy(() -> server.queryLong("SELECT NULL::int"))
        .isInstanceOf(TestInfrastructureException.class).hasMessageContaining("NULL");
    assertThatThrownBy(() -> server.execute("SELEC 1"))
        .isInstanceOf(TestInfrastructureException.class).hasMessageContaining("SELEC 1")
        .hasCauseInstanceOf(SQLException.class);
  }

  @Test
  void terminateBackendsKillsOnlyTheMatchingSessions() throws SQLException {
    try (Connection victim = server.connect(server.jdbcUrl(), "infra-victim-1");
        Connection bystander = server.connect(server.jdbcUrl(), "infra-bystander")) {
      assertThat(isUsable(victim)).isTrue();

      assertThat(server.terminateBackends("infra-victim-%")).isEqualTo(1);

      assertThatThrownBy(() -> victim.createStatement().executeQuery("SELECT 1"))
          .isInstanceOf(SQLException.class);
      assertThat(isUsable(bystander)).isTrue();
      assertThat(server.terminateBackends("infra-victim-%")).isZero();
    }
  }

  @Test
  void terminateAllOtherBackendsKillsEverySessionButItsOwn() throws SQLException {
    try (Connection one = server.connect(server.jdbcUrl(), "infra-all-1");
        Connection two = server.connect(server.jdbcUrl(), "infra-all-2")) {
      assertThat(server.terminateAllOtherBackends()).isGreaterThanOrEqualTo(2);

      assertThatThrownBy(() -> one.createStatement().executeQuery("SELECT 1"))
          .isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> two.createStatement().executeQuery("SELECT 1"))
          .isInstanceOf(SQLException.class);
      assertThat(server.queryLong("SELECT 1")).isEqualTo(1);
    }
  }

  @Test
  void externalServerCannotBeRestartedButServesTheHelpers() {
    PostgresServer external = PostgresServer.external(
        server.jdbcUrl() + "?connectTimeout=5", server.user(), server.password());

    assertThat(external.isEmbedded()).isFalse();
    assertThat(external.canRestart()).isFalse();
    assertThat(external.isRunning()).isTrue();
    assertThat(external.queryLong("SELECT 7")).isEqualTo(7);
    assertThat(external.jdbcUrl("other")).isEqualTo(server.jdbcUrl("other") + "?connectTimeout=5");
    assertThat(external.environment("jdbc:postgresql://h/db"))
        .containsEntry(PostgresServer.URL_ENV, "jdbc:postgresql://h/db")
        .containsEntry(PostgresServer.USER_ENV, server.user())
        .containsEntry(PostgresServer.PASSWORD_ENV, server.password());
    assertThatThrownBy(external::stop).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(external::start).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(external::port).isInstanceOf(UnsupportedOperationException.class);
    external.close();
    assertThat(server.queryLong("SELECT 1")).isEqualTo(1);
  }

  @Test
  void externalServerNeedsAPostgresJdbcUrl() {
    assertThatThrownBy(() -> PostgresServer.external("jdbc:mysql://h/db", "u", "p"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(PostgresServer.URL_ENV);
  }

  @Test
  void theSharedServerIsNotClosedByATest() {
    assertThatThrownBy(server::close).isInstanceOf(IllegalStateException.class);
    assertThat(server.isRunning()).isTrue();
  }

  private static boolean isUsable(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      return s.execute("SELECT 1");
    }
  }
}
