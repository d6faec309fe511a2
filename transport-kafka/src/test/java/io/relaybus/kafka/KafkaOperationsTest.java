package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The operations API on a real broker: topics and groups, lag depth (exact) and age (within
 * the time the publishes took) after a known backlog over several partitions, and dead letters
 * searched page by page, counted, replayed and purged by filter.
 */
class KafkaOperationsTest {

  private static String name(String prefix) {
    return prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  private static Event event(String type, String text) {
    return Event.builder().source("urn:test").type(type).key(text).text(text).build();
  }

  @Test
  void lagDepthIsExactAndAgeIsThatOfTheOldestUnhandledEventPerPartition() throws Exception {
    String topic = name("lag");
    String group = "reader";
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "3")))) {
      Operations ops = bus.operations();
      assertThat(bus.capabilities().has(Capability.LAG)).isTrue();
      Set<String> handled = ConcurrentHashMap.newKeySet();
      Subscription s = bus.subscribe(topic, SubscribeOptions.builder().group(group)
          .startPosition(StartPosition.EARLIEST).build(), d -> handled.add(d.event().id()));
      for (int i = 0; i < 6; i++) {
        bus.publish(topic, event("t", "handled-" + i)).join();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 6);
      s.close(); // commits what it handled
      assertThat(ops.lag(topic, group).depth()).isZero();
      assertThat(ops.lag(topic, group).age()).isEqualTo(Duration.ZERO);

      // The backlog: per partition, how many and when the first of them was being published.
      Map<Integer, Integer> depth = new HashMap<>();
      Map<Integer, Instant> firstBefore = new HashMap<>();
      Map<Integer, Instant> firstAfter = new HashMap<>();
      for (int i = 0; i < 30; i++) {
        Instant before = Instant.now();
        PublishReceipt r = bus.publish(topic, event("t", "backlog-" + i)).join();
        Instant after = Instant.now();
        int partition = Integer.parseInt(r.position().substring(0, r.position().indexOf('@')));
        depth.merge(partition, 1, Integer::sum);
        firstBefore.putIfAbsent(partition, before);
        firstAfter.putIfAbsent(partition, after);
      }
      assertThat(depth).as("the backlog spans several partitions").hasSizeGreaterThan(1);
      // Let the backlog age measurably.
      await().pollDelay(Duration.ofSeconds(1)).until(() -> true);

      GroupLag lag = ops.lag(topic, group);
      assertThat(lag.topic()).isEqualTo(topic);
      assertThat(lag.group()).isEqualTo(group);
      assertThat(lag.depth()).isEqualTo(30);
      assertThat(lag.partitions()).extracting(PartitionLag::partition).containsExactly(0, 1, 2);
      for (PartitionLag p : lag.partitions()) {
        int expected = depth.getOrDefault(p.partition(), 0);
        assertThat(p.depth()).as("depth of partition %s", p.partition()).isEqualTo(expected);
        if (expected == 0) {
          assertThat(p.age()).isEqualTo(Duration.ZERO);
          continue;
        }
        // The record's timestamp was taken while its publish ran.
        Duration atLeast = Duration.between(firstAfter.get(p.partition()), lag.measuredAt());
        Duration atMost = Duration.between(firstBefore.get(p.partition()), lag.measuredAt());
        assertThat(p.age()).as("age of partition %s", p.partition())
            .isBetween(atLeast.minusMillis(1), atMost.plusMillis(1));
        assertThat(p.age()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
      }
      assertThat(lag.age()).isEqualTo(lag.partitions().stream().map(PartitionLag::age)
          .max(Duration::compareTo).orElseThrow());

      // A group that never ran would start from the log start: everything is its depth.
      assertThat(ops.lag(topic, "never-ran").depth()).isEqualTo(36);
      assertThat(ops.groups(topic)).containsExactly(group);
      assertThat(ops.topics()).contains(topic);
      assertThat(ops.lag(name("unknown"), group).partitions()).isEmpty();

      // Draining the backlog brings the lag back to zero.
      bus.subscribe(topic, SubscribeOptions.group(group), d -> handled.add(d.event().id()));
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        GroupLag drained = ops.lag(topic, group);
        assertThat(drained.depth()).isZero();
        assertThat(drained.age()).isEqualTo(Duration.ZERO);
      });
    }
  }

  @Test
  void deadLettersAreSearchedPageByPageCountedReplayedAndPurgedByFilter() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = name("dlops");
    Set<String> failing = ConcurrentHashMap.newKeySet();
    failing.addAll(List.of("bad-a", "bad-b"));
    Set<String> handled = ConcurrentHashMap.newKeySet();
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.partitions", "2")))) {
      Operations ops = bus.operations();
      RetryPolicy once = RetryPolicy.builder().maxAttempts(1).build();
      for (String group : List.of("billing", "audit")) {
        bus.subscribe(topic, SubscribeOptions.builder().group(group).retryPolicy(once).build(),
            d -> {
              if (failing.contains(d.event().type())) {
                throw new IllegalStateException("cannot handle " + d.event().id());
              }
              handled.add(group + ":" + d.event().id());
            });
      }
      List<Event> badA = new ArrayList<>();
      List<Event> badB = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        badA.add(event("bad-a", "a" + i));
      }
      for (int i = 0; i < 3; i++) {
        badB.add(event("bad-b", "b" + i));
      }
      bus.publishAll(topic, badA).join();
      bus.publishAll(topic, badB).join();
      try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        raw.send(new ProducerRecord<>(topic, "not an event".getBytes(StandardCharsets.UTF_8)))
            .get();
      }
      await().atMost(Duration.ofSeconds(60)).until(() ->
          bus.deadLetters().count(topic, "billing") == 9
              && bus.deadLetters().count(topic, "audit") == 9);

      assertThat(ops.deadLetterCounts(topic, "billing")).isEqualTo(Map.of(
          DeadLetterReason.RETRIES_EXHAUSTED, 8L, DeadLetterReason.UNDECODABLE, 1L));
      assertThat(ops.topics()).contains(topic)
          .doesNotContain(topic + ".billing.dlq", topic + ".audit.dlq");
      assertThat(ops.groups(topic)).containsExactly("audit", "billing");

      // Page by page, three at a time: every dead letter of the group once, oldest first.
      List<DeadLetter> paged = pages(ops, DeadLetterQuery.builder(topic).group("billing")
          .limit(3));
      assertThat(paged).hasSize(9);
      assertThat(paged).extracting(DeadLetter::id).doesNotHaveDuplicates();
      assertThat(paged).extracting(DeadLetter::group).containsOnly("billing");
      assertThat(paged).extracting(DeadLetter::deadLetteredAt).isSorted();
      // Without a group: both groups' dead-letter topics, merged.
      List<DeadLetter> both = pages(ops, DeadLetterQuery.builder(topic).limit(4));
      assertThat(both).hasSize(18);
      assertThat(both).extracting(DeadLetter::deadLetteredAt).isSorted();
      assertThat(both.stream().filter(d -> d.group().equals("audit"))).hasSize(9);
      // Filters: type, event id, reason, time.
      assertThat(pages(ops, DeadLetterQuery.builder(topic).type("bad-b").limit(2)))
          .extracting(d -> d.event().id()).hasSize(6)
          .containsOnly(badB.stream().map(Event::id).toArray(String[]::new));
      assertThat(ops.deadLetters(DeadLetterQuery.builder(topic).group("audit")
          .eventId(badA.get(2).id()).build()).items()).singleElement()
          .satisfies(d -> assertThat(d.event().id()).isEqualTo(badA.get(2).id()));
      assertThat(ops.deadLetters(DeadLetterQuery.builder(topic)
          .reason(DeadLetterReason.UNDECODABLE).build()).items()).hasSize(2);
      assertThat(ops.deadLetters(DeadLetterQuery.builder(topic)
          .deadLetteredBetween(null, paged.get(0).deadLetteredAt()).build()).items())
          .noneMatch(d -> d.id().equals(paged.get(0).id()) && d.group().equals("billing"));
      DeadLetterPage last = ops.deadLetters(DeadLetterQuery.builder(topic).group("billing")
          .limit(9).build());
      assertThat(last.items()).hasSize(9);
      assertThat(last.next()).isEmpty();
      assertThatThrownBy(() -> ops.deadLetters(DeadLetterQuery.builder(topic)
          .after("no-such-token!").build()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-token!");

      // Replay by filter: only billing's bad-b events go back, to billing only.
      failing.remove("bad-b");
      long replayed = ops.replayDeadLetters(DeadLetterQuery.builder(topic).group("billing")
          .type("bad-b").build());
      assertThat(replayed).isEqualTo(3);
      await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 3);
      assertThat(handled).containsExactlyInAnyOrderElementsOf(badB.stream()
          .map(e -> "billing:" + e.id()).toList());
      assertThat(ops.deadLetterCounts(topic, "billing")).isEqualTo(Map.of(
          DeadLetterReason.RETRIES_EXHAUSTED, 5L, DeadLetterReason.UNDECODABLE, 1L));
      assertThat(ops.deadLetterCounts(topic, "audit")).isEqualTo(Map.of(
          DeadLetterReason.RETRIES_EXHAUSTED, 8L, DeadLetterReason.UNDECODABLE, 1L));

      // Purge by filter, every group: the undecodable ones.
      assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic)
          .reason(DeadLetterReason.UNDECODABLE).build())).isEqualTo(2);
      assertThat(ops.deadLetterCounts(topic, "billing")).isEqualTo(Map.of(
          DeadLetterReason.RETRIES_EXHAUSTED, 5L));
      assertThat(ops.deadLetterCounts(topic, "audit")).isEqualTo(Map.of(
          DeadLetterReason.RETRIES_EXHAUSTED, 8L));
      // The page is ignored by bulk actions: all of audit's bad-a, not only the first.
      assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic).group("audit")
          .type("bad-a").limit(1).build())).isEqualTo(5);
      assertThat(bus.deadLetters().count(topic, "audit")).isEqualTo(3);
      assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic).type("bad-a").build()))
          .as("billing's bad-a are left").isEqualTo(5);
      assertThat(ops.deadLetterCounts(topic, "billing")).isEmpty();
      assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(topic).group("billing")
          .build())).isZero();
    }
  }

  private static List<DeadLetter> pages(Operations ops, DeadLetterQuery.Builder query) {
    List<DeadLetter> all = new ArrayList<>();
    Optional<String> next = Optional.empty();
    int pages = 0;
    do {
      if (next.isPresent()) {
        query.after(next.get());
      }
      DeadLetterPage page = ops.deadLetters(query.build());
      assertThat(pages++).as("pages").isLessThan(100);
      all.addAll(page.items());
      next = page.next();
    } while (next.isPresent());
    return all;
  }
}
