package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.kafka.testing.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code relaybus.kafka.commit-interval}: a running member commits the offsets of handled events
 * every interval (not after every poll loop), and closing commits at once whatever the interval,
 * so nothing handled is delivered again to the group's next member.
 */
class KafkaCommitIntervalTest {
  private static final int EVENTS = 200;

  private final List<EventBus> buses = new ArrayList<>();

  @AfterEach
  void close() {
    buses.forEach(EventBus::close);
  }

  private EventBus bus(String commitInterval) {
    EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "2",
        "relaybus.kafka.commit-interval", commitInterval)));
    buses.add(bus);
    return bus;
  }

  private static String topic() {
    return "commit-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  private static void publish(EventBus bus, String topic) {
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      batch.add(Event.builder().source("urn:test").type("commit").text("e" + i).build());
    }
    bus.publishAll(topic, batch).join();
  }

  @Test
  void aRunningMemberCommitsHandledEventsEveryInterval() throws Exception {
    String topic = topic();
    EventBus bus = bus("200ms");
    publish(bus, topic);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    bus.subscribe(topic, SubscribeOptions.builder().group("interval-running").build(),
        d -> seen.add(d.event().id()));
    await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() == EVENTS);

    // Still subscribed: the committed offsets reach the end of both partitions on their own.
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Map<TopicPartition, OffsetAndMetadata> committed = admin
            .listConsumerGroupOffsets("interval-running").partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
        long total = committed.entrySet().stream()
            .filter(e -> e.getKey().topic().equals(topic))
            .mapToLong(e -> e.getValue().offset()).sum();
        assertThat(total).isEqualTo(EVENTS);
      });
    }
  }

  @Test
  void closingCommitsAtOnceEvenWithALongInterval() {
    String topic = topic();
    EventBus first = bus("1m");
    publish(first, topic);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    Subscription s = first.subscribe(topic, SubscribeOptions.builder().group("interval-closing")
        .build(), d -> seen.add(d.event().id()));
    await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() == EVENTS);
    s.close();

    Set<String> again = ConcurrentHashMap.newKeySet();
    EventBus second = bus("1m");
    second.subscribe(topic, SubscribeOptions.builder().group("interval-closing").build(),
        d -> again.add(d.event().id()));
    second.publish(topic, Event.builder().source("urn:test").type("commit").text("last")
        .build()).join();
    await().atMost(Duration.ofSeconds(60)).until(() -> !again.isEmpty());
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> true);
    assertThat(again).as("only the event published after the close").hasSize(1)
        .doesNotContainAnyElementsOf(seen);
  }
}
