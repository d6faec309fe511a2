package io.relaybus.micrometer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.relaybus.EventBus;
import io.relaybus.test.PostgresServer;
import io.relaybus.test.RelaybusServers;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The instrumentation's meters on a real PostgreSQL transport (embedded PostgreSQL 17). */
class RelaybusMetricsPostgresTest {

  @Test
  @DisplayName("n published, k failed attempts, d dead letters on PostgreSQL: every meter exact")
  void countsAKnownScenarioExactly() {
    PostgresServer postgres = RelaybusServers.postgres().createDatabase("micrometer_scenario");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EventBus bus = EventBus.builder().properties(postgres.relaybusProperties())
        .instrumentation(new RelaybusMetrics(registry)).build()) {
      List<String> ids = MeteredScenario.run(bus, "orders");
      MeteredScenario.assertMeters(registry, "postgres", "orders", ids);
    }
  }
}
