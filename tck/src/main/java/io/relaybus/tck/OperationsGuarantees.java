package io.relaybus.tck;

import static io.relaybus.tck.TransportCompatibilityKit.SOURCE;
import static io.relaybus.tck.TransportCompatibilityKit.textEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.BusClosedException;
import io.relaybus.Capability;
import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.Subscription;
import io.relaybus.ops.DeadLetterPage;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.EventStatus;
import io.relaybus.ops.EventStatus.Consumption;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.GroupMember;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import io.relaybus.ops.PartitionLag;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The operations API ({@code bus.operations()}): topics, groups and their members, lag in events and in time
 * (capability {@code LAG}), dead letters found by filter, paged, counted, replayed and purged in
 * bulk ({@code DEAD_LETTERS}), an event's state per group ({@code EVENT_LOOKUP}), health, and a
 * closed bus refusing all of it.
 */
abstract class OperationsGuarantees extends GuaranteeFamily {

  /** How long a backlog waits, unconsumed, before its lag is measured. */
  static final Duration BACKLOG_WAIT = Duration.ofMillis(1500);
  /**
   * How much a lag age may exceed the true age (the time since the first backlog event was
   * handed to publish): clock reads on the transport's side and the measuring call itself.
   */
  static final Duration LAG_AGE_TOLERANCE = Duration.ofSeconds(1);

  private static final String TYPE_A = "tck.ops.a";
  private static final String TYPE_B = "tck.ops.b";
  private static final String TYPE_ORDER = "tck.ops.order";

  OperationsGuarantees(TransportCompatibilityKit kit) {
    super(kit);
  }

  @Test
  @DisplayName("topics() lists the topics published and subscribed to, sorted; groups(topic) "
      + "lists exactly the topic's groups, sorted, and a group stays listed after its last "
      + "member closed; an unknown topic has no groups")
  void topicsAndGroupsAreListed() {
    EventBus bus = bus();
    Operations ops = bus.operations();
    String topicA = uniqueName("a");
    String topicB = uniqueName("b");
    String group1 = uniqueName("g1");
    String group2 = uniqueName("g2");
    String group3 = uniqueName("g3");
    Recorder r1 = new Recorder();
    Recorder r2 = new Recorder();
    Recorder r3 = new Recorder();
    Subscription s1 = bus.subscribe(topicA, options(group1).build(), d -> r1.record("1", d));
    bus.subscribe(topicA, options(group2).build(), d -> r2.record("2", d));
    bus.subscribe(topicB, options(group3).build(), d -> r3.record("3", d));
    publishTexts(bus, topicA, 0, 5, null);
    publishTexts(bus, topicB, 0, 5, null);
    await().atMost(patience()).until(() -> r1.distinct() == 5 && r2.distinct() == 5
        && r3.distinct() == 5);
    List<String> groupsOfA = Stream.of(group1, group2).sorted().toList();

    await().atMost(patience()).untilAsserted(() -> {
      assertThat(ops.topics()).contains(topicA, topicB).isSorted();
      assertThat(ops.groups(topicA)).containsExactlyElementsOf(groupsOfA);
      assertThat(ops.groups(topicB)).containsExactly(group3);
    });
    s1.close();
    awaitQuietly(() -> assertThat(ops.groups(topicA)).as("groups after %s's member closed",
        group1).containsExactlyElementsOf(groupsOfA));
    assertThat(ops.groups(uniqueName("unknown"))).isEmpty();
  }

  @Test
  @DisplayName("members: two running members of a group are listed, distinct, holding every "
      + "partition between them; once one closes, eventually only the other; an unknown group "
      + "or topic has none")
  void membersOfAGroupAreListed() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.CONSUMER_GROUPS);
    Operations ops = bus.operations();
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder r = new Recorder();
    Subscription first = bus.subscribe(topic, options(group).build(), d -> r.record("1", d));
    bus.subscribe(topic, options(group).build(), d -> r.record("2", d));
    publishTexts(bus, topic, 0, 4, null);
    await().atMost(patience()).until(() -> r.distinct() == 4);

    await().atMost(patience()).untilAsserted(() -> {
      List<GroupMember> members = ops.members(topic, group);
      assertThat(members).as("members of %s", group).hasSize(2)
          .extracting(GroupMember::id).doesNotHaveDuplicates().isSorted();
      Set<Integer> held = new HashSet<>();
      members.forEach(m -> held.addAll(m.partitions()));
      assertThat(held).as("partitions held").isNotEmpty();
      if (bus.capabilities().has(Capability.LAG)) {
        assertThat(held).as("partitions held").containsExactlyInAnyOrderElementsOf(
            ops.lag(topic, group).partitions().stream().map(PartitionLag::partition).toList());
      }
      assertThat(members).allSatisfy(m -> m.lastSeen().ifPresent(seen ->
          assertThat(seen).isBefore(Instant.now().plusSeconds(1))));
    });
    first.close();
    await().atMost(patience()).untilAsserted(() ->
        assertThat(ops.members(topic, group)).as("members after one closed").hasSize(1));
    assertThat(ops.members(topic, uniqueName("unknown"))).isEmpty();
    assertThat(ops.members(uniqueName("unknown"), group)).isEmpty();
  }

  @Test
  @DisplayName("lag: a backlog of N events over several keys, published while the group has no "
      + "running member, has depth N (the partitions' depths summing to it) and an age, counted "
      + "from publishing, of at least the time waited and at most the time since publishing plus "
      + "1 s; once consumed, depth 0 and age zero")
  void lagCountsABacklogInEventsAndAge() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.LAG);
    assumeCapability(bus, Capability.BACKLOG);
    Operations ops = bus.operations();
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Recorder warmUp = new Recorder();
    Subscription first = bus.subscribe(topic, options(group).build(),
        d -> warmUp.record("w", d));
    publishTexts(bus, topic, 0, 4, null);
    await().atMost(patience()).until(() -> warmUp.distinct() == 4);
    first.close();
    await().atMost(patience()).untilAsserted(() -> assertFinished(ops.lag(topic, group)));

    int n = 40;
    // The age counts from publishing, not from the event's own time: these events say they
    // happened an hour earlier.
    Instant anHourAgo = Instant.now().minus(Duration.ofHours(1));
    long beforePublish = System.nanoTime();
    List<Event> backlog = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      backlog.add(textEvent("backlog-" + i, "key-" + (i % 16)).toBuilder().time(anHourAgo)
          .build());
    }
    bus.publishAll(topic, backlog).join();
    elapse(BACKLOG_WAIT);

    await().atMost(patience()).untilAsserted(() -> {
      GroupLag lag = ops.lag(topic, group);
      Duration sincePublish = Duration.ofNanos(System.nanoTime() - beforePublish);
      assertThat(lag.topic()).isEqualTo(topic);
      assertThat(lag.group()).isEqualTo(group);
      assertThat(lag.depth()).as("depth").isEqualTo(n);
      assertThat(lag.partitions()).isNotEmpty();
      assertThat(lag.partitions().stream().mapToLong(PartitionLag::depth).sum())
          .as("sum of the partitions' depths").isEqualTo(lag.depth());
      assertThat(lag.partitions()).extracting(PartitionLag::partition).doesNotHaveDuplicates();
      assertThat(lag.age()).as("age: the oldest partition's")
          .isEqualTo(lag.partitions().stream().map(PartitionLag::age)
              .max(Comparator.naturalOrder()).orElseThrow());
      assertThat(lag.age()).as("age").isGreaterThanOrEqualTo(BACKLOG_WAIT)
          .isLessThanOrEqualTo(sincePublish.plus(LAG_AGE_TOLERANCE));
    });

    Recorder drain = new Recorder();
    bus.subscribe(topic, options(group).build(), d -> drain.record("d", d));
    await().atMost(patience()).until(() -> drain.distinct() == n);
    await().atMost(patience()).untilAsserted(() -> assertFinished(ops.lag(topic, group)));
  }

  private static void assertFinished(GroupLag lag) {
    assertThat(lag.depth()).as("depth").isZero();
    assertThat(lag.age()).as("age").isZero();
    assertThat(lag.partitions()).allSatisfy(p -> {
      assertThat(p.depth()).as("depth of partition %d", p.partition()).isZero();
      assertThat(p.age()).as("age of partition %d", p.partition()).isZero();
    });
  }

  @Test
  @DisplayName("dead letters are found by event type, reason, event id, group and time range "
      + "(from inclusive, to exclusive), and counted per reason exactly")
  void deadLettersAreFoundByFilterAndCountedPerReason() {
    DeadLetterScenario s = new DeadLetterScenario(bus());
    Operations ops = s.ops;

    assertThat(s.keys(q -> q)).as("the topic's dead letters")
        .isEqualTo(union(s.in(s.group, s.typeA), s.in(s.group, s.typeB),
            s.in(s.group, s.order), s.in(s.other, s.order)));
    assertThat(s.keys(q -> q.group(s.group))).as("one group's")
        .isEqualTo(union(s.in(s.group, s.typeA), s.in(s.group, s.typeB),
            s.in(s.group, s.order)));
    assertThat(s.keys(q -> q.type(TYPE_A))).as("by type")
        .isEqualTo(s.in(s.group, s.typeA));
    assertThat(s.keys(q -> q.reason(DeadLetterReason.NON_RETRYABLE))).as("by reason")
        .isEqualTo(s.in(s.group, List.of(s.typeA.get(2), s.typeB.get(1), s.typeB.get(2))));
    assertThat(s.keys(q -> q.reason(DeadLetterReason.UNDECODABLE))).as("undecodable")
        .isEqualTo(union(s.in(s.group, s.order), s.in(s.other, s.order)));
    assertThat(s.keys(q -> q.type(TYPE_B).reason(DeadLetterReason.RETRIES_EXHAUSTED)))
        .as("by type and reason").isEqualTo(s.in(s.group, List.of(s.typeB.get(0))));
    assertThat(s.keys(q -> q.reason(DeadLetterReason.UNDECODABLE).group(s.other)))
        .as("by reason and group").isEqualTo(s.in(s.other, s.order));
    assertThat(s.keys(q -> q.deadLetteredBetween(null, s.boundary))).as("before %s",
        s.boundary).isEqualTo(union(s.in(s.group, s.typeA), s.in(s.group, s.order),
            s.in(s.other, s.order)));
    assertThat(s.keys(q -> q.deadLetteredBetween(s.boundary, null))).as("from %s",
        s.boundary).isEqualTo(s.in(s.group, s.typeB));
    assertThat(s.keys(q -> q.deadLetteredBetween(s.boundary, s.boundary)))
        .as("an empty range").isEmpty();

    Event one = s.typeA.get(0);
    List<DeadLetter> byId = s.all(q -> q.eventId(one.id()));
    assertThat(byId).hasSize(1);
    DeadLetter dl = byId.get(0);
    assertThat(dl.event()).isEqualTo(one);
    assertThat(dl.topic()).isEqualTo(s.topic);
    assertThat(dl.group()).isEqualTo(s.group);
    assertThat(dl.reason()).isEqualTo(DeadLetterReason.RETRIES_EXHAUSTED);
    assertThat(dl.attempts()).isEqualTo(2);
    assertThat(dl.lastError()).contains("IllegalStateException");
    assertThat(s.all(q -> q.eventId("no-such-event"))).isEmpty();
    assertThat(ops.deadLetters(DeadLetterQuery.builder(uniqueName("unknown")).build()).items())
        .isEmpty();

    assertThat(ops.deadLetterCounts(s.topic, s.group)).isEqualTo(Map.of(
        DeadLetterReason.RETRIES_EXHAUSTED, 3L, DeadLetterReason.NON_RETRYABLE, 3L,
        DeadLetterReason.UNDECODABLE, 1L));
    assertThat(ops.deadLetterCounts(s.topic, s.other))
        .isEqualTo(Map.of(DeadLetterReason.UNDECODABLE, 1L));
    assertThat(ops.deadLetterCounts(s.topic, uniqueName("unknown"))).isEmpty();
  }

  @Test
  @DisplayName("dead-letter paging: pages of 2 walk every match exactly once, oldest first, and "
      + "the last page has no next token, with and without a filter")
  void deadLetterPagesWalkEveryMatchOnce() {
    DeadLetterScenario s = new DeadLetterScenario(bus());
    Operations ops = s.ops;

    List<DeadLetterPage> pages = pages(ops, DeadLetterQuery.builder(s.topic).limit(2));
    assertThat(pages).as("pages of 8 dead letters").hasSize(4);
    assertWalk(pages, 8);
    assertThat(keysOf(pages.stream().flatMap(p -> p.items().stream()).toList()))
        .isEqualTo(s.keys(q -> q));

    List<DeadLetterPage> filtered = pages(ops, DeadLetterQuery.builder(s.topic)
        .reason(DeadLetterReason.NON_RETRYABLE).limit(2));
    assertThat(filtered).as("pages of 3 non-retryable dead letters").hasSize(2);
    assertWalk(filtered, 3);
    assertThat(keysOf(filtered.stream().flatMap(p -> p.items().stream()).toList()))
        .isEqualTo(s.in(s.group, List.of(s.typeA.get(2), s.typeB.get(1), s.typeB.get(2))));
  }

  private static void assertWalk(List<DeadLetterPage> pages, int total) {
    List<DeadLetter> walked = new ArrayList<>();
    for (int i = 0; i < pages.size(); i++) {
      DeadLetterPage page = pages.get(i);
      boolean last = i == pages.size() - 1;
      assertThat(page.items()).as("page %d", i).hasSize(last ? total - 2 * i : 2);
      assertThat(page.next()).as("next of page %d", i).matches(n -> n.isPresent() != last);
      walked.addAll(page.items());
    }
    assertThat(walked).extracting(dl -> dl.group() + "/" + dl.id())
        .as("dead letters walked").doesNotHaveDuplicates().hasSize(total);
    assertThat(walked).extracting(DeadLetter::deadLetteredAt).as("oldest first").isSorted();
  }

  @Test
  @DisplayName("replayDeadLetters(filter) replays exactly the matching dead letters, returns "
      + "how many, delivers each again to its own group, and leaves the others dead letters")
  void replayByFilterRedeliversExactlyTheSubset() {
    DeadLetterScenario s = new DeadLetterScenario(bus());
    Operations ops = s.ops;
    s.healed.set(true);

    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(s.topic).group(s.group)
        .type(TYPE_A).build())).as("replayed of type A").isEqualTo(3);
    await().atMost(patience()).until(() -> s.healedDeliveries.distinct() == 3);
    awaitQuietly(() -> {
      assertThat(s.healedDeliveries.ids()).isEqualTo(ids(s.typeA));
      assertThat(s.healedDeliveries.invocations()).isEqualTo(3);
    });
    assertThat(s.healedDeliveries.all()).extracting(Recorder.Seen::attempt)
        .containsOnly(1);
    await().atMost(patience()).untilAsserted(() -> assertThat(s.keys(q -> q))
        .isEqualTo(union(s.in(s.group, s.typeB), s.in(s.group, s.order),
            s.in(s.other, s.order))));
    assertThat(ops.deadLetterCounts(s.topic, s.group)).isEqualTo(Map.of(
        DeadLetterReason.RETRIES_EXHAUSTED, 1L, DeadLetterReason.NON_RETRYABLE, 2L,
        DeadLetterReason.UNDECODABLE, 1L));

    assertThat(ops.replayDeadLetters(DeadLetterQuery.builder(s.topic)
        .reason(DeadLetterReason.RETRIES_EXHAUSTED).build()))
        .as("replayed over every group by reason").isEqualTo(1);
    await().atMost(patience()).until(() -> s.healedDeliveries.distinct() == 4);
    awaitQuietly(() -> {
      assertThat(s.healedDeliveries.ids()).isEqualTo(union(ids(s.typeA),
          ids(List.of(s.typeB.get(0)))));
      assertThat(s.healedDeliveries.invocations()).isEqualTo(4);
      assertThat(s.otherDeliveries.invocations()).as("deliveries to the other group")
          .isEqualTo(s.typeA.size() + s.typeB.size());
    });
    await().atMost(patience()).untilAsserted(() -> assertThat(s.keys(q -> q))
        .isEqualTo(union(s.in(s.group, List.of(s.typeB.get(1), s.typeB.get(2))),
            s.in(s.group, s.order), s.in(s.other, s.order))));
  }

  @Test
  @DisplayName("purgeDeadLetters(filter) deletes exactly the matching dead letters, returns how "
      + "many, and delivers nothing")
  void purgeByFilterRemovesExactlyTheSubset() {
    DeadLetterScenario s = new DeadLetterScenario(bus());
    Operations ops = s.ops;
    s.healed.set(true);

    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(s.topic)
        .reason(DeadLetterReason.NON_RETRYABLE).build())).as("purged non-retryable")
        .isEqualTo(3);
    await().atMost(patience()).untilAsserted(() -> assertThat(s.keys(q -> q))
        .isEqualTo(union(s.in(s.group, List.of(s.typeA.get(0), s.typeA.get(1),
            s.typeB.get(0))), s.in(s.group, s.order), s.in(s.other, s.order))));

    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(s.topic).group(s.other).build()))
        .as("purged of the other group").isEqualTo(1);
    await().atMost(patience()).untilAsserted(() -> assertThat(s.keys(q -> q))
        .isEqualTo(union(s.in(s.group, List.of(s.typeA.get(0), s.typeA.get(1),
            s.typeB.get(0))), s.in(s.group, s.order))));
    assertThat(ops.deadLetterCounts(s.topic, s.group)).isEqualTo(Map.of(
        DeadLetterReason.RETRIES_EXHAUSTED, 3L, DeadLetterReason.UNDECODABLE, 1L));
    assertThat(ops.deadLetterCounts(s.topic, s.other)).isEmpty();
    assertThat(ops.purgeDeadLetters(DeadLetterQuery.builder(s.topic).group(s.other).build()))
        .as("purged again").isZero();
    awaitQuietly(() -> assertThat(s.healedDeliveries.invocations()).as("deliveries after purge")
        .isZero());
  }

  @Test
  @DisplayName("event(topic, id) tells per group: CONSUMED by a group that handled it, PENDING "
      + "for a group whose members are stopped, DEAD_LETTER for a group that gave up; an "
      + "unknown id or topic is empty")
  void eventLookupTellsEachGroupsState() {
    EventBus bus = bus();
    assumeCapability(bus, Capability.EVENT_LOOKUP);
    assumeCapability(bus, Capability.BACKLOG);
    assumeCapability(bus, Capability.DEAD_LETTERS);
    Operations ops = bus.operations();
    String topic = uniqueName("t");
    String consumed = uniqueName("consumed");
    String pending = uniqueName("pending");
    String dead = uniqueName("dead");
    Event warmUp = textEvent("warm-up", null);
    Event target = textEvent("target", null);
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    Recorder c = new Recorder();
    bus.subscribe(topic, options(consumed).build(), d -> a.record("a", d));
    Subscription stopped = bus.subscribe(topic, options(pending).build(),
        d -> b.record("b", d));
    bus.subscribe(topic, options(dead).retryPolicy(RetryPolicy.noRetries()).build(), d -> {
      c.record("c", d);
      if (d.event().id().equals(target.id())) {
        throw new IllegalStateException("gives up on " + target.id());
      }
    });
    bus.publish(topic, warmUp).join();
    await().atMost(patience()).until(() -> a.distinct() == 1 && b.distinct() == 1
        && c.distinct() == 1);
    stopped.close();

    bus.publish(topic, target).join();
    await().atMost(patience()).until(() -> a.ids().contains(target.id()));
    await().atMost(patience()).until(() -> !ops.deadLetters(DeadLetterQuery.builder(topic)
        .group(dead).eventId(target.id()).build()).items().isEmpty());
    await().atMost(patience()).untilAsserted(() -> {
      EventStatus status = ops.event(topic, target.id()).orElseThrow();
      assertThat(status.topic()).isEqualTo(topic);
      assertThat(status.eventId()).isEqualTo(target.id());
      assertThat(status.location()).as("location").isNotEmpty();
      assertThat(status.groups()).isEqualTo(Map.of(consumed, Consumption.CONSUMED,
          pending, Consumption.PENDING, dead, Consumption.DEAD_LETTER));
      assertThat(ops.event(topic, warmUp.id()).orElseThrow().groups()).isEqualTo(Map.of(
          consumed, Consumption.CONSUMED, pending, Consumption.CONSUMED,
          dead, Consumption.CONSUMED));
    });
    assertThat(ops.event(topic, "no-such-event")).isEmpty();
    assertThat(ops.event(uniqueName("unknown"), target.id())).isEmpty();

    bus.subscribe(topic, options(pending).build(), d -> b.record("b", d));
    await().atMost(patience()).until(() -> b.ids().contains(target.id()));
    await().atMost(patience()).untilAsserted(() -> assertThat(ops.event(topic, target.id())
        .orElseThrow().groups()).containsEntry(pending, Consumption.CONSUMED));
  }

  @Test
  @DisplayName("health() of a fresh bus is UP, with at least one component, each UP and "
      + "without a reason")
  void freshBusIsHealthy() {
    EventBus bus = bus();
    await().atMost(patience()).untilAsserted(() -> {
      Health health = bus.operations().health();
      assertThat(health.status()).isEqualTo(Health.Status.UP);
      assertThat(health.components()).isNotEmpty().allSatisfy(c -> {
        assertThat(c.status()).as(c.name()).isEqualTo(Health.Status.UP);
        assertThat(c.reason()).as(c.name()).isEmpty();
      });
    });
  }

  @Test
  @DisplayName("a closed bus refuses operations() and every Operations method with "
      + "BusClosedException, also on an Operations obtained before close, naming the topic "
      + "where there is one")
  void closedBusRefusesEveryOperationsCall() {
    EventBus bus = kit.createBus(Map.of()); // not closed by the kit: closing it is the test
    String topic = uniqueName("t");
    String group = uniqueName("g");
    Operations before = bus.operations();
    bus.close();

    assertThatThrownBy(bus::operations).isInstanceOf(BusClosedException.class)
        .hasMessageContaining("operations");
    DeadLetterQuery query = DeadLetterQuery.builder(topic).group(group).build();
    List<ThrowingCallable> naming = List.of(
        () -> before.groups(topic),
        () -> before.lag(topic, group),
        () -> before.members(topic, group),
        () -> before.deadLetters(query),
        () -> before.deadLetterCounts(topic, group),
        () -> before.replayDeadLetters(query),
        () -> before.purgeDeadLetters(query),
        () -> before.event(topic, "any-id"));
    for (ThrowingCallable call : naming) {
      assertThatThrownBy(call).isInstanceOf(BusClosedException.class)
          .hasMessageContaining(topic);
    }
    for (ThrowingCallable call : List.<ThrowingCallable>of(before::topics, before::endpoints,
        () -> before.testEndpoint("any"), () -> before.enableEndpoint("any"),
        () -> before.disableEndpoint("any"), before::health)) {
      assertThatThrownBy(call).isInstanceOf(BusClosedException.class);
    }
  }

  /**
   * A topic whose dead letters differ in type, reason and group, made in two waves with a
   * known instant between them. Group {@code group} (two attempts, {@code abortOn}
   * IllegalArgumentException) dead-letters type A {@code retry, retry, abort} and the
   * undecodable order in wave 1, type B {@code retry, abort, abort} in wave 2; group
   * {@code other} dead-letters only the undecodable order. Once {@link #healed}, {@code group}
   * handles types A and B and records them in {@link #healedDeliveries}.
   */
  private final class DeadLetterScenario {
    final EventBus bus;
    final Operations ops;
    final String topic = uniqueName("t");
    final String group = uniqueName("g");
    final String other = uniqueName("other");
    final AtomicBoolean healed = new AtomicBoolean();
    final Recorder healedDeliveries = new Recorder();
    final Recorder otherDeliveries = new Recorder();
    final List<Event> typeA = List.of(typed(TYPE_A, "retry"), typed(TYPE_A, "retry"),
        typed(TYPE_A, "abort"));
    final List<Event> typeB = List.of(typed(TYPE_B, "retry"), typed(TYPE_B, "abort"),
        typed(TYPE_B, "abort"));
    final List<Event> order = List.of(Event.builder().source(SOURCE).type(TYPE_ORDER)
        .dataContentType("application/json")
        .data("{\"id\": \"o-1\", \"quantity\": ".getBytes(StandardCharsets.UTF_8)).build());
    /** After every dead letter of wave 1, at or before every one of wave 2. */
    final Instant boundary;

    DeadLetterScenario(EventBus bus) {
      assumeCapability(bus, Capability.DEAD_LETTERS);
      this.bus = bus;
      this.ops = bus.operations();
      bus.subscribe(topic, options(group).retryPolicy(RetryPolicy.builder().maxAttempts(2)
          .fixedDelay(Duration.ofMillis(10)).abortOn(IllegalArgumentException.class).build())
          .build(), d -> {
            Event e = d.event();
            if (e.type().equals(TYPE_ORDER)) {
              d.data(DeadLetterGuarantees.Order.class);
            } else if (healed.get()) {
              healedDeliveries.record("healed", d);
            } else if (e.dataAsText().equals("abort")) {
              throw new IllegalArgumentException("refuses " + e.id());
            } else {
              throw new IllegalStateException("fails on " + e.id());
            }
          });
      bus.subscribe(topic, options(other).build(), d -> {
        if (d.event().type().equals(TYPE_ORDER)) {
          d.data(DeadLetterGuarantees.Order.class);
        } else {
          otherDeliveries.record("other", d);
        }
      });

      List<Event> wave1 = new ArrayList<>(typeA);
      wave1.addAll(order);
      bus.publishAll(topic, wave1).join();
      await().atMost(patience()).until(() -> deadLetterTotal(group) == 4
          && deadLetterTotal(other) == 1);
      Instant lastOfWave1 = all(q -> q).stream().map(DeadLetter::deadLetteredAt)
          .max(Comparator.naturalOrder()).orElseThrow();
      Instant seen = Instant.now();
      // Wave 2 is dead-lettered well after wave 1 on the transport's clock as well, whatever
      // its resolution.
      elapse(Duration.between(seen, max(seen, lastOfWave1)).plusMillis(50));
      this.boundary = lastOfWave1.plusMillis(1);

      bus.publishAll(topic, typeB).join();
      await().atMost(patience()).until(() -> deadLetterTotal(group) == 7
          && otherDeliveries.distinct() == typeA.size() + typeB.size());
    }

    /** Every dead letter of the topic matching a filter, walking all pages, none twice. */
    List<DeadLetter> all(UnaryOperator<DeadLetterQuery.Builder> filter) {
      List<DeadLetter> all = new ArrayList<>();
      for (DeadLetterPage page : pages(ops, filter.apply(DeadLetterQuery.builder(topic)
          .limit(DeadLetterQuery.MAX_LIMIT)))) {
        all.addAll(page.items());
      }
      assertThat(all).extracting(dl -> dl.group() + "/" + dl.id()).doesNotHaveDuplicates();
      return all;
    }

    /** The keys ({@code group/eventId}) of the dead letters matching a filter. */
    Set<String> keys(UnaryOperator<DeadLetterQuery.Builder> filter) {
      return keysOf(all(filter));
    }

    private long deadLetterTotal(String g) {
      return ops.deadLetterCounts(topic, g).values().stream().mapToLong(Long::longValue).sum();
    }

    /** The keys ({@code group/eventId}) of these events as dead letters of group {@code g}. */
    Set<String> in(String g, List<Event> events) {
      return events.stream().map(e -> g + "/" + e.id()).collect(Collectors.toSet());
    }

    private Event typed(String type, String text) {
      return Event.builder().source(SOURCE).type(type).text(text).build();
    }
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static List<DeadLetterPage> pages(Operations ops, DeadLetterQuery.Builder query) {
    List<DeadLetterPage> pages = new ArrayList<>();
    Optional<String> next = Optional.empty();
    do {
      next.ifPresent(query::after);
      DeadLetterPage page = ops.deadLetters(query.build());
      pages.add(page);
      next = page.next();
      assertThat(pages.size()).as("pages: no end in sight").isLessThan(1000);
    } while (next.isPresent());
    return pages;
  }

  private static Set<String> keysOf(List<DeadLetter> deadLetters) {
    return deadLetters.stream().map(dl -> dl.group() + "/" + dl.event().id())
        .collect(Collectors.toSet());
  }

  private static Set<String> ids(List<Event> events) {
    return events.stream().map(Event::id).collect(Collectors.toSet());
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> all = new HashSet<>();
    for (Set<String> s : sets) {
      all.addAll(s);
    }
    return all;
  }
}
