package io.relaybus.micrometer;

import static io.relaybus.micrometer.RelaybusMetrics.CONSUMED_MESSAGES;
import static io.relaybus.micrometer.RelaybusMetrics.CONSUMER_GROUP;
import static io.relaybus.micrometer.RelaybusMetrics.DEAD_LETTERS;
import static io.relaybus.micrometer.RelaybusMetrics.DESTINATION;
import static io.relaybus.micrometer.RelaybusMetrics.DROPPED;
import static io.relaybus.micrometer.RelaybusMetrics.ERROR_TYPE;
import static io.relaybus.micrometer.RelaybusMetrics.OPERATION_DURATION;
import static io.relaybus.micrometer.RelaybusMetrics.PROCESS_DURATION;
import static io.relaybus.micrometer.RelaybusMetrics.REASON;
import static io.relaybus.micrometer.RelaybusMetrics.RETRIES;
import static io.relaybus.micrometer.RelaybusMetrics.SENT_MESSAGES;
import static io.relaybus.micrometer.RelaybusMetrics.SYSTEM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.search.Search;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A known scenario, run on a real bus, after which every meter of {@link RelaybusMetrics} has
 * an exact expected value.
 *
 * <p>13 events are published to one topic, 9 publish calls (8 single, one batch of 5): 6 "ok",
 * 4 "flaky" (fail once), 2 "poison" (always fail), 1 "abort" (fails with a non-retryable error).
 * Group {@code billing} retries up to 3 attempts: 21 attempts, 11 of them failed (4 flaky, 6
 * poison, 1 abort), 8 retried, 2 dead letters RETRIES_EXHAUSTED and 1 NON_RETRYABLE. Group
 * {@code audit} keeps no dead letters and does not retry; it fails the 2 poison events: 13
 * attempts, 2 dropped.
 */
final class MeteredScenario {
  static final int PUBLISHED = 13;

  private MeteredScenario() {}

  /** Subscribes both groups, publishes, and returns the published events' ids. */
  static List<String> run(EventBus bus, String topic) {
    bus.subscribe(topic, SubscribeOptions.builder().group("billing")
        .retryPolicy(RetryPolicy.builder().maxAttempts(3).fixedDelay(Duration.ofMillis(10))
            .abortOn(IllegalArgumentException.class).build())
        .build(), d -> {
          String kind = d.event().dataAsText();
          if (kind.equals("poison") || kind.equals("flaky") && d.attempt() == 1) {
            throw new IllegalStateException(kind + " fails");
          }
          if (kind.equals("abort")) {
            throw new IllegalArgumentException("abort");
          }
        });
    bus.subscribe(topic, SubscribeOptions.builder().group("audit").deadLetters(false)
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          if (d.event().dataAsText().equals("poison")) {
            throw new IllegalStateException("poison fails");
          }
        });

    List<String> kinds = List.of("ok", "flaky", "ok", "poison", "ok", "flaky", "abort", "ok",
        "flaky", "ok", "poison", "flaky", "ok");
    List<Event> events = new ArrayList<>();
    for (String kind : kinds) {
      events.add(Event.builder().source("/metrics-test").type("scenario." + kind)
          .key(kind).text(kind).build());
    }
    for (Event e : events.subList(0, 8)) {
      bus.publish(topic, e).join();
    }
    bus.publishAll(topic, events.subList(8, 13)).join();
    List<String> ids = new ArrayList<>();
    events.forEach(e -> ids.add(e.id()));
    return ids;
  }

  /** Waits until the scenario is finished, then checks every meter exactly. */
  static void assertMeters(MeterRegistry registry, String system, String topic,
      List<String> ids) {
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(count(registry, PROCESS_DURATION, topic, "billing")).isEqualTo(21);
      assertThat(count(registry, PROCESS_DURATION, topic, "audit")).isEqualTo(13);
      assertThat(sum(registry.find(DEAD_LETTERS).tag(DESTINATION, topic)
          .tag(CONSUMER_GROUP, "billing"))).isEqualTo(3);
      assertThat(sum(registry.find(DROPPED).tag(DESTINATION, topic)
          .tag(CONSUMER_GROUP, "audit"))).isEqualTo(2);
    });

    Search publish = registry.find(SENT_MESSAGES).tag(SYSTEM, system).tag(DESTINATION, topic);
    assertThat(sum(publish)).isEqualTo(PUBLISHED);
    assertThat(sum(registry.find(SENT_MESSAGES).tag(DESTINATION, topic)
        .tag(ERROR_TYPE, RelaybusMetrics.NO_ERROR))).isEqualTo(PUBLISHED);
    assertThat(registry.get(OPERATION_DURATION).tag(SYSTEM, system).tag(DESTINATION, topic)
        .tag(ERROR_TYPE, "none").timer().count()).isEqualTo(9);

    String failed = IllegalStateException.class.getName();
    String aborted = IllegalArgumentException.class.getName();
    assertThat(sum(consumed(registry, topic, "billing"))).isEqualTo(21);
    assertThat(timer(registry, topic, "billing", "none")).isEqualTo(10);
    assertThat(timer(registry, topic, "billing", failed)).isEqualTo(10);
    assertThat(timer(registry, topic, "billing", aborted)).isEqualTo(1);
    assertThat(registry.get(RETRIES).tag(DESTINATION, topic).tag(CONSUMER_GROUP, "billing")
        .counter().count()).isEqualTo(8);
    assertThat(deadLetters(registry, topic, "billing", "RETRIES_EXHAUSTED")).isEqualTo(2);
    assertThat(deadLetters(registry, topic, "billing", "NON_RETRYABLE")).isEqualTo(1);
    assertThat(deadLetters(registry, topic, "billing", "UNDECODABLE")).isZero();
    assertThat(registry.find(DROPPED).tag(CONSUMER_GROUP, "billing").meters()).isEmpty();

    assertThat(sum(consumed(registry, topic, "audit"))).isEqualTo(13);
    assertThat(timer(registry, topic, "audit", "none")).isEqualTo(11);
    assertThat(timer(registry, topic, "audit", failed)).isEqualTo(2);
    assertThat(registry.get(RETRIES).tag(DESTINATION, topic).tag(CONSUMER_GROUP, "audit")
        .counter().count()).isZero();
    assertThat(registry.get(DROPPED).tag(DESTINATION, topic).tag(CONSUMER_GROUP, "audit")
        .tag(REASON, "RETRIES_EXHAUSTED").counter().count()).isEqualTo(2);
    assertThat(deadLetters(registry, topic, "audit", "RETRIES_EXHAUSTED")).isZero();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(registry.get(RelaybusMetrics.ACTIVE).tag(DESTINATION, topic).gauges())
            .hasSize(2).allSatisfy(g -> assertThat(g.value()).isZero()));
    assertNoEventIdInTags(registry, ids);
  }

  static void assertNoEventIdInTags(MeterRegistry registry, List<String> ids) {
    Set<String> values = new HashSet<>();
    for (Meter m : registry.getMeters()) {
      for (Tag t : m.getId().getTags()) {
        values.add(t.getValue());
      }
    }
    assertThat(values).doesNotContainAnyElementsOf(ids);
  }

  private static Search consumed(MeterRegistry registry, String topic, String group) {
    return registry.find(CONSUMED_MESSAGES).tag(DESTINATION, topic).tag(CONSUMER_GROUP, group);
  }

  private static long count(MeterRegistry registry, String name, String topic, String group) {
    return registry.find(name).tag(DESTINATION, topic).tag(CONSUMER_GROUP, group).timers()
        .stream().mapToLong(t -> t.count()).sum();
  }

  private static long timer(MeterRegistry registry, String topic, String group,
      String errorType) {
    return registry.get(PROCESS_DURATION).tag(DESTINATION, topic).tag(CONSUMER_GROUP, group)
        .tag(ERROR_TYPE, errorType).timer().count();
  }

  private static double deadLetters(MeterRegistry registry, String topic, String group,
      String reason) {
    return registry.get(DEAD_LETTERS).tag(DESTINATION, topic).tag(CONSUMER_GROUP, group)
        .tag(REASON, reason).counter().count();
  }

  private static double sum(Search search) {
    return search.counters().stream().mapToDouble(c -> c.count()).sum();
  }
}
