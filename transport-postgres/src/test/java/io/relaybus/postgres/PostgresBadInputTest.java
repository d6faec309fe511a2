package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.DeadLetters;
import io.relaybus.DecodingException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.InvalidNameException;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.tck.Recorder;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Hostile input: names that try to break out of SQL are refused before any SQL runs, values
 * travel as bound parameters, and rows written with plain SQL that break the envelope go to the
 * dead letters (reason {@code UNDECODABLE}) instead of stalling or crash-looping a group.
 */
class PostgresBadInputTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final Duration QUIET = Duration.ofSeconds(1);
  private static final String SOURCE = "urn:relaybus:test:bad-input";
  private static final List<String> TABLES = List.of("schema_version", "topics", "events",
      "packs", "cursors", "members", "attempts", "dead_letters");

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_bad_input");
  /**
   * Counts the connections the bus takes on callers' threads (its own background threads, such
   * as the retention job, are left out), so "refused before any SQL" can be checked.
   */
  private static final AtomicInteger CONNECTIONS_TAKEN = new AtomicInteger();
  private static EventBus bus;
  private final List<AutoCloseable> subscriptions = new ArrayList<>();

  @BeforeAll
  static void start() {
    PGSimpleDataSource pgDataSource = DB.dataSource();
    pgDataSource.setApplicationName("relaybus-bad-input");
    DataSource counting = (DataSource) Proxy.newProxyInstance(
        PostgresBadInputTest.class.getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, method, args) -> {
          if (method.getName().equals("getConnection")
              && !Thread.currentThread().getName().startsWith("relaybus-")) {
            CONNECTIONS_TAKEN.incrementAndGet();
          }
          try {
            return method.invoke(pgDataSource, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    bus = DB.classBuses().track(EventBus.builder()
        .provider(PostgresTransportProvider.withDataSource(counting))
        .property("relaybus.postgres.poll-interval", "100ms")
        .property("relaybus.postgres.lease-timeout", "5s")
        .build());
  }

  @AfterEach
  void closeSubscriptions() throws Exception {
    for (AutoCloseable s : subscriptions) {
      s.close();
    }
    subscriptions.clear();
  }

  static Stream<String> hostileNames() {
    return Stream.of(
        "orders'",
        "orders\"",
        "a;b",
        "x'; DROP TABLE relaybus.events;--",
        "\"; DROP SCHEMA relaybus CASCADE; --",
        "orders) OR (1=1",
        "a".repeat(10_000),
        "a".repeat(201),
        "ünïcödé",
        "日本語",
        "emoji-\uD83D\uDE00",
        "",
        " ",
        "tab\tname",
        "line\nbreak",
        "nul\u0000byte",
        "a b",
        "a/b",
        "../etc",
        "a%b",
        "$1",
        "relaybus_events*");
  }

  private static long countIn(String sql) {
    return DB.queryLong(sql);
  }

  private void assertSchemaIntactAndUntouched() {
    for (String table : TABLES) {
      assertThat(countIn("SELECT count(*) FROM pg_tables WHERE schemaname = 'relaybus' AND "
          + "tablename = '" + table + "'")).as("table relaybus.%s exists", table).isOne();
    }
    assertThat(countIn("SELECT count(*) FROM relaybus.topics WHERE topic NOT LIKE 'bad.%'"))
        .as("topics registered by refused calls").isZero();
    assertThat(countIn("SELECT count(*) FROM relaybus.cursors WHERE topic NOT LIKE 'bad.%'"))
        .as("cursors created by refused calls").isZero();
    assertThat(countIn("SELECT max(version) FROM relaybus.schema_version"))
        .isEqualTo(SchemaMigrator.CURRENT_VERSION);
  }

  /** A connection that fails the test on any use: nothing may reach it for a refused name. */
  private static Connection untouchableConnection(List<String> calls) {
    return (Connection) Proxy.newProxyInstance(PostgresBadInputTest.class.getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, method, args) -> {
          calls.add(method.getName());
          throw new AssertionError("Connection." + method.getName() + " called");
        });
  }

  @ParameterizedTest
  @MethodSource("hostileNames")
  @DisplayName("a hostile topic name is refused with InvalidNameException before any SQL")
  void hostileTopicIsRefusedBeforeSql(String name) {
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    DeadLetters dls = bus.deadLetters();
    Event event = Event.builder().source(SOURCE).type("bad.input").text("x").build();
    List<String> connectionCalls = new CopyOnWriteArrayList<>();
    Connection untouchable = untouchableConnection(connectionCalls);
    int connectionsBefore = CONNECTIONS_TAKEN.get();

    List<ThrowingCallable> calls = List.of(
        () -> bus.publish(name, event),
        () -> bus.publishAll(name, List.of(event)),
        () -> bus.subscribe(name, "group", d -> { }),
        () -> bus.subscribe(name, SubscribeOptions.group("group"), d -> { }),
        () -> pg.publish(untouchable, name, List.of(event)),
        () -> pg.lag(name, "group"),
        () -> pg.consumption(name, "event-id"),
        () -> dls.list(name, "group", 10),
        () -> dls.count(name, "group"),
        () -> dls.replayAll(name, "group"),
        () -> dls.replay(name, "group", "00000000-0000-0000-0000-000000000000"),
        () -> dls.purge(name, "group"));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call).isInstanceOf(InvalidNameException.class)
          .hasMessageContaining("topic");
    }

    assertThat(connectionCalls).as("calls on the caller's connection").isEmpty();
    assertThat(CONNECTIONS_TAKEN.get()).as("connections taken by refused calls")
        .isEqualTo(connectionsBefore);
    assertSchemaIntactAndUntouched();
  }

  @ParameterizedTest
  @MethodSource("hostileNames")
  @DisplayName("a hostile group name is refused with InvalidNameException before any SQL")
  void hostileGroupIsRefusedBeforeSql(String name) {
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    DeadLetters dls = bus.deadLetters();
    int connectionsBefore = CONNECTIONS_TAKEN.get();

    List<ThrowingCallable> calls = List.of(
        () -> SubscribeOptions.group(name),
        () -> SubscribeOptions.builder().group(name),
        () -> bus.subscribe("orders", name, d -> { }),
        () -> pg.lag("orders", name),
        () -> dls.list("orders", name, 10),
        () -> dls.count("orders", name),
        () -> dls.replayAll("orders", name),
        () -> dls.purge("orders", name));
    for (ThrowingCallable call : calls) {
      assertThatThrownBy(call).isInstanceOf(InvalidNameException.class)
          .hasMessageContaining("group");
    }
    assertThat(CONNECTIONS_TAKEN.get()).as("connections taken by refused calls")
        .isEqualTo(connectionsBefore);
    assertSchemaIntactAndUntouched();
  }

  @Test
  @DisplayName("hostile values (not names) travel as bound parameters and round-trip unchanged")
  void hostileValuesRoundTrip() throws Exception {
    String topic = "bad.values";
    String injection = "x'; DROP TABLE relaybus.events;--";
    List<Event> received = new CopyOnWriteArrayList<>();
    subscriptions.add(bus.subscribe(topic, "values", d -> received.add(d.event())));
    Event viaBus = Event.builder().id(injection).source("urn:x:'quote").type("t'; --")
        .subject(injection).key(injection).header("note", injection + " \\ \" $$ {}")
        .data(injection.getBytes(StandardCharsets.UTF_8)).build();
    bus.publish(topic, viaBus).join();
    Event viaConnection = viaBus.toBuilder().id(injection + "-tx").build();
    try (Connection c = DB.transaction("bad-input-app")) {
      bus.unwrap(PostgresTransport.class).publish(c, topic, List.of(viaConnection));
      c.commit();
    }
    await().atMost(PATIENCE).until(() -> received.size() == 2);
    assertThat(received).containsExactlyInAnyOrder(viaBus, viaConnection);
    assertThat(bus.unwrap(PostgresTransport.class).consumption(topic, injection))
        .containsOnlyKeys("values");
    assertThat(bus.unwrap(PostgresTransport.class).consumption(topic, "' OR '1'='1"))
        .isEmpty();
    assertSchemaIntactAndUntouched();
  }

  // ------------------------------------------------------------------ rows from plain SQL

  /** A row that breaks the envelope, and the column values that break it. */
  static Stream<Arguments> invalidRows() {
    return Stream.of(
        Arguments.of("header name with upper case and dash", "headers",
            "'{\"Bad-Name\": \"x\"}'::jsonb"),
        Arguments.of("reserved header name", "headers", "'{\"source\": \"x\"}'::jsonb"),
        Arguments.of("header value that is an object", "headers",
            "'{\"nested\": {\"a\": 1}}'::jsonb"),
        Arguments.of("header value that is null", "headers", "'{\"tenant\": null}'::jsonb"),
        Arguments.of("source that is not a URI reference", "source", "'not a uri'"),
        Arguments.of("blank type", "type", "' '"),
        Arguments.of("id longer than 4096 characters", "id", "repeat('i', 5000)"),
        Arguments.of("type longer than 4096 characters", "type", "repeat('t', 5000)"),
        Arguments.of("dataschema that is not a URI", "dataschema", "'::not a uri::'"),
        Arguments.of("time that is infinite", "time", "'infinity'::timestamptz"));
  }

  private static void insertRow(String topic, String id, String key, String column,
      String expression, String contentType, byte[] data) throws SQLException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("topic", "?");
    values.put("id", "?");
    values.put("source", "'" + SOURCE + "'");
    values.put("type", "'bad.row'");
    values.put("key", "?");
    values.put("datacontenttype", "?");
    values.put("data", "?");
    if (column != null) {
      values.put(column, expression);
    }
    String sql = "INSERT INTO relaybus.events (" + String.join(", ", values.keySet())
        + ") VALUES (" + String.join(", ", values.values()) + ")";
    try (Connection c = DB.connect("legacy-producer");
        PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setString(i++, topic);
      if (!"id".equals(column)) {
        ps.setString(i++, id);
      }
      ps.setString(i++, key);
      ps.setString(i++, contentType);
      ps.setBytes(i, data);
      ps.executeUpdate();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidRows")
  @DisplayName("a row from plain SQL that breaks the envelope is dead-lettered as UNDECODABLE "
      + "for every group, and the groups go on")
  void invalidRowIsDeadLetteredAndGroupsContinue(String description, String column,
      String expression) throws Exception {
    invalidRowIsDeadLettered("bad.row.", description, column, expression, false);
  }

  /**
   * The same for a row read after the members' first fetch: from then on they read events of
   * ordinary size as whole packs and rows of one ({@link EventWindows#packedWindow}), decoded
   * differently.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidRows")
  @DisplayName("a row from plain SQL that breaks the envelope, read after the members' first "
      + "fetch, is dead-lettered as UNDECODABLE for every group, and the groups go on")
  void invalidRowReadAfterTheFirstFetchIsDeadLettered(String description, String column,
      String expression) throws Exception {
    invalidRowIsDeadLettered("bad.later.", description, column, expression, true);
  }

  private void invalidRowIsDeadLettered(String prefix, String description, String column,
      String expression, boolean afterFirstFetch) throws Exception {
    String topic = prefix + Integer.toHexString(description.hashCode());
    Recorder billing = new Recorder();
    Recorder shipping = new Recorder();
    subscriptions.add(bus.subscribe(topic, "billing", d -> billing.record("b", d)));
    subscriptions.add(bus.subscribe(topic, "shipping", d -> shipping.record("s", d)));

    byte[] text = "text".getBytes(StandardCharsets.UTF_8);
    insertRow(topic, "before", "k", null, null, "text/plain", text);
    if (afterFirstFetch) {
      await().atMost(PATIENCE).untilAsserted(() -> {
        assertThat(billing.ids()).containsExactly("before");
        assertThat(shipping.ids()).containsExactly("before");
      });
    }
    insertRow(topic, "the-bad-row", "k", column, expression, null, new byte[] {1, 2, 3});
    insertRow(topic, "after", "k", null, null, "text/plain", text);

    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(billing.ids()).containsExactlyInAnyOrder("before", "after");
      assertThat(shipping.ids()).containsExactlyInAnyOrder("before", "after");
    });
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    for (String group : List.of("billing", "shipping")) {
      await().atMost(PATIENCE).untilAsserted(() -> {
        List<DeadLetter> dls = bus.deadLetters().list(topic, group, 10);
        assertThat(dls).as(() -> "dead letters of " + group + " (the bad row stands as "
            + pg.consumption(topic, "the-bad-row") + ")").hasSize(1);
        assertThat(dls.get(0).reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        // The delivery engine decided it: the row reached it as a message whose event() throws
        // DecodingException, at attempt 1. The dead letter holds the row's own id where valid.
        assertThat(dls.get(0).attempts()).isOne();
        assertThat(dls.get(0).lastError()).startsWith(DecodingException.class.getName());
        assertThat(dls.get(0).event().id())
            .isEqualTo("id".equals(column) ? "invalid-row" : "the-bad-row");
      });
    }
    // No crash loop: nothing more happens, and the groups' positions pass the bad row.
    await().during(QUIET).atMost(QUIET.plusSeconds(10)).untilAsserted(() -> {
      assertThat(billing.invocations()).isEqualTo(2);
      assertThat(shipping.invocations()).isEqualTo(2);
      assertThat(bus.deadLetters().count(topic, "billing")).isOne();
      assertThat(bus.deadLetters().count(topic, "shipping")).isOne();
    });
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(pg.lag(topic, "billing")).isZero();
      assertThat(pg.lag(topic, "shipping")).isZero();
    });
  }

  /** The shape the handler decodes JSON into. */
  record Order(String id, int quantity) {}

  @Test
  @DisplayName("an undecodable JSON row from plain SQL is dead-lettered as UNDECODABLE at "
      + "attempt 1, never retried, and the group continues")
  void undecodableRowFromSqlIsDeadLettered() throws Exception {
    String topic = "bad.undecodable";
    AtomicInteger invocations = new AtomicInteger();
    List<Order> decoded = new CopyOnWriteArrayList<>();
    subscriptions.add(bus.subscribe(topic, SubscribeOptions.builder().group("orders")
        .retryPolicy(RetryPolicy.builder().maxAttempts(5)
            .backoff(Duration.ofMillis(10), Duration.ofMillis(10), 1.0).build())
        .build(), d -> {
          invocations.incrementAndGet();
          decoded.add(d.data(Order.class));
        }));

    insertRow(topic, "garbage", "customer-1", null, null, "application/json",
        "this is not JSON {".getBytes(StandardCharsets.UTF_8));
    insertRow(topic, "wrong-shape", "customer-1", null, null, "application/json",
        "[1, 2, 3]".getBytes(StandardCharsets.UTF_8));
    insertRow(topic, "good", "customer-1", null, null, "application/json",
        "{\"id\": \"o-1\", \"quantity\": 2}".getBytes(StandardCharsets.UTF_8));

    await().atMost(PATIENCE).until(() -> decoded.size() == 1);
    assertThat(decoded).containsExactly(new Order("o-1", 2));
    await().atMost(PATIENCE).untilAsserted(() -> {
      List<DeadLetter> dls = bus.deadLetters().list(topic, "orders", 10);
      assertThat(dls).extracting(dl -> dl.event().id())
          .containsExactlyInAnyOrder("garbage", "wrong-shape");
      assertThat(dls).allSatisfy(dl -> {
        assertThat(dl.reason()).isEqualTo(DeadLetterReason.UNDECODABLE);
        assertThat(dl.attempts()).isOne();
        assertThat(dl.lastError()).contains("DecodingException");
      });
      assertThat(dls).filteredOn(dl -> dl.event().id().equals("garbage")).singleElement()
          .satisfies(dl -> assertThat(dl.event().data())
              .isEqualTo("this is not JSON {".getBytes(StandardCharsets.UTF_8)));
    });
    await().during(QUIET).atMost(QUIET.plusSeconds(10))
        .untilAsserted(() -> assertThat(invocations.get()).isEqualTo(3));
    assertThat(bus.unwrap(PostgresTransport.class).consumption(topic, "garbage"))
        .containsEntry("orders", PostgresTransport.Consumption.DEAD_LETTERED);
  }

  @Test
  @DisplayName("a plain-SQL row with a partition the topic does not have is refused or reaches "
      + "the group; it is never silently stranded")
  void outOfRangePartitionIsNotStranded() throws Exception {
    String topic = "bad.partition";
    Recorder recorder = new Recorder();
    subscriptions.add(bus.subscribe(topic, "stranded", d -> recorder.record("s", d)));
    long partitions = countIn("SELECT partitions FROM relaybus.topics WHERE topic = '"
        + topic + "'");
    boolean refused;
    try (Connection c = DB.connect("legacy-producer");
        PreparedStatement ps = c.prepareStatement("INSERT INTO relaybus.events (topic, "
            + "partition, id, source, type) VALUES (?, ?, 'stranded-1', 'urn:legacy', 't')")) {
      ps.setString(1, topic);
      ps.setInt(2, (int) partitions + 3);
      ps.executeUpdate();
      refused = false;
    } catch (SQLException e) {
      refused = true;
    }
    if (!refused) {
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(
          recorder.ids().contains("stranded-1")
              || bus.deadLetters().count(topic, "stranded") == 1)
          .as("the row in partition %d of a %d-partition topic was delivered or "
              + "dead-lettered", partitions + 3, partitions).isTrue());
    }
  }

  @Test
  @DisplayName("an event the database cannot store (NUL character) fails only its own publish, "
      + "not the unrelated publishes committed with it")
  void unstorableEventFailsOnlyItsOwnPublish() {
    String topic = "bad.unstorable";
    List<CompletableFuture<?>> good = new ArrayList<>();
    CompletableFuture<?> bad = null;
    for (int i = 0; i < 200; i++) {
      if (i == 100) {
        // A valid event PostgreSQL cannot store: timestamptz ends in the year 294276.
        bad = bus.publish(topic, Event.builder().source(SOURCE).type("bad.time")
            .time(java.time.Instant.parse("+300000-01-01T00:00:00Z")).build());
      }
      good.add(bus.publish(topic, Event.builder().id("good-" + i).source(SOURCE)
          .type("good").text("g" + i).build()));
    }
    CompletableFuture<?> unstorable = bad;
    await().atMost(PATIENCE).until(() -> unstorable.isDone()
        && good.stream().allMatch(CompletableFuture::isDone));
    List<String> failures = good.stream().filter(CompletableFuture::isCompletedExceptionally)
        .map(f -> f.handle((ok, e) -> String.valueOf(e)).join()).toList();
    assertThat(failures).as("good publishes that failed because of a stranger's bad event")
        .isEmpty();
    assertThat(countIn("SELECT count(*) FROM relaybus.all_events WHERE topic = '" + topic + "'"))
        .isEqualTo(unstorable.isCompletedExceptionally() ? 200 : 201);
    assertThat(unstorable).as("the unstorable event's own publish").isCompletedExceptionally();
  }
}
