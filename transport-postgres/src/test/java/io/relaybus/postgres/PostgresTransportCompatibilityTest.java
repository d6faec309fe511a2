package io.relaybus.postgres;

import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.tck.TransportCompatibilityKit;
import java.time.Duration;
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
  private static TestBuses buses;

  @BeforeAll
  static void startServer() {
    server = System.getenv(PostgresServer.URL_ENV) != null ? PostgresServer.shared()
        : PostgresServer.startEmbedded("tck");
    buses = new TestBuses(server, server.createDatabase("relaybus_tck"),
        TestBuses.FAULT_TIMINGS);
  }

  @AfterAll
  static void stopServer() {
    if (server != null && server.isEmbedded() && server.canRestart()) {
      server.close();
    }
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    // Not tracked by TestBuses: the kit closes the buses it creates.
    return EventBus.create(buses.config(overrides));
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
