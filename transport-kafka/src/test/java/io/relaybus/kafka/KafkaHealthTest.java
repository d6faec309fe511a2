package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.kafka.schema.testing.ApicurioRegistry;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.kafka.testing.TcpProxy;
import io.relaybus.ops.Health;
import io.relaybus.ops.Health.Status;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Health on a real broker and registry: a stopped broker makes {@code kafka.brokers} degraded
 * at once and down only after the grace period, a bus whose grace period is longer than the
 * outage never reports it down, and both are up again after the restart; an unreachable schema
 * registry is its own component's failure; each running member is a component.
 */
class KafkaHealthTest {

  private static EventBus bus(Map<String, String> extra) {
    Map<String, String> config = new HashMap<>(Map.of(
        "relaybus.kafka.health-check-interval", "200ms",
        "relaybus.kafka.partitions", "1"));
    config.putAll(extra);
    return EventBus.create(KafkaBroker.shared().busConfig(config));
  }

  private static Health.Component component(EventBus bus, String name) {
    return bus.operations().health().components().stream()
        .filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no component " + name + " in "
            + bus.operations().health()));
  }

  /** Records every change of a component's status, polling often. */
  private static final class Watch implements AutoCloseable {
    final List<Health.Component> changes = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();

    Watch(EventBus bus, String name) {
      poller.scheduleWithFixedDelay(() -> {
        Health.Component c = component(bus, name);
        if (changes.isEmpty() || changes.get(changes.size() - 1).status() != c.status()) {
          changes.add(c);
        }
      }, 0, 20, TimeUnit.MILLISECONDS);
    }

    List<Status> statuses() {
      List<Status> s = new ArrayList<>();
      changes.forEach(c -> s.add(c.status()));
      return s;
    }

    Status last() {
      return changes.isEmpty() ? null : changes.get(changes.size() - 1).status();
    }

    @Override
    public void close() {
      poller.shutdownNow();
    }
  }

  @Test
  void aStoppedBrokerIsDegradedAtOnceDownAfterTheGracePeriodAndUpAfterTheRestart() {
    KafkaBroker broker = KafkaBroker.shared();
    assumeTrue(broker.canRestart(), "external broker: cannot stop it");
    String topic = "health-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    // join-timeout 0: subscribing does not wait for the assignment, so a member can be added
    // while the broker is away (its topic is known to the transport already).
    try (EventBus shortGrace = bus(Map.of("relaybus.health.grace-period", "1s",
        "relaybus.kafka.join-timeout", "0s"));
        EventBus longGrace = bus(Map.of("relaybus.health.grace-period", "10m"))) {
      shortGrace.subscribe(topic, SubscribeOptions.group("billing"), d -> { });
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(shortGrace.operations().health().status()).isEqualTo(Status.UP);
        assertThat(longGrace.operations().health().status()).isEqualTo(Status.UP);
      });
      assertThat(shortGrace.operations().health().components())
          .extracting(Health.Component::name)
          .containsExactly("kafka.brokers", "kafka.consumer." + topic + ".billing");

      try (Watch shortWatch = new Watch(shortGrace, "kafka.brokers");
          Watch longWatch = new Watch(longGrace, "kafka.brokers")) {
        broker.stop();
        try {
          await().atMost(Duration.ofSeconds(30)).until(() -> shortWatch.last() == Status.DOWN);
          assertThat(shortWatch.statuses()).containsExactly(Status.UP, Status.DEGRADED,
              Status.DOWN);
          Health.Component degraded = shortWatch.changes.get(1);
          Health.Component down = shortWatch.changes.get(2);
          assertThat(Duration.between(degraded.since(), down.since()))
              .as("down only after the grace period").isGreaterThanOrEqualTo(
                  Duration.ofSeconds(1));
          assertThat(down.reason()).hasValueSatisfying(r ->
              assertThat(r).contains(broker.bootstrapServers()));
          assertThat(shortGrace.operations().health().status()).isEqualTo(Status.DOWN);
          await().atMost(Duration.ofSeconds(30))
              .until(() -> longWatch.last() == Status.DEGRADED);
          assertThat(longGrace.operations().health().status()).isEqualTo(Status.DEGRADED);

          // A member that cannot join its group is its own component's failure.
          shortGrace.subscribe(topic, SubscribeOptions.group("late"), d -> { });
          String late = "kafka.consumer." + topic + ".late";
          await().atMost(Duration.ofSeconds(30)).until(() ->
              component(shortGrace, late).status() == Status.DOWN);
          assertThat(component(shortGrace, late).reason()).hasValueSatisfying(r ->
              assertThat(r).contains("no partition assignment"));
          assertThat(component(shortGrace, "kafka.consumer." + topic + ".billing").status())
              .as("a joined member while the broker is away").isEqualTo(Status.UP);
        } finally {
          broker.start();
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          assertThat(shortGrace.operations().health().components()).hasSize(3)
              .allSatisfy(c -> assertThat(c.status()).as(c.name()).isEqualTo(Status.UP));
          assertThat(longGrace.operations().health().status()).isEqualTo(Status.UP);
        });
        // The watch samples on its own thread: wait until it has seen the recovery too.
        await().atMost(Duration.ofSeconds(30)).until(() -> longWatch.last() == Status.UP);
        assertThat(longWatch.statuses()).as("an outage shorter than the grace period")
            .containsExactly(Status.UP, Status.DEGRADED, Status.UP);
      }
    }
  }

  @Test
  void anUnreachableSchemaRegistryIsItsComponentDownAndUpAgainWhenItAnswers() {
    URI direct = URI.create(ApicurioRegistry.shared().ccompatUrl());
    try (TcpProxy proxy = TcpProxy.start(direct.getPort());
        EventBus bus = bus(Map.of("relaybus.health.grace-period", "1s",
            "relaybus.kafka.schema-registry.url",
            "http://127.0.0.1:" + proxy.port() + direct.getPath()))) {
      await().atMost(Duration.ofSeconds(30)).until(() ->
          component(bus, "kafka.schema-registry").status() == Status.UP);
      try (Watch watch = new Watch(bus, "kafka.schema-registry")) {
        proxy.refuse(true);
        await().atMost(Duration.ofSeconds(30)).until(() -> watch.last() == Status.DOWN);
        assertThat(watch.statuses()).containsExactly(Status.UP, Status.DEGRADED, Status.DOWN);
        assertThat(component(bus, "kafka.schema-registry").reason()).hasValueSatisfying(r ->
            assertThat(r).contains("127.0.0.1:" + proxy.port()));
        assertThat(component(bus, "kafka.brokers").status()).isEqualTo(Status.UP);
        assertThat(bus.operations().health().status()).isEqualTo(Status.DOWN);
        proxy.refuse(false);
        await().atMost(Duration.ofSeconds(30)).until(() -> watch.last() == Status.UP);
      }
      assertThat(bus.operations().health().status()).isEqualTo(Status.UP);
    }
  }

  @Test
  void everyRunningMemberIsAComponentUntilItIsClosed() {
    String topic = "members-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (EventBus bus = bus(Map.of())) {
      Subscription first = bus.subscribe(topic, SubscribeOptions.group("billing"), d -> { });
      Subscription second = bus.subscribe(topic, SubscribeOptions.group("billing"), d -> { });
      bus.subscribe(topic, SubscribeOptions.group("audit"), d -> { });
      String billing = "kafka.consumer." + topic + ".billing";
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(bus.operations().health().components())
              .extracting(Health.Component::name, Health.Component::status)
              .containsExactly(
                  org.assertj.core.groups.Tuple.tuple("kafka.brokers", Status.UP),
                  org.assertj.core.groups.Tuple.tuple("kafka.consumer." + topic + ".audit",
                      Status.UP),
                  org.assertj.core.groups.Tuple.tuple(billing, Status.UP),
                  org.assertj.core.groups.Tuple.tuple(billing + "#2", Status.UP)));
      first.close();
      assertThat(bus.operations().health().components()).extracting(Health.Component::name)
          .containsExactly("kafka.brokers", "kafka.consumer." + topic + ".audit",
              billing + "#2");
      second.close();
      assertThat(bus.operations().health().components()).extracting(Health.Component::name)
          .containsExactly("kafka.brokers", "kafka.consumer." + topic + ".audit");
    }
  }
}
