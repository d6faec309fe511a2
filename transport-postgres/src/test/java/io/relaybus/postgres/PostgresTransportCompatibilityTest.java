package io.relaybus.postgres;

import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.tck.TransportCompatibilityKit;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The PostgreSQL transport passes the whole kit, including killed connections and a server
 * restart, against a real PostgreSQL 17 (embedded, or the server named by
 * {@code RELAYBUS_TEST_POSTGRES_URL}, where the restart test is skipped).
 */
class PostgresTransportCompatibilityTest extends TransportCompatibilityKit {
  private static PostgresServer server;
  private static String url;

  @BeforeAll
  static void startServer() {
    server = System.getenv(PostgresServer.URL_ENV) != null ? PostgresServer.shared()
        : PostgresServer.startEmbedded("tck");
    url = server.createDatabase("relaybus_tck");
  }

  @AfterAll
  static void stopServer() {
    if (server != null && server.isEmbedded() && server.canRestart()) {
      server.close();
    }
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "postgres");
    config.put("relaybus.postgres.url", url);
    config.put("relaybus.postgres.user", server.user());
    config.put("relaybus.postgres.password", server.password());
    config.put("relaybus.postgres.poll-interval", "200ms");
    config.put("relaybus.postgres.lease-timeout", "5s");
    config.put("relaybus.postgres.health-check-interval", "500ms");
    config.putAll(overrides);
    return EventBus.create(config);
  }

  @Override
  protected boolean canKillConnections() {
    return true;
  }

  @Override
  protected void killConnections() {
    server.terminateBackends("relaybus-%");
  }

  @Override
  protected boolean canRestartServer() {
    return server.canRestart();
  }

  @Override
  protected void restartServer() {
    server.restart();
  }

  @Override
  protected Duration patience() {
    return Duration.ofSeconds(90);
  }
}
