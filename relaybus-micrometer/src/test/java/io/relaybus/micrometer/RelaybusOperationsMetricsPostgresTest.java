package io.relaybus.micrometer;

import static io.relaybus.micrometer.RelaybusMetrics.CONSUMER_GROUP;
import static io.relaybus.micrometer.RelaybusMetrics.DESTINATION;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.LAG_AGE;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.LAG_DEPTH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.test.PostgresServer;
import io.relaybus.test.RelaybusServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Lag gauges on a real PostgreSQL transport (embedded PostgreSQL 17), every lag read counted. */
class RelaybusOperationsMetricsPostgresTest {
  private static final Duration INTERVAL = Duration.ofMillis(500);

  @Test
  @DisplayName("lag depth and age of a PostgreSQL backlog, read at the bounded rate, then drained")
  void lagGaugesOnPostgres() {
    PostgresServer postgres = RelaybusServers.postgres().createDatabase("micrometer_lag");
    CountingTransportProvider transport = new CountingTransportProvider("postgres");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (EventBus bus = EventBus.builder().provider(transport)
        .properties(postgres.relaybusProperties()).build()) {
      bus.subscribe("orders", "billing", d -> { }).close();
      long beforePublish = System.nanoTime();
      List<Event> events = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        events.add(Event.builder().source("/metrics-test").type("test").text("e" + i).build());
      }
      bus.publishAll("orders", events).join();
      for (int i = 0; i < 10; i++) {
        bus.publish("orders", events.get(i).toBuilder().id("single-" + i).build()).join();
      }
      long afterPublish = System.nanoTime();

      try (RelaybusOperationsMetrics gauges = RelaybusOperationsMetrics.builder(bus)
          .refreshInterval(INTERVAL).build()) {
        long start = System.nanoTime();
        gauges.bindTo(registry);
        long bound = System.nanoTime();
        assertThat(depth(registry)).isEqualTo(50);
        // The oldest event was published between beforePublish and afterPublish, and measured
        // during bindTo; PostgreSQL's clock and this JVM's agree within the tolerance.
        assertThat(age(registry)).isBetween((start - afterPublish) / 1e9 - 0.05,
            (bound - beforePublish) / 1e9 + 0.05);

        AtomicInteger scrapes = new AtomicInteger();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> {
          for (Meter m : registry.getMeters()) {
            m.measure().forEach(measurement -> measurement.getValue());
          }
          scrapes.incrementAndGet();
          return System.nanoTime() - start > Duration.ofMillis(2000).toNanos();
        });
        long refreshes = (System.nanoTime() - start) / INTERVAL.toNanos() + 1;
        assertThat(scrapes.get()).isGreaterThan(100);
        assertThat(transport.lagCalls.get()).isBetween(2, (int) refreshes);
        assertThat(depth(registry)).isEqualTo(50);
        assertThat(age(registry)).isLessThanOrEqualTo(
            (System.nanoTime() - beforePublish) / 1e9 + 0.05);

        AtomicInteger handled = new AtomicInteger();
        bus.subscribe("orders", "billing", d -> handled.incrementAndGet());
        await().atMost(Duration.ofSeconds(30)).until(() -> handled.get() >= 50);
        await().atMost(INTERVAL.multipliedBy(10)).untilAsserted(() -> {
          assertThat(depth(registry)).isZero();
          assertThat(age(registry)).isZero();
        });
      }
    }
  }

  private static double depth(SimpleMeterRegistry registry) {
    return registry.get(LAG_DEPTH).tag(DESTINATION, "orders").tag(CONSUMER_GROUP, "billing")
        .gauge().value();
  }

  private static double age(SimpleMeterRegistry registry) {
    return registry.get(LAG_AGE).tag(DESTINATION, "orders").tag(CONSUMER_GROUP, "billing")
        .timeGauge().value(TimeUnit.SECONDS);
  }
}
