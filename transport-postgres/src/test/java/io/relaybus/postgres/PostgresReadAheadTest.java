package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A member reads ahead of its in-flight window (up to {@code fetch-size} events, or about
 * 1 MiB of events as large as the largest it last read) and hands the rest over as deliveries
 * finish; events read ahead of a partition it gives up are not lost and do not hold the
 * hand-over up: the next owner reads them.
 */
class PostgresReadAheadTest {
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_read_ahead");

  private static List<Event> events(String prefix, int count) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(Event.builder().id(prefix + i).source("urn:test").type("t").key("k" + i)
          .text("{\"n\":" + i + "}").build());
    }
    return events;
  }

  /** A bus whose members look for rows only when told (no heartbeat or poll within a test). */
  private static EventBus quietBus() {
    return DB.buses(Map.of("relaybus.postgres.lease-timeout", "60s",
        "relaybus.postgres.poll-interval", "10m")).bus();
  }

  private static void publish(EventBus bus, String topic, List<Event> events, int batch) {
    for (int i = 0; i < events.size(); i += batch) {
      bus.publishAll(topic, events.subList(i, Math.min(events.size(), i + batch))).join();
    }
  }

  @Test
  @DisplayName("a member with room for 4 events reads a 400-event backlog in a few fetches")
  void readsAheadOfASmallWindow() {
    EventBus bus = quietBus();
    publish(bus, "readahead.window", events("r", 400), 100);
    Set<String> received = ConcurrentHashMap.newKeySet();
    AtomicInteger handling = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    bus.subscribe("readahead.window", SubscribeOptions.builder().group("g").maxInFlight(4)
        .concurrency(4).build(), d -> {
          mostAtOnce.accumulateAndGet(handling.incrementAndGet(), Math::max);
          received.add(d.event().id());
          handling.decrementAndGet();
        });
    GroupMember member = bus.unwrap(PostgresTransport.class).members("readahead.window")
        .iterator().next();
    await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == 400);
    // The first fetch reads only what there is room for (the event size is not known yet);
    // then up to fetch-size (500) at a time. Without reading ahead: 100 fetches and more.
    assertThat(member.fetchAttempts()).as("fetches for 400 events, 4 at a time in flight")
        .isLessThanOrEqualTo(20);
    assertThat(mostAtOnce.get()).as("handlers running at once").isLessThanOrEqualTo(4);
  }

  @Test
  @DisplayName("large events are not read ahead: about 1 MiB at most")
  void largeEventsAreNotReadAhead() {
    EventBus bus = quietBus();
    byte[] data = new byte[256 * 1024];
    List<Event> backlog = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      data[0] = (byte) i;
      backlog.add(Event.builder().id("big" + i).source("urn:test").type("t").key("k" + i)
          .data(data).build());
    }
    publish(bus, "readahead.large", backlog, 10);
    Set<String> received = ConcurrentHashMap.newKeySet();
    bus.subscribe("readahead.large", SubscribeOptions.builder().group("g").maxInFlight(4)
        .concurrency(4).build(), d -> received.add(d.event().id()));
    GroupMember member = bus.unwrap(PostgresTransport.class).members("readahead.large")
        .iterator().next();
    await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == 40);
    // 1 MiB holds three events of 256 KiB, fewer than the 4 slots: each fetch reads only what
    // there is room for, at most 4 events. Read ahead like small events, two fetches would do.
    assertThat(member.fetchAttempts()).as("fetches for 40 events of 256 KiB, 4 slots")
        .isGreaterThanOrEqualTo(10);
  }

  /**
   * Events a cursor records as finished ahead of its position ({@code done_ahead}) stay recorded
   * when the member writes the cursor before it reaches them: a write that kept only the
   * finished events fetched again would let a later crash deliver the others again.
   */
  @Test
  @DisplayName("a cursor keeps the events finished ahead that its member has not reached")
  void cursorKeepsDoneAheadEventsNotFetchedAgain() throws Exception {
    TestBuses buses = DB.buses(Map.of("relaybus.postgres.fetch-size", "1",
        "relaybus.postgres.commit-interval", "50ms"));
    EventBus bus = buses.bus();
    String topic = "readahead.doneahead";
    bus.subscribe(topic, SubscribeOptions.builder().group("g").build(), d -> { }).close();
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 6; i++) { // one key: one partition, in order
      events.add(Event.builder().id("d" + i).source("urn:test").type("t").key("same").build());
    }
    bus.publishAll(topic, events).join();
    long fifth = DB.queryLong("SELECT seq FROM relaybus.all_events WHERE topic = '"
        + topic + "' AND id = 'd4'");
    long partition = DB.queryLong("SELECT partition FROM relaybus.all_events WHERE "
        + "topic = '" + topic + "' AND id = 'd4'");
    // As a member that finished d4 before the others, then stopped, would have left it.
    DB.execute("UPDATE relaybus.cursors SET done_ahead = ARRAY[" + fifth + "]::int8[] "
        + "WHERE topic = '" + topic + "' AND grp = 'g' AND partition = " + partition);

    CountDownLatch release = new CountDownLatch(1);
    Set<String> received = ConcurrentHashMap.newKeySet();
    bus.subscribe(topic, SubscribeOptions.builder().group("g").maxInFlight(1).concurrency(1)
        .build(), d -> {
          received.add(d.event().id());
          if (d.event().id().equals("d1")) {
            release.await(); // d0 finished, d1 held: the cursor moves to d0 and no further
          }
        });
    String cursorAtD0 = "SELECT count(*) FROM relaybus.cursors WHERE topic = '" + topic
        + "' AND grp = 'g' AND partition = " + partition + " AND last_seq = (SELECT seq FROM "
        + "relaybus.all_events WHERE topic = '" + topic + "' AND id = 'd0')";
    await().atMost(Duration.ofSeconds(30)).until(() -> DB.queryLong(cursorAtD0) == 1);
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.cursors WHERE topic = '"
        + topic + "' AND grp = 'g' AND partition = " + partition + " AND done_ahead = ARRAY["
        + fifth + "]::int8[]")).as("cursors written at d0 that still record d4 as finished")
        .isEqualTo(1);
    release.countDown();
    await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 5);
    assertThat(received).as("d4 was finished before: not delivered again")
        .containsExactlyInAnyOrder("d0", "d1", "d2", "d3", "d5");
  }

  @Test
  @DisplayName("events read ahead of partitions a member gives up go to their next owner")
  void readAheadOfAPartitionGivenUpIsReadByItsNextOwner() {
    TestBuses buses = DB.buses();
    EventBus first = buses.bus();
    publish(first, "readahead.handover", events("g", 300), 100);
    Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    Set<String> bySecond = ConcurrentHashMap.newKeySet();
    SubscribeOptions slow = SubscribeOptions.builder().group("g").maxInFlight(2).concurrency(2)
        .build();
    first.subscribe("readahead.handover", slow, d -> {
      deliveries.computeIfAbsent(d.event().id(), k -> new AtomicInteger()).incrementAndGet();
      Thread.sleep(5); // a handler's work: the member holds read-ahead events when B joins
    });
    GroupMember firstMember = first.unwrap(PostgresTransport.class)
        .members("readahead.handover").iterator().next();
    // The first member holds all 8 partitions and has read far ahead of its 2 slots.
    await().atMost(Duration.ofSeconds(30)).until(() -> deliveries.size() >= 20);
    EventBus second = buses.bus();
    second.subscribe("readahead.handover", slow, d -> {
      deliveries.computeIfAbsent(d.event().id(), k -> new AtomicInteger()).incrementAndGet();
      bySecond.add(d.event().id());
    });
    await().atMost(Duration.ofSeconds(30)).until(() ->
        firstMember.ownedPartitions().size() == 4);
    await().atMost(Duration.ofSeconds(60)).until(() -> deliveries.size() == 300);
    assertThat(bySecond).as("events the second member handled").isNotEmpty();
    // Handed over, not duplicated: a partition goes once its deliveries finished, with its
    // cursor after them and before every event read ahead and never handed to a handler.
    assertThat(deliveries.values().stream().filter(n -> n.get() > 1).count())
        .as("events delivered twice").isZero();
  }
}
