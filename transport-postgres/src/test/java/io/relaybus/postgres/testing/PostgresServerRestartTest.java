package io.relaybus.postgres.testing;

import io.relaybus.tck.TestInfrastructureException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A server of its own, stopped and started on the same data directory like a real outage. */
class PostgresServerRestartTest {

  // Not TestDatabase: this tests the server that TestDatabase is built on.
  private static PostgresServer server;

  @BeforeAll
  static void startServer() {
    server = PostgresServer.startEmbedded("restart-test");
  }

  @AfterAll
  static void closeServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void restartKeepsTheRowsThePortAndTheUrl() throws SQLException {
    server.execute("CREATE TABLE survivor (id int)");
    server.execute("INSERT INTO survivor VALUES (1), (2), (3)");
    int port = server.port();
    String url = server.jdbcUrl();
    Path data = server.dataDirectory();

    try (Connection held = server.connect(url, "restart-held")) {
      server.stop();

      assertThat(server.isRunning()).isFalse();
      assertThatThrownBy(() -> server.queryLong("SELECT 1"))
          .isInstanceOf(TestInfrastructureException.class);
      assertThatThrownBy(() -> held.createStatement().executeQuery("SELECT 1"))
          .isInstanceOf(SQLException.class);

      server.start();
    }

    assertThat(server.isRunning()).isTrue();
    assertThat(server.port()).isEqualTo(port);
    assertThat(server.jdbcUrl()).isEqualTo(url);
    assertThat(server.dataDirectory()).isEqualTo(data);
    assertThat(server.queryLong("SELECT count(*) FROM survivor")).isEqualTo(3);
    assertThat(server.version()).startsWith("PostgreSQL 17.");

    server.execute("INSERT INTO survivor VALUES (4)");
    server.restart();
    assertThat(server.queryLong("SELECT count(*) FROM survivor")).isEqualTo(4);
  }

  @Test
  void stopAndStartAreIdempotent() {
    server.start();
    server.stop();
    server.stop();
    server.start();
    server.start();
    assertThat(server.queryLong("SELECT 1")).isEqualTo(1);
  }

  @Test
  void closeDeletesTheDataAndIsFinal() {
    PostgresServer own = PostgresServer.startEmbedded("closed-test");
    Path data = own.dataDirectory();
    assertThat(data.resolve("PG_VERSION")).content().startsWith("17");

    own.close();
    own.close();

    assertThat(data).doesNotExist();
    assertThat(own.isRunning()).isFalse();
    assertThatThrownBy(own::start).isInstanceOf(IllegalStateException.class);
  }
}
