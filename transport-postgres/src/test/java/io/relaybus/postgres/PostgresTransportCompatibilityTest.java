package io.relaybus.postgres;

import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.spi.Instrumentation;
import io.relaybus.tck.TransportCompatibilityKit;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The PostgreSQL transport passes the whole kit, including killed connections and a server
 * restart, against a real PostgreSQL 17 (embedded, or the server named by
 * {@code RELAYBUS_TEST_POSTGRES_URL}, where the restart test is skipped).
 */
class PostgresTransportCompatibilityTest extends TransportCompatibilityKit {
  /** The kit restarts the server: the other classes keep theirs (an external one is shared). */
  @RegisterExtension
  static final TestDatabase DB = System.getenv(PostgresServer.URL_ENV) != null
      ? new TestDatabase("relaybus_tck") : TestDatabase.onOwnServer("tck", "relaybus_tck");

  @Override
  protected EventBus createBus(Map<String, String> overrides) {
    // Not tracked by TestBuses: the kit closes the buses it creates.
    return EventBus.create(DB.config(TestBuses.FAULT_TIMINGS, overrides));
  }

  @Override
  protected EventBus createBus(Map<String, String> overrides, Instrumentation instrumentation) {
    return EventBus.builder().properties(DB.config(TestBuses.FAULT_TIMINGS, overrides))
        .instrumentation(instrumentation).build();
  }

  @Override
  protected boolean canKillConnections() {
    return true;
  }

  @Override
  protected void killConnections() {
    DB.server().terminateBackends("relaybus-%");
  }

  @Override
  protected boolean canRestartServer() {
    return DB.server().canRestart();
  }

  @Override
  protected void restartServer() {
    DB.server().restart();
  }

  @Override
  protected Duration patience() {
    return Duration.ofSeconds(90);
  }
}
