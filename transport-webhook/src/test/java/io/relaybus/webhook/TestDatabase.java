package io.relaybus.webhook;

import io.relaybus.postgres.testing.PostgresServer;
import java.util.LinkedHashMap;
import java.util.Map;

/** A fresh database on the shared test PostgreSQL server, as JDBC-outbox settings. */
final class TestDatabase {
  private TestDatabase() {}

  /**
   * Creates (or recreates) a database and returns the settings of a JDBC outbox in it.
   *
   * @param name the database name
   * @return outbox, url, user and password keys
   */
  static Map<String, String> jdbcOutbox(String name) {
    PostgresServer server = PostgresServer.shared();
    String url = server.createDatabase(name);
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.webhook.outbox", "jdbc");
    config.put("relaybus.webhook.jdbc.url", url);
    config.put("relaybus.webhook.jdbc.user", server.user());
    config.put("relaybus.webhook.jdbc.password", server.password());
    return config;
  }
}
