package io.relaybus.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.relaybus.Event;
import io.relaybus.EventBus;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The instrumentation's meters on a real in-memory bus. */
class RelaybusMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CountingTransportProvider transport = new CountingTransportProvider();
  private EventBus bus;

  @AfterEach
  void close() {
    if (bus != null) {
      bus.close();
    }
  }

  private EventBus bus(RelaybusMetrics metrics) {
    bus = EventBus.builder().provider(transport).instrumentation(metrics).build();
    return bus;
  }

  @Test
  @DisplayName("n published, k failed attempts, d dead letters: every counter and timer exact")
  void countsAKnownScenarioExactly() {
    EventBus bus = bus(new RelaybusMetrics(registry));
    List<String> ids = MeteredScenario.run(bus, "orders");
    MeteredScenario.assertMeters(registry, "memory", "orders", ids);
  }

  @Test
  @DisplayName("a publish the transport refuses is counted with the exception's class")
  void failedPublishIsCountedWithItsErrorType() {
    EventBus bus = bus(new RelaybusMetrics(registry));
    transport.publishFailure = new IllegalStateException("storage full");
    assertThatThrownBy(() -> bus.publishAll("orders", List.of(event(), event())).join())
        .isInstanceOf(CompletionException.class);
    transport.publishFailure = null;
    bus.publish("orders", event()).join();

    String error = IllegalStateException.class.getName();
    assertThat(registry.get(RelaybusMetrics.SENT_MESSAGES).tag(RelaybusMetrics.ERROR_TYPE, error)
        .counter().count()).isEqualTo(2);
    assertThat(registry.get(RelaybusMetrics.SENT_MESSAGES).tag(RelaybusMetrics.ERROR_TYPE, "none")
        .counter().count()).isEqualTo(1);
    assertThat(registry.get(RelaybusMetrics.OPERATION_DURATION)
        .tags(RelaybusMetrics.ERROR_TYPE, error, RelaybusMetrics.OPERATION, "publish",
            RelaybusMetrics.SYSTEM, "memory", RelaybusMetrics.DESTINATION, "orders")
        .timer().count()).isEqualTo(1);
  }

  @Test
  @DisplayName("tags of the application's own are on every meter; Relaybus's keys are refused")
  void commonTags() {
    EventBus bus = bus(new RelaybusMetrics(registry, Tags.of("bus", "main")));
    bus.subscribe("orders", "billing", d -> { });
    bus.publish("orders", event()).join();
    org.awaitility.Awaitility.await().untilAsserted(() ->
        assertThat(registry.find(RelaybusMetrics.PROCESS_DURATION).tag("bus", "main").timer())
            .isNotNull());
    assertThat(registry.getMeters()).allSatisfy(m ->
        assertThat(m.getId().getTag("bus")).isEqualTo("main"));

    assertThatThrownBy(() -> new RelaybusMetrics(registry,
        Tags.of(RelaybusMetrics.DESTINATION, "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("messaging.destination.name");
  }

  private static Event event() {
    return Event.builder().source("/metrics-test").type("test").text("x").build();
  }
}
