package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.StartPosition;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.EventStatus.Consumption;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import io.relaybus.tck.Recorder;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operations API on PostgreSQL: topics and groups, lag depth and age per partition over
 * rows and packs, dead letters by filter with keyset paging and bulk replay and purge, and
 * event lookup.
 */
class PostgresOperationsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String SOURCE = "urn:relaybus:test:ops";
  private static final int PARTITIONS = 4;

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_ops");
  private final TestBuses buses = DB.buses(Map.of("relaybus.postgres.partitions",
      Integer.toString(PARTITIONS)));

  private static Event event(String id, String type, String key) {
    return Event.builder().id(id).source(SOURCE).type(type).key(key).text(id).build();
  }

  /** Joins a group and leaves again: the group has cursors but consumes nothing. */
  private static void registerGroup(EventBus bus, String topic, String group) {
    bus.subscribe(topic, group, d -> { }).close();
  }

  /** Two keys on different partitions. */
  private static String[] keysOnTwoPartitions() {
    String first = "key-0";
    for (int i = 1; ; i++) {
      String other = "key-" + i;
      if (Partitioner.partition(other, PARTITIONS) != Partitioner.partition(first, PARTITIONS)) {
        return new String[] {first, other};
      }
    }
  }

  @Test
  @DisplayName("topics and groups list what is stored, sorted; an unknown topic has no groups")
  void topicsAndGroups() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    bus.publish("ops.topics-b", event("t1", "t", "k")).join();
    registerGroup(bus, "ops.topics-a", "zeta");
    registerGroup(bus, "ops.topics-a", "alpha");

    assertThat(ops.topics()).contains("ops.topics-a", "ops.topics-b").isSorted();
    assertThat(ops.groups("ops.topics-a")).containsExactly("alpha", "zeta");
    assertThat(ops.groups("ops.topics-b")).isEmpty();
    assertThat(ops.groups("ops.no-such-topic")).isEmpty();
    assertThat(bus.capabilities().has(Capability.LAG)).isTrue();
    assertThat(bus.capabilities().has(Capability.EVENT_LOOKUP)).isTrue();
    assertThat(bus.capabilities().has(Capability.WEBHOOK_ENDPOINTS)).isFalse();
    assertThatThrownBy(ops::endpoints).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("WEBHOOK_ENDPOINTS");
  }

  @Test
  @DisplayName("lag: depth exact and age of the oldest unfinished event per partition, over rows "
      + "and packs, without the events finished ahead of the cursor")
  void lagDepthAndAgePerPartition() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    String topic = "ops.lag";
    String group = "behind";
    registerGroup(bus, topic, group);
    String[] keys = keysOnTwoPartitions();
    int pa = Partitioner.partition(keys[0], PARTITIONS);
    int pb = Partitioner.partition(keys[1], PARTITIONS);

    // Partition a: three rows (single publishes) and a pack of five; partition b: a pack of ten.
    for (int i = 0; i < 3; i++) {
      bus.publish(topic, event("row-" + i, "t", keys[0])).join();
    }
    List<Event> packA = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      packA.add(event("pa-" + i, "t", keys[0]));
    }
    bus.publishAll(topic, packA).join();
    List<Event> packB = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      packB.add(event("pb-" + i, "t", keys[1]));
    }
    bus.publishAll(topic, packB).join();
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.packs WHERE topic = '" + topic
        + "'")).as("packs").isEqualTo(2);
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.events WHERE topic = '" + topic
        + "'")).as("rows").isEqualTo(3);
    // A known age: the rows were published two hours ago, partition b's pack one hour ago.
    DB.execute("UPDATE relaybus.events SET published_at = now() - interval '2 hours' WHERE "
        + "topic = '" + topic + "'");
    DB.execute("UPDATE relaybus.packs SET published_at = now() - interval '1 hour' WHERE "
        + "topic = '" + topic + "' AND partition = " + pb);

    GroupLag lag = ops.lag(topic, group);
    assertThat(lag.topic()).isEqualTo(topic);
    assertThat(lag.group()).isEqualTo(group);
    assertThat(lag.depth()).isEqualTo(18);
    assertThat(lag.age()).isCloseTo(Duration.ofHours(2), Duration.ofSeconds(10));
    assertThat(lag.measuredAt()).isCloseTo(Instant.now(), within(10, ChronoUnit.SECONDS));
    assertThat(lag.partitions()).extracting(PartitionLag::partition)
        .containsExactly(0, 1, 2, 3);
    for (PartitionLag p : lag.partitions()) {
      if (p.partition() == pa) {
        assertThat(p.depth()).isEqualTo(8);
        assertThat(p.age()).isCloseTo(Duration.ofHours(2), Duration.ofSeconds(10));
      } else if (p.partition() == pb) {
        assertThat(p.depth()).isEqualTo(10);
        assertThat(p.age()).isCloseTo(Duration.ofHours(1), Duration.ofSeconds(10));
      } else {
        assertThat(p.depth()).isZero();
        assertThat(p.age()).isZero();
      }
    }
    assertThat(bus.unwrap(PostgresTransport.class).lag(topic, group)).isEqualTo(18);

    // Events finished ahead of the cursor (acked out of order) are no lag: the three rows of
    // partition a, and one packed event of partition b.
    long packedSeq = DB.queryLong("SELECT seq FROM relaybus.all_events WHERE topic = '" + topic
        + "' AND id = 'pb-3'");
    DB.execute("UPDATE relaybus.cursors SET done_ahead = ARRAY(SELECT seq FROM relaybus.events "
        + "WHERE topic = '" + topic + "') WHERE topic = '" + topic + "' AND grp = '" + group
        + "' AND partition = " + pa);
    DB.execute("UPDATE relaybus.cursors SET done_ahead = ARRAY[" + packedSeq + "]::bigint[] "
        + "WHERE topic = '" + topic + "' AND grp = '" + group + "' AND partition = " + pb);
    lag = ops.lag(topic, group);
    assertThat(lag.depth()).isEqualTo(14);
    PartitionLag a = lag.partitions().get(pa);
    assertThat(a.depth()).isEqualTo(5);
    assertThat(a.age()).as("the rows are finished: the pack is the oldest left")
        .isLessThan(Duration.ofMinutes(5));
    assertThat(lag.partitions().get(pb).depth()).isEqualTo(9);

    // A group that consumed everything has no lag, and an unknown group none either.
    Recorder caughtUp = new Recorder();
    bus.subscribe(topic, SubscribeOptions.builder().group("caught-up")
        .startPosition(StartPosition.EARLIEST).build(),
        d -> caughtUp.record("c", d));
    await().atMost(PATIENCE).untilAsserted(() -> {
      GroupLag done = ops.lag(topic, "caught-up");
      assertThat(done.depth()).isZero();
      assertThat(done.age()).isZero();
      assertThat(done.partitions()).hasSize(PARTITIONS);
    });
    assertThat(caughtUp.distinct()).isEqualTo(18);
    GroupLag unknown = ops.lag(topic, "never-joined");
    assertThat(unknown.depth()).isZero();
    assertThat(unknown.partitions()).isEmpty();
  }

  @Test
  @DisplayName("lag does not count a replay addressed to another group")
  void lagIgnoresReplaysForOtherGroups() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    String topic = "ops.lag-replay";
    registerGroup(bus, topic, "bystander");
    bus.subscribe(topic, SubscribeOptions.builder().group("failing")
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          throw new IllegalStateException("fails");
        });
    bus.publish(topic, event("once", "t", "k")).join();
    await().atMost(PATIENCE).until(() -> bus.deadLetters().count(topic, "failing") == 1);
    assertThat(ops.lag(topic, "bystander").depth()).isOne();
    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(topic).group("failing").build()))
        .isOne();
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.events WHERE topic = '" + topic
        + "' AND target_group = 'failing'")).isOne();
    assertThat(ops.lag(topic, "bystander").depth()).isOne();
  }

  /** A group whose handler fails every event: type t.bad is not retryable, the others are. */
  private static SubscribeOptions failing(String group) {
    return SubscribeOptions.builder().group(group).retryPolicy(RetryPolicy.builder()
        .maxAttempts(1).abortOn(IllegalArgumentException.class).build()).build();
  }

  /** Dead-letters {@code count} events alternating types t.ok and t.bad in two groups. */
  private static void deadLetterAlternating(EventBus bus, String topic, int count,
      AtomicBoolean healthy, Recorder replayed) {
    for (String group : List.of("g1", "g2")) {
      bus.subscribe(topic, failing(group), d -> {
        if (healthy.get()) {
          replayed.record(group, d);
          return;
        }
        if (d.event().type().equals("t.bad")) {
          throw new IllegalArgumentException("bad");
        }
        throw new IllegalStateException("down");
      });
    }
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(event("dl-" + i, i % 2 == 0 ? "t.ok" : "t.bad", "k" + i));
    }
    bus.publishAll(topic, events).join();
    await().atMost(PATIENCE).until(() -> bus.deadLetters().count(topic, "g1") == count
        && bus.deadLetters().count(topic, "g2") == count);
  }

  @Test
  @DisplayName("dead letters: keyset pages oldest first cover every match once; filters by "
      + "group, event id, type, reason and time; counts per reason")
  void deadLetterSearchAndPaging() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    String topic = "ops.dead-letters";
    deadLetterAlternating(bus, topic, 25, new AtomicBoolean(), new Recorder());

    // Every group: 50 dead letters in pages of 20, 20, 10.
    List<DeadLetter> all = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    DeadLetterQuery.Builder q = DeadLetterQuery.builder(topic).limit(20);
    while (true) {
      DeadLetterPage page = ops.deadLetters(q.build());
      all.addAll(page.items());
      sizes.add(page.items().size());
      if (page.next().isEmpty()) {
        break;
      }
      q.after(page.next().get());
    }
    assertThat(sizes).containsExactly(20, 20, 10);
    assertThat(all).extracting(DeadLetter::id).doesNotHaveDuplicates();
    assertThat(all).extracting(DeadLetter::deadLetteredAt).isSorted();
    assertThat(all).extracting(DeadLetter::topic).containsOnly(topic);
    assertThat(all).extracting(DeadLetter::group).containsOnly("g1", "g2");

    // A page that ends exactly at the last match has no next page.
    DeadLetterPage exact = ops.deadLetters(DeadLetterQuery.builder(topic).group("g1").limit(25)
        .build());
    assertThat(exact.items()).hasSize(25);
    assertThat(exact.next()).isEmpty();

    Map<String, Long> byFilter = Map.of(
        "type", count(ops, DeadLetterQuery.builder(topic).group("g2").type("t.bad")),
        "reason", count(ops, DeadLetterQuery.builder(topic).reason(
            DeadLetterReason.NON_RETRYABLE)),
        "event", count(ops, DeadLetterQuery.builder(topic).eventId("dl-7")),
        "none", count(ops, DeadLetterQuery.builder(topic).eventId("no-such-event")));
    assertThat(byFilter).containsExactlyInAnyOrderEntriesOf(Map.of("type", 12L, "reason", 24L,
        "event", 2L, "none", 0L));
    DeadLetter middle = all.get(25);
    long before = count(ops, DeadLetterQuery.builder(topic).deadLetteredBetween(null,
        middle.deadLetteredAt()));
    long after = count(ops, DeadLetterQuery.builder(topic).deadLetteredBetween(
        middle.deadLetteredAt(), null));
    assertThat(before + after).isEqualTo(50);
    assertThat(after).isPositive();
    assertThat(count(ops, DeadLetterQuery.builder(topic).deadLetteredBetween(
        Instant.now().plusSeconds(3600), null))).isZero();

    assertThat(ops.deadLetterCounts(topic, "g1")).containsExactlyInAnyOrderEntriesOf(Map.of(
        DeadLetterReason.RETRIES_EXHAUSTED, 13L, DeadLetterReason.NON_RETRYABLE, 12L));
    assertThat(ops.deadLetterCounts(topic, "no-such-group")).isEmpty();

    assertThatThrownBy(() -> ops.deadLetters(DeadLetterQuery.builder(topic).after("not-a-token")
        .build())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not-a-token");
  }

  /** Every match of a filter, by following the pages. */
  private static long count(Operations ops, DeadLetterQuery.Builder query) {
    long n = 0;
    Set<String> seen = new HashSet<>();
    query.limit(7);
    while (true) {
      DeadLetterPage page = ops.deadLetters(query.build());
      for (DeadLetter d : page.items()) {
        assertThat(seen.add(d.id())).as("seen once: %s", d.id()).isTrue();
        n++;
      }
      if (page.next().isEmpty()) {
        return n;
      }
      query.after(page.next().get());
    }
  }

  @Test
  @DisplayName("bulk replay and purge act on exactly the filtered subset and say how many")
  void bulkReplayAndPurgeByFilter() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    String topic = "ops.bulk";
    AtomicBoolean healthy = new AtomicBoolean();
    Recorder replayed = new Recorder();
    deadLetterAlternating(bus, topic, 10, healthy, replayed);
    healthy.set(true);

    // Replay g1's retryable failures (type t.ok): five events, to g1 only.
    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(topic).group("g1").type("t.ok")
        .limit(1).build())).as("replayed, whatever the page size").isEqualTo(5);
    await().atMost(PATIENCE).until(() -> replayed.distinct() == 5);
    assertThat(replayed.all()).extracting(Recorder.Seen::member).containsOnly("g1");
    assertThat(replayed.ids()).containsExactlyInAnyOrder("dl-0", "dl-2", "dl-4", "dl-6",
        "dl-8");
    assertThat(bus.deadLetters().count(topic, "g1")).isEqualTo(5);
    assertThat(bus.deadLetters().count(topic, "g2")).isEqualTo(10);
    await().atMost(PATIENCE).until(() -> ops.lag(topic, "g1").depth() == 0);

    // Purge the non-retryable ones of every group: 5 + 5.
    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic)
        .reason(DeadLetterReason.NON_RETRYABLE).build())).isEqualTo(10);
    assertThat(bus.deadLetters().count(topic, "g1")).isZero();
    assertThat(ops.deadLetterCounts(topic, "g2")).containsExactlyEntriesOf(Map.of(
        DeadLetterReason.RETRIES_EXHAUSTED, 5L));

    // One event by id over all groups, then nothing left to match.
    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(topic).eventId("dl-2").build()))
        .isOne();
    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(topic).eventId("dl-2").build()))
        .isZero();
    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic).group("g2").build()))
        .isEqualTo(4);
    await().atMost(PATIENCE).until(() -> replayed.distinct() == 5
        && replayed.invocations() == 6);
  }

  @Test
  @DisplayName("event lookup: where the event is and, per group, consumed, pending or dead "
      + "letter, for rows and packs; a replay pending again is pending")
  void eventLookup() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    String topic = "ops.lookup";
    registerGroup(bus, topic, "idle");
    AtomicBoolean healthy = new AtomicBoolean();
    Recorder done = new Recorder();
    bus.subscribe(topic, "done", d -> done.record("d", d));
    bus.subscribe(topic, SubscribeOptions.builder().group("flaky")
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          if (!healthy.get()) {
            throw new IllegalStateException("down");
          }
        });
    bus.publish(topic, event("single", "t", "same")).join();
    bus.publishAll(topic, List.of(event("packed-0", "t", "same"),
        event("packed-1", "t", "same"))).join();
    await().atMost(PATIENCE).until(() -> done.distinct() == 3
        && bus.deadLetters().count(topic, "flaky") == 3);
    int partition = Partitioner.partition("same", PARTITIONS);

    for (String id : List.of("single", "packed-1")) {
      await().atMost(PATIENCE).untilAsserted(() -> {
        EventStatus status = ops.event(topic, id).orElseThrow();
        assertThat(status.topic()).isEqualTo(topic);
        assertThat(status.eventId()).isEqualTo(id);
        assertThat(status.location()).containsExactlyInAnyOrderEntriesOf(Map.of(
            "partition", Integer.toString(partition),
            "seq", Long.toString(DB.queryLong("SELECT seq FROM relaybus.all_events WHERE "
                + "topic = '" + topic + "' AND id = '" + id + "'"))));
        assertThat(status.groups()).containsExactlyInAnyOrderEntriesOf(Map.of(
            "idle", Consumption.PENDING, "done", Consumption.CONSUMED,
            "flaky", Consumption.DEAD_LETTER));
      });
    }
    assertThat(ops.event(topic, "no-such-event")).isEmpty();
    assertThat(ops.event("ops.other-topic", "single")).isEmpty();

    // Replayed and handled: consumed. The location stays the published copy's.
    String location = ops.event(topic, "single").orElseThrow().location().get("seq");
    healthy.set(true);
    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(topic).group("flaky")
        .eventId("single").build())).isOne();
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(ops.event(topic, "single")
        .orElseThrow().groups()).containsEntry("flaky", Consumption.CONSUMED));
    assertThat(ops.event(topic, "single").orElseThrow().location()).containsEntry("seq",
        location);
    assertThat(bus.unwrap(PostgresTransport.class).consumption(topic, "single"))
        .containsEntry("flaky", PostgresTransport.Consumption.CONSUMED)
        .containsEntry("idle", PostgresTransport.Consumption.PENDING);
  }

  @Test
  @DisplayName("a replayed dead letter not handled yet is pending for its group")
  void replayNotYetHandledIsPending() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    String topic = "ops.lookup-replay";
    Subscription failing = bus.subscribe(topic, SubscribeOptions.builder()
        .group("g").retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          throw new IllegalStateException("down");
        });
    bus.publish(topic, event("e", "t", "k")).join();
    await().atMost(PATIENCE).until(() -> bus.deadLetters().count(topic, "g") == 1);
    failing.close();
    assertThat(ops.event(topic, "e").orElseThrow().groups()).containsExactlyEntriesOf(
        Map.of("g", Consumption.DEAD_LETTER));
    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(topic).build())).isOne();
    assertThat(ops.event(topic, "e").orElseThrow().groups()).containsExactlyEntriesOf(
        Map.of("g", Consumption.PENDING));
    assertThat(ops.lag(topic, "g").depth()).isOne();
  }

  @Test
  @DisplayName("a dead letter keeps its event findable after retention deleted the event")
  void deadLetterOutlivesItsEvent() {
    EventBus bus = buses.bus();
    Operations ops = bus.operations();
    String topic = "ops.lookup-retained";
    Recorder fine = new Recorder();
    bus.subscribe(topic, "fine", d -> fine.record("f", d));
    bus.subscribe(topic, SubscribeOptions.builder().group("failing")
        .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
          throw new IllegalStateException("down");
        });
    bus.publish(topic, event("kept", "t", "k")).join();
    await().atMost(PATIENCE).until(() -> bus.deadLetters().count(topic, "failing") == 1
        && fine.distinct() == 1);
    Map<String, String> location = ops.event(topic, "kept").orElseThrow().location();
    // What retention does once every group finished the event.
    DB.execute("DELETE FROM relaybus.events WHERE topic = '" + topic + "'");

    EventStatus status = ops.event(topic, "kept").orElseThrow();
    assertThat(status.location()).isEqualTo(location);
    assertThat(status.groups()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "fine", Consumption.CONSUMED, "failing", Consumption.DEAD_LETTER));
    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(topic).build())).isOne();
    assertThat(ops.event(topic, "kept")).isEmpty();
  }
}
