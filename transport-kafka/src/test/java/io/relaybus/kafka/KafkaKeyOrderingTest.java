package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keys map to partitions; a group of three members keeps every key's order. */
class KafkaKeyOrderingTest {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaKeyOrderingTest.class);
  private final List<EventBus> buses = new ArrayList<>();

  @AfterEach
  void close() {
    buses.forEach(EventBus::close);
  }

  private EventBus bus() {
    EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "6")));
    buses.add(bus);
    return bus;
  }

  @Test
  void sixPartitionsThreeMembersThirtyTwoKeysKeepPerKeyOrderAndLoseNothing() {
    String topic = "keys-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    String group = "keys-group";
    int keys = 32;
    int perKey = 40;
    Map<String, List<Integer>> handled = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    Map<String, Set<String>> keysPerMember = new ConcurrentHashMap<>();
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicInteger invocations = new AtomicInteger();
    Set<String> distinct = ConcurrentHashMap.newKeySet();
    for (int m = 0; m < 3; m++) {
      String member = "member-" + m;
      bus().subscribe(topic, SubscribeOptions.builder().group(group).concurrency(4)
          .maxInFlight(32).build(), d -> {
            String key = d.event().key().orElseThrow();
            if (running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() != 1) {
              violations.add("two handlers of " + key + " at once");
            }
            try {
              // uneven handling times, so an ordering bug would let a later event overtake
              Thread.sleep(ThreadLocalRandom.current().nextInt(2));
              handled.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>())
                  .add(Integer.parseInt(d.event().dataAsText()));
              keysPerMember.computeIfAbsent(member, k -> ConcurrentHashMap.newKeySet()).add(key);
              distinct.add(d.event().id());
              invocations.incrementAndGet();
            } finally {
              running.get(key).decrementAndGet();
            }
          });
    }
    EventBus publisher = bus();
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < perKey; i++) {
      for (int k = 0; k < keys; k++) {
        batch.add(Event.builder().source("urn:test").type("seq").key("key-" + k)
            .text(Integer.toString(i)).build());
      }
    }
    publisher.publishAll(topic, batch).join();

    await().atMost(Duration.ofSeconds(90)).until(() -> distinct.size() == keys * perKey);
    assertThat(publisher.unwrap(KafkaTransport.class).partitionCount(topic)).isEqualTo(6);
    assertThat(violations).isEmpty();
    for (int k = 0; k < keys; k++) {
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < perKey; i++) {
        expected.add(i);
      }
      assertThat(handled.get("key-" + k)).as("order of key-%d", k)
          .containsExactlyElementsOf(expected);
    }
    assertThat(invocations.get()).as("handled more than once").isEqualTo(keys * perKey);
    assertThat(keysPerMember).as("every member owns partitions").hasSize(3);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    keysPerMember.values().forEach(s -> s.forEach(key -> assertThat(seen.add(key))
        .as("key %s handled by one member only", key).isTrue()));
    LOG.info("keys per member: {}", keysPerMember.values().stream().map(Set::size).toList());
  }
}
