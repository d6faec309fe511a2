package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.tck.ChildJvm;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event held in retry backoff at the head of a partition does not make the next owner
 * handle again everything finished behind it: the commit metadata records the offsets finished
 * beyond the committed one, and the next owner skips them, after a SIGKILL as after a
 * rebalance, while the held event keeps its attempt count. When the metadata limit is too small
 * for them, nothing is lost: more is delivered again, with a WARN.
 */
class KafkaFinishedAheadTest {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaFinishedAheadTest.class);

  /** A second attempt after 200 ms, then a wait of 20 s: the event stays held meanwhile. */
  static final RetryPolicy HOLD = RetryPolicy.builder().maxAttempts(10)
      .backoff(Duration.ofMillis(200), Duration.ofSeconds(60), 100.0).jitter(0.0).build();

  private static final Duration COMMIT_INTERVAL = Duration.ofMillis(100);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static Admin admin;

  @BeforeAll
  static void admin() {
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        KafkaBroker.shared().bootstrapServers()));
  }

  @AfterAll
  static void closeAdmin() {
    admin.close();
  }

  @Test
  void aSigkilledMembersSuccessorSkipsWhatWasFinishedBehindAHeldEvent() {
    String topic = topic("ahead-crash");
    String group = "ahead-crash";
    try (EventBus bus = bus()) {
      Event held = event("held", 0);
      List<Event> rest = publish(bus, topic, held, 200, i -> "e" + i);
      try (ChildJvm child = member(topic, group, 4096, 0)) {
        await().atMost(Duration.ofSeconds(60)).until(() ->
            handled(child).size() == 200 && attempts(child, held.id()) == 2);
        // The member commits the finished events behind the held one within an interval.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          OffsetAndMetadata c = committed(topic, group);
          assertThat(c.offset()).isZero();
          assertThat(c.metadata()).startsWith("relaybus-attempts=2@0;");
          assertThat(OffsetCommitter.finishedAhead(c, 0, 201)).isEqualTo(200);
        });
        assertThat(bus.operations().lag(topic, group).depth())
            .as("lag depth counts only the held event").isEqualTo(1);
        child.kill();
      }

      Recorder successor = new Recorder();
      bus.subscribe(topic, options(group), d -> successor.record("successor", d));
      await().atMost(Duration.ofSeconds(60)).until(() -> successor.ids().contains(held.id()));
      Event marker = event("marker", 1);
      bus.publish(topic, marker).join();
      awaitAllCommitted(topic, group, 202);
      assertThat(successor.all()).extracting(s -> s.text() + "#" + s.attempt())
          .as("only the held event, with its third attempt, is delivered again")
          .containsExactly("held#3", "marker#1");
      assertThat(rest).hasSize(200);
      LOG.info("SIGKILL with one event held: 200 finished behind it, {} delivered again",
          successor.distinct() - 1);
    }
  }

  @Test
  void underLoadTheSuccessorRedeliversOnlyTheUnfinishedAndTheLastIntervalsEvents()
      throws Exception {
    String topic = topic("ahead-load");
    String group = "ahead-load";
    try (EventBus bus = bus()) {
      Event held = event("held", 0);
      List<Event> rest = publish(bus, topic, held, 2000, i -> "e" + i);
      Map<String, Long> killedHandled;
      long killedAt;
      OffsetAndMetadata last;
      try (ChildJvm child = member(topic, group, 4096, 10)) {
        await().atMost(Duration.ofSeconds(90)).until(() -> handled(child).size() >= 300
            && attempts(child, held.id()) == 2);
        killedAt = System.currentTimeMillis();
        child.kill();
        killedHandled = handled(child);
        last = committed(topic, group);
      }
      assertThat(killedHandled.size()).as("killed mid-stream").isLessThan(2000);

      Map<String, Long> offsets = new ConcurrentHashMap<>();
      Recorder successor = new Recorder();
      bus.subscribe(topic, options(group), d -> {
        successor.record("successor", d);
        offsets.put(d.event().id(), Long.parseLong(d.metadata().get("kafka.offset")));
      });
      awaitAllCommitted(topic, group, 2001);
      assertThat(successor.duplicates()).isEmpty();
      Set<String> all = new HashSet<>(successor.ids());
      all.addAll(killedHandled.keySet());
      assertThat(all).as("nothing lost").hasSize(2001);

      // Exactly what the last commit did not record as finished comes again.
      CommitMetadata meta = CommitMetadata.parse(last.metadata(), last.offset());
      long recorded = meta.finishedWithin(last.offset() + 1, 2001);
      assertThat(successor.distinct()).isEqualTo(2001 - last.offset() - recorded);
      for (Map.Entry<String, Long> e : offsets.entrySet()) {
        assertThat(e.getValue()).isGreaterThanOrEqualTo(last.offset());
        assertThat(meta.finishedWithin(e.getValue(), e.getValue() + 1)).isZero();
      }

      // Of the events the killed member had finished, only those of its last moments come again.
      List<Long> ages = new ArrayList<>();
      for (String id : successor.ids()) {
        Long at = killedHandled.get(id);
        if (at != null) {
          ages.add(killedAt - at);
        }
      }
      long unfinished = successor.distinct() - ages.size();
      long maxAge = ages.stream().mapToLong(Long::longValue).max().orElse(0);
      LOG.info("SIGKILL under load: {} finished by the killed member, {} unfinished at the kill "
          + "(held one included) and {} finished ones delivered again (the oldest finished {} ms "
          + "before the kill)", killedHandled.size(), unfinished, ages.size(), maxAge);
      assertThat(successor.all()).filteredOn(s -> s.eventId().equals(held.id()))
          .extracting(Recorder.Seen::attempt).containsExactly(3);
      // A commit every interval, the poll loop waiting up to a poll timeout before it commits,
      // and the commit's round trip (a second on a loaded machine).
      assertThat(maxAge).isLessThanOrEqualTo(
          COMMIT_INTERVAL.plus(POLL_TIMEOUT).plusSeconds(1).toMillis());
      assertThat(rest).hasSize(2000);
    }
  }

  @Test
  void afterARebalanceNothingFinishedIsDeliveredAgain() {
    String topic = topic("ahead-rebalance");
    String group = "ahead-rebalance";
    try (EventBus first = bus(); EventBus second = bus()) {
      Event held = event("held", 0);
      publish(first, topic, held, 200, i -> "e" + i);
      Recorder seen = new Recorder();
      Subscription leaving = first.subscribe(topic, options(group), d -> {
        seen.record("first", d);
        if (d.event().dataAsText().startsWith("held")) {
          throw new IllegalStateException("held, attempt " + d.attempt());
        }
      });
      await().atMost(Duration.ofSeconds(60)).until(() -> seen.invocations() == 202);
      second.subscribe(topic, options(group), d -> seen.record("second", d));
      leaving.close(); // the partition moves to the second member

      await().atMost(Duration.ofSeconds(60)).until(() -> seen.perMember().containsKey("second"));
      Event marker = event("marker", 1);
      first.publish(topic, marker).join();
      awaitAllCommitted(topic, group, 202);
      assertThat(seen.all()).filteredOn(s -> s.member().equals("second"))
          .extracting(s -> s.text() + "#" + s.attempt())
          .containsExactly("held#3", "marker#1");
    }
  }

  @Test
  void metadataTooSmallForTheFinishedRangesLosesNothingAndDeliversMoreAgain()
      throws Exception {
    String topic = topic("ahead-small");
    String group = "ahead-small";
    try (EventBus bus = bus()) {
      // Every fifth event is held: 20 held events split the 80 finished ones into 20 ranges.
      List<Event> events = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        events.add(event(i % 5 == 0 ? "held" + i : "e" + i, i));
      }
      bus.publishAll(topic, events).join();
      Map<String, Long> killedHandled;
      OffsetAndMetadata last;
      try (ChildJvm child = member(topic, group, 64, 0)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> handled(child).size() == 80
            && attempts(child, events.get(95).id()) == 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> child.errorLines().stream()
            .anyMatch(l -> l.contains("WARN") && l.contains("cannot record")
                && l.contains(KafkaSettings.COMMIT_METADATA_MAX_BYTES)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
            assertThat(committed(topic, group).metadata()).startsWith("relaybus-attempts=2@0;"));
        child.kill();
        killedHandled = handled(child);
        last = committed(topic, group);
      }
      assertThat(last.metadata().length()).isLessThanOrEqualTo(64);
      long recorded = OffsetCommitter.finishedAhead(last, 0, 100);
      assertThat(recorded).as("the ranges that fit").isBetween(1L, 79L);

      Recorder successor = new Recorder();
      bus.subscribe(topic, options(group), d -> successor.record("successor", d));
      awaitAllCommitted(topic, group, 100);
      Set<String> all = new HashSet<>(successor.ids());
      all.addAll(killedHandled.keySet());
      assertThat(all).as("nothing lost").hasSize(100);
      Set<String> again = new HashSet<>(successor.ids());
      again.retainAll(killedHandled.keySet());
      assertThat(again).as("finished events beyond the ranges that fit come again")
          .hasSize((int) (80 - recorded));
      assertThat(successor.distinct()).isEqualTo(20 + 80 - (int) recorded);
      LOG.info("metadata limited to 64 characters ({}): {} of 80 finished events recorded, {} "
          + "delivered again with the 20 held ones", last.metadata(), recorded, again.size());
    }
  }

  @Test
  void aBrokerLimitBelowTheSettingFallsBackToAttemptCountsOnly() throws Exception {
    String topic = topic("ahead-rejected");
    String group = "ahead-rejected";
    try (KafkaBroker small = KafkaBroker.startEmbedded("small-metadata",
            Map.of("offset.metadata.max.bytes", "128"));
        Admin smallAdmin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            small.bootstrapServers()));
        EventBus bus = bus(small)) {
      // 30 held events split the 120 finished ones into 30 ranges: more than 128 characters.
      List<Event> events = new ArrayList<>();
      for (int i = 0; i < 150; i++) {
        events.add(event(i % 5 == 0 ? "held" + i : "e" + i, i));
      }
      bus.publishAll(topic, events).join();
      Map<String, Long> killedHandled;
      try (ChildJvm child = member(small, topic, group, 4096, 0)) {
        await().atMost(Duration.ofSeconds(60)).until(() -> handled(child).size() == 120
            && attempts(child, events.get(145).id()) == 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> child.errorLines().stream()
            .anyMatch(l -> l.contains("WARN") && l.contains("rejected the commit metadata")
                && l.contains("offset.metadata.max.bytes")));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
            assertThat(committed(smallAdmin, topic, group).metadata())
                .as("commits go on with the attempt count only")
                .isEqualTo("relaybus-attempts=2@0"));
        child.kill();
        killedHandled = handled(child);
      }

      Recorder successor = new Recorder();
      bus.subscribe(topic, options(group), d -> successor.record("successor", d));
      awaitAllCommitted(smallAdmin, topic, group, 150);
      Set<String> all = new HashSet<>(successor.ids());
      all.addAll(killedHandled.keySet());
      assertThat(all).as("nothing lost").hasSize(150);
      assertThat(successor.distinct()).as("every finished event comes again").isEqualTo(150);
      assertThat(successor.all()).filteredOn(s -> s.eventId().equals(events.get(0).id()))
          .extracting(Recorder.Seen::attempt).as("the held event keeps its count")
          .containsExactly(3);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static EventBus bus() {
    return bus(KafkaBroker.shared());
  }

  private static EventBus bus(KafkaBroker broker) {
    return EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.partitions", "1",
        KafkaSettings.COMMIT_INTERVAL, COMMIT_INTERVAL.toMillis() + "ms",
        "relaybus.kafka.consumer.session.timeout.ms", "6000",
        "relaybus.kafka.consumer.heartbeat.interval.ms", "1000")));
  }

  private static SubscribeOptions options(String group) {
    return SubscribeOptions.builder().group(group).concurrency(4).retryPolicy(HOLD).build();
  }

  private static ChildJvm member(String topic, String group, int metadataLimit,
      int handleMillis) {
    return member(KafkaBroker.shared(), topic, group, metadataLimit, handleMillis);
  }

  private static ChildJvm member(KafkaBroker broker, String topic, String group,
      int metadataLimit, int handleMillis) {
    ChildJvm child = ChildJvm.builder(HoldingMemberMain.class).name("kafka-holding-member")
        .args(broker.bootstrapServers(), topic, group,
            Integer.toString(metadataLimit), Integer.toString(handleMillis))
        .jvmOption("-Xmx256m").start();
    child.awaitLineStartingWith("READY", Duration.ofSeconds(60));
    return child;
  }

  private static String topic(String prefix) {
    return prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  private static Event event(String text, int i) {
    return Event.builder().source("urn:test").type("ahead").key("k" + i).text(text).build();
  }

  private static List<Event> publish(EventBus bus, String topic, Event first, int more,
      java.util.function.IntFunction<String> text) {
    List<Event> batch = new ArrayList<>();
    batch.add(first);
    List<Event> rest = new ArrayList<>();
    for (int i = 1; i <= more; i++) {
      Event e = event(text.apply(i), i);
      rest.add(e);
      batch.add(e);
    }
    bus.publishAll(topic, batch).join();
    return rest;
  }

  /** Event ids the child finished, with when (epoch millis). */
  private static Map<String, Long> handled(ChildJvm child) {
    Map<String, Long> ids = new HashMap<>();
    for (String line : child.lines()) {
      if (line.startsWith("HANDLED ")) {
        String[] parts = line.split(" ");
        ids.put(parts[1], Long.parseLong(parts[2]));
      }
    }
    return ids;
  }

  /** The last attempt the child made on an event, 0 when none. */
  private static int attempts(ChildJvm child, String id) {
    int n = 0;
    for (String line : child.lines()) {
      if (line.startsWith("ATTEMPT " + id + " ")) {
        n = Math.max(n, Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    return n;
  }

  private static OffsetAndMetadata committed(String topic, String group) throws Exception {
    return committed(admin, topic, group);
  }

  private static OffsetAndMetadata committed(Admin admin, String topic, String group)
      throws Exception {
    return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
        .get(10, TimeUnit.SECONDS).get(new TopicPartition(topic, 0));
  }

  private static void awaitAllCommitted(String topic, String group, long end) {
    awaitAllCommitted(admin, topic, group, end);
  }

  private static void awaitAllCommitted(Admin admin, String topic, String group, long end) {
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      long logEnd = admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest()))
          .all().get(10, TimeUnit.SECONDS).get(new TopicPartition(topic, 0)).offset();
      assertThat(logEnd).isEqualTo(end);
      assertThat(committed(admin, topic, group).offset()).isEqualTo(end);
    });
  }
}
