package io.relaybus.webhook.testing;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** A database of its own on the shared test PostgreSQL server, for JDBC outbox tests. */
public final class OutboxDatabase {
  private final PostgresServer server;
  private final String url;

  private OutboxDatabase(PostgresServer server, String url) {
    this.server = server;
    this.url = url;
  }

  /**
   * Creates (or recreates) the database.
   *
   * @param name the database name
   * @return the database
   */
  public static OutboxDatabase create(String name) {
    PostgresServer server = PostgresServer.shared();
    return new OutboxDatabase(server, server.createDatabase(name));
  }

  /**
   * A connection pool as the JDBC outbox makes it; the caller closes it.
   *
   * @param size the most connections
   * @return the pool
   */
  public HikariDataSource pool(int size) {
    return JdbcOutbox.pool(url, server.user(), server.password(), size);
  }

  /**
   * A connection outside any pool (another session than the outbox's); the caller closes it.
   *
   * @return the connection
   * @throws SQLException when the server refuses it
   */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url, server.user(), server.password());
  }
}
