package io.relaybus.micrometer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.relaybus.EventBus;
import io.relaybus.test.RelaybusServers;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The instrumentation's meters on a real Kafka broker (embedded, from relaybus-test). */
class RelaybusMetricsKafkaTest {

  @Test
  @DisplayName("n published, k failed attempts, d dead letters on Kafka: every meter exact")
  void countsAKnownScenarioExactly() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String topic = "orders-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (EventBus bus = EventBus.builder().properties(RelaybusServers.kafka().relaybusProperties())
        .instrumentation(new RelaybusMetrics(registry)).build()) {
      List<String> ids = MeteredScenario.run(bus, topic);
      MeteredScenario.assertMeters(registry, "kafka", topic, ids);
    }
  }
}
