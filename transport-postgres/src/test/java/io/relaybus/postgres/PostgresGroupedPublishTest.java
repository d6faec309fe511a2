package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The publish pipeline writes every request waiting for a writer with one multi-row INSERT
 * (auto-commit, one round trip): requests of several topics share it, rows keep submission
 * order, every event attribute is stored as given, and a request the database refuses fails
 * alone while the requests grouped with it are stored.
 */
class PostgresGroupedPublishTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final String SOURCE = "urn:relaybus:test:grouped";
  /** The test database's events table refuses this source (a constraint added below). */
  private static final String REFUSED_SOURCE = "urn:relaybus:test:refused";
  /** pool-size 3 gives the bus one publish writer, so concurrent requests share statements. */
  private static final Map<String, String> ONE_WRITER = Map.of("relaybus.postgres.pool-size",
      "3");

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_grouped");
  private final TestBuses buses = DB.buses();

  @BeforeAll
  static void refuseOneSource() {
    // Creates the schema, then makes the server refuse one kind of row.
    try (EventBus bus = EventBus.create(DB.config(Map.of()))) {
      bus.publish("grouped.setup", event("setup", SOURCE)).join();
    }
    DB.execute("ALTER TABLE relaybus.events ADD CONSTRAINT refuse_test_source "
        + "CHECK (source <> '" + REFUSED_SOURCE + "')");
    DB.execute("ALTER TABLE relaybus.packs ADD CONSTRAINT refuse_test_source "
        + "CHECK (NOT '" + REFUSED_SOURCE + "' = ANY (sources))");
  }

  private static Event event(String id, String source) {
    return Event.builder().id(id).source(source).type("grouped.test").text(id).build();
  }

  @Test
  @DisplayName("requests of two topics queued together are written in one statement, in "
      + "submission order")
  void queuedRequestsShareOneStatementInOrder() throws Exception {
    EventBus bus = buses.bus(ONE_WRITER);
    Round round = heldBackRound(bus, "shared", false);
    assertThat(round.refused).isEmpty();
    assertStoredInOrder("shared", round.acceptedInOrder);
    // Everything after the blocker went in one statement: one transaction id, both topics.
    try (Connection c = DB.connect("grouped-test-check");
        PreparedStatement ps = c.prepareStatement("SELECT count(DISTINCT txid), "
            + "count(DISTINCT topic) FROM relaybus.all_events WHERE id LIKE 'shared-e-%'");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1);
      assertThat(rs.getLong(2)).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("a request the database refuses fails alone, nothing of it stored; the requests "
      + "queued with it are stored in order")
  void refusedRequestFailsAlone() throws Exception {
    EventBus bus = buses.bus(ONE_WRITER);
    Round round = heldBackRound(bus, "mixed", true);
    assertThat(round.refused).hasSize(4);
    for (CompletableFuture<?> f : round.refused) {
      assertThat(f).failsWithin(PATIENCE).withThrowableOfType(Exception.class)
          .havingCause().isInstanceOf(RelaybusException.class)
          .withMessageContaining("none was stored").withMessageContaining("refuse_test_source");
    }
    assertStoredInOrder("mixed", round.acceptedInOrder);
  }

  private record Round(List<String> acceptedInOrder, List<CompletableFuture<?>> refused) {}

  /**
   * Holds the single writer in a blocked INSERT until 400 requests (single events and
   * publishAll batches, alternating between two topics, a few refused when asked) are queued
   * behind it, so they reach the writer as one group whatever the machine's speed.
   */
  private Round heldBackRound(EventBus bus, String prefix, boolean withRefused)
      throws Exception {
    bus.publish("grouped.a", event(prefix + "-warm-a", SOURCE)).join();
    bus.publish("grouped.b", event(prefix + "-warm-b", SOURCE)).join();
    List<String> acceptedInOrder = new ArrayList<>();
    List<CompletableFuture<?>> accepted = new ArrayList<>();
    List<CompletableFuture<?>> refused = new ArrayList<>();
    try (Connection locker = DB.transaction("grouped-test-locker")) {
      try (Statement st = locker.createStatement()) {
        st.execute("LOCK TABLE relaybus.events, relaybus.packs IN EXCLUSIVE MODE");
      }
      acceptedInOrder.add(prefix + "-blocker");
      accepted.add(bus.publish("grouped.a", event(prefix + "-blocker", SOURCE)));
      await().atMost(PATIENCE).until(PostgresGroupedPublishTest::writerWaitsForLock);
      for (int i = 0; i < 400; i++) {
        String topic = i % 2 == 0 ? "grouped.a" : "grouped.b";
        String id = prefix + "-e-" + i;
        if (withRefused && i % 97 == 50) {
          refused.add(bus.publish(topic, event(id, REFUSED_SOURCE)));
        } else if (i % 10 == 3) {
          List<Event> batch = List.of(event(id + "-0", SOURCE), event(id + "-1", SOURCE),
              event(id + "-2", SOURCE));
          batch.forEach(e -> acceptedInOrder.add(e.id()));
          accepted.add(bus.publishAll(topic, batch));
        } else {
          acceptedInOrder.add(id);
          accepted.add(bus.publish(topic, event(id, SOURCE)));
        }
      }
      locker.commit();
    }
    for (CompletableFuture<?> f : accepted) {
      f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
    return new Round(acceptedInOrder, refused);
  }

  /**
   * The round's stored events (not its warm-up ones) are exactly the accepted ones, and each
   * topic and partition holds its share in submission order (the order readers get, by
   * transaction and seq; events of different partitions have no order between them).
   */
  private static void assertStoredInOrder(String prefix, List<String> acceptedInOrder)
      throws SQLException {
    Map<String, List<String>> stored = new LinkedHashMap<>();
    Map<String, String> partitionOf = new HashMap<>();
    try (Connection c = DB.connect("grouped-test-check");
        PreparedStatement ps = c.prepareStatement("SELECT id, topic || '/' || partition FROM "
            + "relaybus.all_events WHERE id LIKE ? AND id NOT LIKE ? ORDER BY txid, seq")) {
      ps.setString(1, prefix + "-%");
      ps.setString(2, prefix + "-warm-%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          stored.computeIfAbsent(rs.getString(2), k -> new ArrayList<>()).add(rs.getString(1));
          partitionOf.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    assertThat(partitionOf.keySet()).containsExactlyInAnyOrderElementsOf(acceptedInOrder);
    stored.forEach((partition, ids) -> assertThat(ids).as(partition).containsExactlyElementsOf(
        acceptedInOrder.stream().filter(id -> partition.equals(partitionOf.get(id))).toList()));
  }

  private static boolean writerWaitsForLock() {
    return DB.queryLong("SELECT count(*) FROM pg_stat_activity WHERE "
        + "application_name = 'relaybus-pool' AND wait_event_type = 'Lock'") > 0;
  }

  /** A bus with one publish writer, writing packs or not. */
  private EventBus busPacking(boolean packed) {
    Map<String, String> settings = new HashMap<>(ONE_WRITER);
    settings.put("relaybus.postgres.pack-batches", Boolean.toString(packed));
    return buses.bus(settings);
  }

  /** The events stored for a topic, rows and packs, in publish order. */
  private static List<Event> storedEvents(String topic) throws SQLException {
    List<Event> stored = new ArrayList<>();
    try (Connection c = DB.connect("grouped-test-check");
        PreparedStatement ps = c.prepareStatement("SELECT " + EventRows.SELECT_COLUMNS
            + " FROM relaybus.all_events e WHERE e.topic = ? ORDER BY e.txid, e.seq")) {
      ps.setString(1, topic);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          stored.add(EventRows.read(rs, 1));
        }
      }
    }
    return stored;
  }

  @ParameterizedTest(name = "packed: {0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("every attribute is stored as published, as rows or as one pack: optional ones "
      + "absent or set, microsecond time, headers, key and binary data")
  void attributesAreStoredExactly(boolean packed) throws Exception {
    EventBus bus = busPacking(packed);
    String topic = "grouped.attributes-" + packed;
    String key = "k'\"; 7";
    Event full = Event.builder().id("full").source(SOURCE).type("grouped.test")
        .subject("order/7").time(Instant.parse("2026-01-02T03:04:05.123456Z"))
        .dataContentType("application/octet-stream").dataSchema("https://example.com/s.json")
        .key(key).header("tenant", "a\"b'c").header("trace", "t-1")
        .data(new byte[] {0, 1, (byte) 0xff, '\\', '"', '{', ','}).build();
    // The same key: the same partition, so with packing both events share one row.
    Event minimal = Event.builder().id("minimal").source(SOURCE).type("grouped.test").key(key)
        .build();
    List<PublishReceipt> receipts = bus.publishAll(topic, List.of(full, minimal))
        .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(receipts).extracting(PublishReceipt::eventId).containsExactly("full", "minimal");

    List<Event> stored = storedEvents(topic);
    assertThat(stored).containsExactly(full, minimal);
    assertThat(stored.get(0).time()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
    assertThat(stored.get(0).data()).containsExactly(full.data());
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.packs WHERE topic = '"
        + topic + "' AND cardinality(seqs) = 2")).as("packs").isEqualTo(packed ? 1 : 0);
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.events WHERE topic = '"
        + topic + "'")).as("event rows").isEqualTo(packed ? 0 : 2);
  }

  @ParameterizedTest(name = "packed: {0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("event times are stored to the microsecond across PostgreSQL's range, those "
      + "sent as numbers and those too far from 1970 for them, published together or alone")
  void timesAreStoredExactly(boolean packed) throws Exception {
    EventBus bus = busPacking(packed);
    String topic = "grouped.times-" + packed;
    List<Instant> times = List.of(Instant.parse("2026-03-29T01:59:59.999999Z"),
        Instant.parse("1970-01-01T00:00:00Z"), Instant.parse("1969-12-31T23:59:59.000001Z"),
        Instant.parse("2255-06-05T23:47:34.740991Z"), // 2^53 - 1 microseconds
        Instant.parse("2255-06-05T23:47:34.740992Z"), // 2^53: sent as text
        Instant.parse("2255-06-05T23:47:34.740993Z"), // 2^53 + 1: a float8 would round it
        Instant.parse("1684-07-28T00:12:25.259009Z"), // -(2^53 - 1)
        Instant.parse("1684-07-28T00:12:25.259008Z"), // -2^53: sent as text
        Instant.parse("9999-12-31T23:59:59.999999Z"), Instant.parse("0001-01-01T00:00:00.000001Z"));
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < times.size(); i++) {
      batch.add(Event.builder().id("t" + i).source(SOURCE).type("grouped.test").key("k")
          .time(times.get(i)).build());
    }
    bus.publishAll(topic, batch).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    for (Event e : batch) { // one at a time: each a statement of one row
      bus.publish(topic + "-single", e).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    assertThat(storedEvents(topic)).extracting(Event::time).containsExactlyElementsOf(times);
    assertThat(storedEvents(topic + "-single")).as("published one at a time")
        .extracting(Event::time).containsExactlyElementsOf(times);
    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.packs WHERE topic = '"
        + topic + "'")).as("packs").isEqualTo(packed ? 1 : 0);
  }

  @Test
  @DisplayName("a pack larger than a page is stored uncompressed, its big arrays out of line, "
      + "and every event is delivered with its data exactly")
  void packLargerThanAPageIsStoredUncompressedAndDelivered() throws Exception {
    EventBus bus = buses.bus(ONE_WRITER);
    String topic = "grouped.large-pack";
    int events = EventRows.MAX_PACK;
    int size = 4096;
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      byte[] data = new byte[size];
      Arrays.fill(data, (byte) ('a' + i % 26)); // compressible: a compressed pack would shrink
      data[0] = (byte) i;
      batch.add(Event.builder().id("large-" + i).source(SOURCE).type("grouped.test").key("one")
          .data(data).build());
    }
    bus.publishAll(topic, batch).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

    assertThat(DB.queryLong("SELECT count(*) FROM relaybus.packs WHERE topic = '"
        + topic + "'")).as("packs").isEqualTo(1);
    // Uncompressed (schema version 3): the stored array holds every byte of every event.
    assertThat(DB.queryLong("SELECT pg_column_size(data) FROM relaybus.packs WHERE "
        + "topic = '" + topic + "'")).as("stored data array").isGreaterThan((long) events * size);

    Map<String, byte[]> received = new java.util.concurrent.ConcurrentHashMap<>();
    bus.subscribe(topic, io.relaybus.SubscribeOptions.builder().group("large").build(),
        d -> received.put(d.event().id(), d.event().data()));
    await().atMost(PATIENCE).until(() -> received.size() == events);
    for (Event e : batch) {
      assertThat(received.get(e.id())).as(e.id()).containsExactly(e.data());
    }
  }
}
