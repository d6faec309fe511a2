package io.relaybus.micrometer;

import static io.relaybus.micrometer.RelaybusMetrics.CONSUMER_GROUP;
import static io.relaybus.micrometer.RelaybusMetrics.DESTINATION;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.ENDPOINT;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.LAG_AGE;
import static io.relaybus.micrometer.RelaybusOperationsMetrics.LAG_DEPTH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.Subscription;
import io.relaybus.ops.EndpointStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The gauges read through the operations API, on the real in-memory transport with every call
 * of its operations API counted.
 */
class RelaybusOperationsMetricsTest {
  private static final Duration INTERVAL = Duration.ofMillis(300);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CountingTransportProvider transport = new CountingTransportProvider();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final EventBus bus = EventBus.builder().provider(transport).build();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    bus.close();
  }

  private RelaybusOperationsMetrics bind(RelaybusOperationsMetrics.Builder builder) {
    RelaybusOperationsMetrics metrics = builder.build();
    toClose.add(metrics);
    metrics.bindTo(registry);
    return metrics;
  }

  /** A group with a stored position and no member running: its backlog only grows. */
  private void stoppedGroup(String topic, String group) {
    bus.subscribe(topic, group, d -> { }).close();
  }

  private void publish(String topic, int n) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      events.add(Event.builder().source("/metrics-test").type("test").text("e" + i).build());
    }
    bus.publishAll(topic, events).join();
  }

  private double depth(String topic, String group) {
    return registry.get(LAG_DEPTH).tag(DESTINATION, topic).tag(CONSUMER_GROUP, group).gauge()
        .value();
  }

  private double ageSeconds(String topic, String group) {
    return registry.get(LAG_AGE).tag(DESTINATION, topic).tag(CONSUMER_GROUP, group)
        .timeGauge().value(TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("lag depth and age follow a backlog and its draining, within one refresh")
  void lagGaugesMeasureABacklog() {
    stoppedGroup("orders", "billing");
    long beforePublish = System.nanoTime();
    publish("orders", 50);
    long afterPublish = System.nanoTime();

    long beforeBind = System.nanoTime();
    bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL));
    long afterBind = System.nanoTime();
    assertThat(depth("orders", "billing")).isEqualTo(50);
    // Read at bind: the oldest event's age then lies between these two bounds.
    assertThat(ageSeconds("orders", "billing"))
        .isBetween((beforeBind - afterPublish) / 1e9 - 0.01, (afterBind - beforePublish) / 1e9
            + 0.01);

    // Refreshed: the age grows while nothing is consumed, and stays the truth.
    await().atMost(Duration.ofSeconds(10)).until(() -> ageSeconds("orders", "billing") >= 0.6);
    assertThat(ageSeconds("orders", "billing"))
        .isLessThanOrEqualTo((System.nanoTime() - beforePublish) / 1e9 + 0.01);
    assertThat(depth("orders", "billing")).isEqualTo(50);

    AtomicInteger handled = new AtomicInteger();
    toClose.add(bus.subscribe("orders", "billing", d -> handled.incrementAndGet()));
    await().atMost(Duration.ofSeconds(10)).until(() -> handled.get() == 50);
    await().atMost(INTERVAL.multipliedBy(10)).untilAsserted(() -> {
      assertThat(depth("orders", "billing")).isZero();
      assertThat(ageSeconds("orders", "billing")).isZero();
    });
  }

  @Test
  @DisplayName("scrapes never query the transport: at most one read per group per interval")
  void readsTheTransportAtTheBoundedRate() {
    stoppedGroup("orders", "billing");
    stoppedGroup("orders", "audit");
    stoppedGroup("payments", "ledger");
    publish("orders", 5);

    long start = System.nanoTime();
    RelaybusOperationsMetrics metrics =
        bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL));
    AtomicInteger scrapes = new AtomicInteger();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> {
      for (Meter m : registry.getMeters()) {
        m.measure().forEach(measurement -> measurement.getValue());
      }
      scrapes.incrementAndGet();
      return System.nanoTime() - start > Duration.ofMillis(1500).toNanos();
    });
    assertThat(registry.find(LAG_DEPTH).gauges()).hasSize(3);
    // Closing waits for a refresh in progress (both hold the binder's lock), so the counts
    // below are of whole refreshes.
    metrics.close();
    long elapsed = System.nanoTime() - start;
    int lagCalls = transport.lagCalls.get();
    int topicsCalls = transport.topicsCalls.get();

    long refreshes = elapsed / INTERVAL.toNanos() + 1;
    assertThat(scrapes.get()).isGreaterThan(100);
    assertThat(topicsCalls).isBetween(2, (int) refreshes);
    // One lag() per group per refresh, never per scrape or per partition.
    assertThat(lagCalls).isEqualTo(3 * topicsCalls);
    assertThat(transport.groupsCalls.get()).isEqualTo(2 * topicsCalls);
  }

  @Test
  @DisplayName("named groups only: no discovery, the others have no gauges")
  void lagOfNamedGroups() {
    stoppedGroup("orders", "billing");
    stoppedGroup("orders", "audit");
    publish("orders", 3);
    bind(RelaybusOperationsMetrics.builder(bus).lagOf("orders", "billing"));
    assertThat(registry.find(LAG_DEPTH).gauges()).singleElement()
        .satisfies(g -> assertThat(g.getId().getTag(CONSUMER_GROUP)).isEqualTo("billing"))
        .satisfies(g -> assertThat(g.value()).isEqualTo(3));
    assertThat(transport.topicsCalls.get()).isZero();
    assertThat(transport.groupsCalls.get()).isZero();
  }

  @Test
  @DisplayName("a group subscribed later is discovered; at most maxGroups are measured")
  void discoveryFindsNewGroupsUpToTheLimit() {
    stoppedGroup("orders", "a");
    bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL).maxGroups(2));
    assertThat(registry.find(LAG_DEPTH).gauges()).hasSize(1);
    stoppedGroup("orders", "b");
    stoppedGroup("orders", "c");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(registry.find(LAG_DEPTH).gauges()).extracting(g -> g.getId()
            .getTag(CONSUMER_GROUP)).containsExactlyInAnyOrder("a", "b"));
  }

  @Test
  @DisplayName("a failed read shows NaN until a refresh succeeds, never a stale value")
  void failedReadShowsNaN() {
    stoppedGroup("orders", "billing");
    publish("orders", 4);
    bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL));
    assertThat(depth("orders", "billing")).isEqualTo(4);

    transport.lagFailure = new IllegalStateException("server unreachable");
    await().atMost(Duration.ofSeconds(10)).until(() -> Double.isNaN(depth("orders", "billing")));
    assertThat(ageSeconds("orders", "billing")).isNaN();

    transport.lagFailure = null;
    await().atMost(Duration.ofSeconds(10)).until(() -> depth("orders", "billing") == 4);
  }

  @Test
  @DisplayName("closing the bus, or the gauges, stops the refresh and removes the gauges")
  void closingStopsAndRemoves() {
    stoppedGroup("orders", "billing");
    RelaybusOperationsMetrics metrics =
        bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL));
    assertThat(registry.find(LAG_DEPTH).gauges()).hasSize(1);
    assertThat(refreshThreadAlive()).isTrue();
    metrics.close();
    assertThat(registry.getMeters()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> !refreshThreadAlive());
    assertThatThrownBy(() -> metrics.bindTo(registry)).isInstanceOf(IllegalStateException.class);

    bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL));
    assertThat(registry.find(LAG_DEPTH).gauges()).hasSize(1);
    bus.close();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(registry.getMeters()).isEmpty();
      assertThat(refreshThreadAlive()).isFalse();
    });

    bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL));
    assertThat(registry.getMeters()).isEmpty();
    assertThat(refreshThreadAlive()).isFalse();
  }

  @Test
  @DisplayName("webhook endpoints: enabled, pending and the breaker's state, one gauge set each")
  void endpointGauges() {
    transport.endpoints = List.of(endpoint("crm", true, "closed", 0),
        endpoint("erp", true, "closed", 2));
    bind(RelaybusOperationsMetrics.builder(bus).refreshInterval(INTERVAL));
    assertThat(breaker("erp", "closed")).isEqualTo(1);
    assertThat(breaker("erp", "open")).isZero();
    assertThat(registry.get(RelaybusOperationsMetrics.ENDPOINT_PENDING).tag(ENDPOINT, "erp")
        .gauge().value()).isEqualTo(2);

    transport.endpoints = List.of(endpoint("erp", false, "open", 7));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(breaker("erp", "open")).isEqualTo(1);
      assertThat(breaker("erp", "closed")).isZero();
      assertThat(registry.get(RelaybusOperationsMetrics.ENDPOINT_ENABLED).tag(ENDPOINT, "erp")
          .gauge().value()).isZero();
      assertThat(registry.get(RelaybusOperationsMetrics.ENDPOINT_PENDING).tag(ENDPOINT, "erp")
          .gauge().value()).isEqualTo(7);
      assertThat(registry.find(RelaybusOperationsMetrics.ENDPOINT_ENABLED).tag(ENDPOINT, "crm")
          .gauges()).isEmpty();
    });
  }

  @Test
  @DisplayName("a refresh interval below 100 ms is refused, naming it")
  void refusesATooShortInterval() {
    assertThatThrownBy(() -> RelaybusOperationsMetrics.builder(bus)
        .refreshInterval(Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refreshInterval");
  }

  private double breaker(String endpoint, String state) {
    return registry.get(RelaybusOperationsMetrics.ENDPOINT_BREAKER).tag(ENDPOINT, endpoint)
        .tag(RelaybusOperationsMetrics.BREAKER_STATE, state).gauge().value();
  }

  private static EndpointStatus endpoint(String name, boolean enabled, String breaker,
      long pending) {
    return new EndpointStatus(name, "http://127.0.0.1:1/" + name, List.of("orders"), enabled,
        breaker, pending, List.of());
  }

  private static boolean refreshThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("relaybus-micrometer-refresh") && t.isAlive());
  }
}
