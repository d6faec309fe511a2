package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.BusClosedException;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.RelaybusException;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Instrumentation;
import io.relaybus.tck.Recorder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Transactional outbox: {@code PostgresTransport.publish(Connection, ...)} joins the caller's
 * transaction. Rollback publishes nothing, commit publishes exactly once, and the business row
 * and the event become visible together.
 */
class PostgresTransactionalPublishTest {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  /** Several poll intervals: long enough for a wrongly visible event to be delivered. */
  private static final Duration QUIET = Duration.ofMillis(1_500);
  private static final String SOURCE = "urn:relaybus:test:outbox";

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_outbox");
  private final TestBuses buses = DB.buses();

  @BeforeAll
  static void createOrdersTable() {
    DB.execute("CREATE TABLE orders (id text PRIMARY KEY, total int NOT NULL)");
  }

  private static Connection transaction() throws SQLException {
    return DB.transaction("outbox-test-app");
  }

  private static Event orderPlaced(String orderId) {
    return Event.builder().id("placed-" + orderId).source(SOURCE).type("order.placed")
        .key(orderId).text(orderId).build();
  }

  private static void insertOrder(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO orders (id, total) VALUES (?, 10)")) {
      ps.setString(1, id);
      ps.executeUpdate();
    }
  }

  private static long count(String sql, String parameter) {
    try (Connection c = DB.connect("outbox-test-check");
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  private static long orders(String id) {
    return count("SELECT count(*) FROM orders WHERE id = ?", id);
  }

  private static long eventRows(String id) {
    return count("SELECT count(*) FROM relaybus.all_events WHERE id = ?", id);
  }

  @Test
  @DisplayName("rollback publishes nothing; commit publishes exactly once, with the business row")
  void rollbackPublishesNothingCommitPublishesOnce() throws Exception {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "outbox.orders";
    Recorder billing = new Recorder();
    Recorder shipping = new Recorder();
    // The handler checks that the business row is visible whenever its event is.
    Set<String> eventWithoutOrder = ConcurrentHashMap.newKeySet();
    bus.subscribe(topic, "billing", d -> {
      if (d.event().type().equals("order.placed") && orders(d.event().dataAsText()) != 1) {
        eventWithoutOrder.add(d.event().id());
      }
      billing.record("billing", d);
    });
    bus.subscribe(topic, "shipping", d -> shipping.record("shipping", d));
    bus.publish(topic, Event.builder().id("warm-up").source(SOURCE).type("warm.up").build())
        .join();
    await().atMost(PATIENCE).until(() -> billing.ids().contains("warm-up")
        && shipping.ids().contains("warm-up"));

    try (Connection c = transaction()) {
      insertOrder(c, "o-rolled-back");
      List<PublishReceipt> receipts = pg.publish(c, topic, List.of(orderPlaced("o-rolled-back")));
      assertThat(receipts).extracting(PublishReceipt::eventId)
          .containsExactly("placed-o-rolled-back");
      // Open for a while: consumers keep polling, but an uncommitted event is invisible.
      await().during(QUIET).atMost(QUIET.plusSeconds(10)).until(() ->
          !billing.ids().contains("placed-o-rolled-back")
              && !shipping.ids().contains("placed-o-rolled-back"));
      c.rollback();
    }
    await().during(QUIET).atMost(QUIET.plusSeconds(10)).until(() ->
        !billing.ids().contains("placed-o-rolled-back")
            && !shipping.ids().contains("placed-o-rolled-back"));
    assertThat(orders("o-rolled-back")).isZero();
    assertThat(eventRows("placed-o-rolled-back")).isZero();

    try (Connection c = transaction()) {
      insertOrder(c, "o-committed");
      pg.publish(c, topic, List.of(orderPlaced("o-committed")));
      c.commit();
    }
    assertThat(orders("o-committed")).isOne();
    assertThat(eventRows("placed-o-committed")).isOne();
    await().atMost(PATIENCE).until(() -> billing.ids().contains("placed-o-committed")
        && shipping.ids().contains("placed-o-committed"));
    await().during(QUIET).atMost(QUIET.plusSeconds(10)).untilAsserted(() -> {
      assertThat(billing.invocations()).as("billing deliveries").isEqualTo(2);
      assertThat(shipping.invocations()).as("shipping deliveries").isEqualTo(2);
    });
    assertThat(billing.ids()).containsExactlyInAnyOrder("warm-up", "placed-o-committed");
    assertThat(eventWithoutOrder).as("events delivered before their business row was visible")
        .isEmpty();
  }

  @Test
  @DisplayName("a failing business statement after publish rolls both back; a savepoint rollback "
      + "drops only its own event")
  void partialFailuresKeepOutboxConsistent() throws Exception {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "outbox.partial";
    Recorder recorder = new Recorder();
    bus.subscribe(topic, "audit", d -> recorder.record("audit", d));

    try (Connection c = transaction()) {
      insertOrder(c, "o-dup");
      c.commit();
      pg.publish(c, topic, List.of(orderPlaced("o-dup-again")));
      assertThatThrownBy(() -> insertOrder(c, "o-dup")).isInstanceOf(SQLException.class);
      c.rollback();
    }

    try (Connection c = transaction()) {
      pg.publish(c, topic, List.of(orderPlaced("kept-1")));
      Savepoint sp = c.setSavepoint();
      pg.publish(c, topic, List.of(orderPlaced("dropped-in-savepoint")));
      c.rollback(sp);
      pg.publish(c, topic, List.of(orderPlaced("kept-2"), orderPlaced("kept-3")));
      c.commit();
    }

    await().atMost(PATIENCE).until(() -> recorder.distinct() == 3);
    await().during(QUIET).atMost(QUIET.plusSeconds(10)).untilAsserted(() ->
        assertThat(recorder.ids()).containsExactlyInAnyOrder("placed-kept-1", "placed-kept-2",
            "placed-kept-3"));
    assertThat(recorder.duplicates()).isEmpty();
    assertThat(eventRows("placed-o-dup-again")).isZero();
    assertThat(eventRows("placed-dropped-in-savepoint")).isZero();
  }

  @Test
  @DisplayName("a rolled-back first publish to a new topic leaves no stale partition count: "
      + "later publishes reach members of a bus that registered the topic differently")
  void rolledBackTopicRegistrationIsNotCached() throws Exception {
    EventBus publisher = buses.bus(Map.of("relaybus.postgres.partitions", "8"));
    PostgresTransport pg = publisher.unwrap(PostgresTransport.class);
    String topic = "outbox.new-topic";
    try (Connection c = transaction()) {
      pg.publish(c, topic, List.of(orderPlaced("never")));
      c.rollback();
    }

    // Another process subscribes, with its own partition count for topics it registers.
    EventBus consumer = buses.bus(Map.of("relaybus.postgres.partitions", "2"));
    Recorder recorder = new Recorder();
    consumer.subscribe(topic, SubscribeOptions.group("late"), d -> recorder.record("late", d));

    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      events.add(orderPlaced("k" + i));
    }
    try (Connection c = transaction()) {
      pg.publish(c, topic, events);
      c.commit();
    }
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(recorder.ids())
        .as("events in partitions the topic does not have are never delivered")
        .hasSize(events.size()));
  }

  @Test
  @DisplayName("publish(Connection, ...) on a closed bus fails at once and writes nothing")
  void closedBusRefusesTransactionalPublish() throws Exception {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    bus.close();
    try (Connection c = transaction()) {
      assertThatThrownBy(() -> pg.publish(c, "outbox.closed", List.of(orderPlaced("late"))))
          .isInstanceOf(BusClosedException.class).hasMessageContaining("outbox.closed");
      c.commit();
    }
    assertThat(eventRows("placed-late")).isZero();
  }

  @Test
  @DisplayName("a failed insert inside the caller's transaction is reported as RelaybusException "
      + "naming the topic; the caller can roll back")
  void failedInsertIsReported() throws Exception {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    try (Connection c = transaction()) {
      // An aborted transaction refuses every statement, as after any earlier error.
      assertThatThrownBy(() -> insertOrder(c, null)).isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> pg.publish(c, "outbox.failed", List.of(orderPlaced("x"))))
          .isInstanceOf(RelaybusException.class).hasMessageContaining("outbox.failed");
      c.rollback();
    }
    assertThat(eventRows("placed-x")).isZero();
  }

  @Test
  @DisplayName("the bus's instrumentations observe a publish into the caller's transaction, and "
      + "the stored event carries the headers they added")
  void transactionalPublishIsInstrumented() throws Exception {
    List<String> calls = new CopyOnWriteArrayList<>();
    Instrumentation tracing = new Instrumentation() {
      @Override
      public PublishObservation publishing(String system, String topic, List<Event> events) {
        calls.add("publishing " + system + " " + topic + " " + events.size());
        List<Event> traced = events.stream()
            .map(e -> e.toBuilder().header("traceparent", "trace-of-" + e.id()).build())
            .toList();
        return new PublishObservation() {
          @Override
          public List<Event> events() {
            return traced;
          }

          @Override
          public void completed(Throwable failure) {
            calls.add("completed " + (failure == null ? "ok" : failure.getClass().getSimpleName()));
          }
        };
      }

      @Override
      public AttemptObservation attempting(String system, String topic, String group,
          Delivery delivery) {
        return null;
      }
    };
    EventBus bus = buses.track(EventBus.builder().properties(buses.config(Map.of()))
        .instrumentation(tracing).build());
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "outbox.traced";
    Map<String, String> headers = new ConcurrentHashMap<>();
    bus.subscribe(topic, "billing", d -> headers.put(d.event().id(),
        d.event().headers().getOrDefault("traceparent", "none")));

    try (Connection c = transaction()) {
      pg.publish(c, topic, List.of(orderPlaced("traced")));
      c.commit();
    }
    assertThat(calls).containsExactly("publishing postgres outbox.traced 1", "completed ok");
    await().atMost(PATIENCE).until(() -> headers.containsKey("placed-traced"));
    assertThat(headers).containsEntry("placed-traced", "trace-of-placed-traced");

    calls.clear();
    try (Connection c = transaction()) {
      assertThatThrownBy(() -> insertOrder(c, null)).isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> pg.publish(c, topic, List.of(orderPlaced("refused"))))
          .isInstanceOf(RelaybusException.class);
      c.rollback();
    }
    assertThat(calls).containsExactly("publishing postgres outbox.traced 1",
        "completed RelaybusException");
  }
}
