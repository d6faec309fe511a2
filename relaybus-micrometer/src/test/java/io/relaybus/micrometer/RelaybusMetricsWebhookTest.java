package io.relaybus.micrometer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.relaybus.EventBus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The instrumentation's meters on the real webhook transport (memory outbox, loopback). */
class RelaybusMetricsWebhookTest {

  @Test
  @DisplayName("n published, k failed attempts, d dead letters over webhooks: every meter exact")
  void countsAKnownScenarioExactly() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EventBus bus = EventBus.builder().properties(Map.of(
        "relaybus.transport", "webhook",
        "relaybus.webhook.outbox", "memory",
        "relaybus.webhook.poll-interval", "50ms",
        "relaybus.webhook.route-refresh", "100ms",
        "relaybus.webhook.ssrf.allow-categories", "loopback"))
        .instrumentation(new RelaybusMetrics(registry)).build()) {
      List<String> ids = MeteredScenario.run(bus, "orders");
      MeteredScenario.assertMeters(registry, "webhook", "orders", ids);
    }
  }
}
