package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The SQL publishing contract: a producer with no Relaybus code (another language, a trigger)
 * inserts into {@code relaybus.events} or calls {@code relaybus.publish(...)}, and subscribers
 * receive the event promptly — woken by the table's NOTIFY trigger, not by polling — with
 * every column mapped onto the envelope.
 */
class PostgresPlainSqlPublishTest {
  /** Far longer than the test waits: only a NOTIFY can deliver within {@link #PROMPTLY}. */
  private static final String POLL_INTERVAL = "10m";
  private static final Duration PROMPTLY = Duration.ofSeconds(5);

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_plain_sql");
  private static EventBus bus;

  @BeforeAll
  static void start() {
    bus = DB.classBuses().bus(Map.of(
        "relaybus.postgres.poll-interval", POLL_INTERVAL,
        // Heartbeats (lease-timeout / 3) also wake members; keep them out of the measured window.
        "relaybus.postgres.lease-timeout", "10m"));
  }

  /** A connection of a producer that knows only the SQL contract. */
  private static Connection producer() {
    return DB.connect("legacy-producer");
  }

  /** What a handler saw, captured during the call (a Delivery is valid only then). */
  private record Received(Event event, Map<String, String> metadata, int attempt,
      Map<String, Object> json) {}

  private static BlockingQueue<Received> subscribe(String topic, String group) {
    BlockingQueue<Received> deliveries = new LinkedBlockingQueue<>();
    bus.subscribe(topic, group, d -> deliveries.add(new Received(d.event(), d.metadata(),
        d.attempt(), json(d))));
    return deliveries;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(Delivery d) {
    boolean isJson = d.event().dataContentType().filter("application/json"::equals).isPresent();
    return isJson && d.event().dataLength() > 0 ? d.data(Map.class) : null;
  }

  private static Received next(BlockingQueue<Received> q) throws InterruptedException {
    Received d = q.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(d).as("delivered within %s although the poll interval is %s (NOTIFY from the "
        + "trigger)", PROMPTLY, POLL_INTERVAL).isNotNull();
    return d;
  }

  /** Warms up: the LISTEN connection is up once an event gets through promptly. */
  private static void awaitListening(String topic, BlockingQueue<Received> q) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      try (Connection c = producer(); PreparedStatement ps = c.prepareStatement(
          "SELECT relaybus.publish(?, 'urn:legacy', 'warm.up')")) {
        ps.setString(1, topic);
        ps.execute();
      }
      Received d = q.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
      q.clear();
      return d != null;
    });
  }

  @Test
  @DisplayName("a plain INSERT without partition is delivered promptly with every column mapped")
  void plainInsertIsDelivered() throws Exception {
    String topic = "legacy.orders";
    BlockingQueue<Received> q = subscribe(topic, "billing");
    awaitListening(topic, q);

    OffsetDateTime time = OffsetDateTime.of(2024, 2, 29, 23, 59, 58, 123_456_000,
        ZoneOffset.UTC);
    byte[] json = "{\"orderId\":\"ord-42\",\"total\":12.5}".getBytes(StandardCharsets.UTF_8);
    try (Connection c = producer(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO relaybus.events (topic, id, source, type, subject, time, datacontenttype, "
            + "dataschema, key, headers, data) VALUES (?, 'ord-42-placed', '/legacy-shop', "
            + "'order.placed', 'orders/42', ?, 'application/json', "
            + "'https://schemas.example.com/order-placed.json', 'customer-7', "
            + "'{\"traceparent\": \"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\", "
            + "\"tenant\": \"acme\"}', ?)")) {
      ps.setString(1, topic);
      ps.setObject(2, time);
      ps.setBytes(3, json);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }

    Received d = next(q);
    Event e = d.event();
    assertThat(e.id()).isEqualTo("ord-42-placed");
    assertThat(e.source()).isEqualTo("/legacy-shop");
    assertThat(e.type()).isEqualTo("order.placed");
    assertThat(e.subject()).contains("orders/42");
    assertThat(e.time()).isEqualTo(time.toInstant());
    assertThat(e.dataContentType()).contains("application/json");
    assertThat(e.dataSchema()).contains("https://schemas.example.com/order-placed.json");
    assertThat(e.key()).contains("customer-7");
    assertThat(e.headers()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tenant", "acme"));
    assertThat(e.data()).isEqualTo(json);
    assertThat(d.json()).as("decoded as JSON by the handler")
        .containsEntry("orderId", "ord-42").containsEntry("total", 12.5);
    assertThat(d.metadata()).containsEntry("partition",
        Integer.toString(Partitioner.partition("customer-7", 8)));
    assertThat(d.attempt()).isEqualTo(1);
  }

  @Test
  @DisplayName("SELECT relaybus.publish(...) is delivered promptly, its seq and defaults mapped")
  void publishFunctionIsDelivered() throws Exception {
    String topic = "legacy.payments";
    BlockingQueue<Received> q = subscribe(topic, "ledger");
    awaitListening(topic, q);

    long seq;
    Instant before = Instant.now().minusSeconds(5);
    try (Connection c = producer(); PreparedStatement ps = c.prepareStatement(
        "SELECT relaybus.publish(p_topic => ?, p_source => 'urn:payments', "
            + "p_type => 'payment.settled', p_data => convert_to('{\"amount\":7}', 'UTF8'), "
            + "p_key => 'account-9', p_datacontenttype => 'application/json', "
            + "p_subject => 'payments/1', p_headers => '{\"tenant\": \"acme\"}'::jsonb, "
            + "p_dataschema => 'urn:schema:payment')")) {
      ps.setString(1, topic);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        seq = rs.getLong(1);
      }
    }

    Received d = next(q);
    Event e = d.event();
    assertThat(d.metadata()).containsEntry("seq", Long.toString(seq));
    assertThat(e.id()).as("generated id").matches(
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    assertThat(e.source()).isEqualTo("urn:payments");
    assertThat(e.type()).isEqualTo("payment.settled");
    assertThat(e.subject()).contains("payments/1");
    assertThat(e.key()).contains("account-9");
    assertThat(e.dataContentType()).contains("application/json");
    assertThat(e.dataSchema()).contains("urn:schema:payment");
    assertThat(e.headers()).containsExactlyEntriesOf(Map.of("tenant", "acme"));
    assertThat(e.time()).isAfter(before).isBefore(Instant.now().plusSeconds(5));
    assertThat(new String(e.data(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":7}");

    // Only the required arguments: no key, no content type, empty data.
    try (Connection c = producer(); PreparedStatement ps = c.prepareStatement(
        "SELECT relaybus.publish(?, 'urn:payments', 'payment.pinged')")) {
      ps.setString(1, topic);
      ps.execute();
    }
    Event minimal = next(q).event();
    assertThat(minimal.type()).isEqualTo("payment.pinged");
    assertThat(minimal.key()).isEmpty();
    assertThat(minimal.dataContentType()).isEmpty();
    assertThat(minimal.headers()).isEmpty();
    assertThat(minimal.data()).isEmpty();
  }

  @Test
  @DisplayName("the trigger puts a keyed SQL row in the same partition as Relaybus does, so one "
      + "key keeps its order across SQL and Java producers")
  void sqlAndJavaProducersShareKeyOrder() throws Exception {
    String topic = "legacy.mixed";
    List<String> order = new CopyOnWriteArrayList<>();
    List<String> partitions = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, SubscribeOptions.builder().group("mixed").concurrency(8).build(), d -> {
      order.add(d.event().dataAsText());
      partitions.add(d.metadata().get("partition"));
    });
    List<String> expected = new ArrayList<>();
    try (Connection c = producer(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO relaybus.events (topic, id, source, type, key, data) VALUES (?, ?, "
            + "'urn:legacy', 'step', 'customer-1', convert_to(?, 'UTF8'))")) {
      for (int i = 0; i < 20; i++) {
        String text = "step-" + i;
        expected.add(text);
        if (i % 2 == 0) {
          bus.publish(topic, Event.builder().source("urn:java").type("step").key("customer-1")
              .text(text).build()).join();
        } else {
          ps.setString(1, topic);
          ps.setString(2, "sql-" + i);
          ps.setString(3, text);
          ps.executeUpdate();
        }
      }
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> order.size() >= expected.size());
    assertThat(order).containsExactlyElementsOf(expected);
    assertThat(partitions).containsOnly(Integer.toString(Partitioner.partition("customer-1", 8)));
  }

  @Test
  @DisplayName("rows without a key from SQL spread over partitions and all arrive")
  void unkeyedRowsAllArrive() throws SQLException {
    String topic = "legacy.unkeyed";
    List<String> ids = new CopyOnWriteArrayList<>();
    List<String> partitions = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, "unkeyed", d -> {
      ids.add(d.event().id());
      partitions.add(d.metadata().get("partition"));
    });
    try (Connection c = producer(); PreparedStatement ps = c.prepareStatement(
        "INSERT INTO relaybus.events (topic, id, source, type) SELECT ?, 'row-' || i, "
            + "'urn:legacy', 'bulk' FROM generate_series(1, 200) AS i")) {
      ps.setString(1, topic);
      assertThat(ps.executeUpdate()).isEqualTo(200);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> ids.size() >= 200);
    assertThat(ids).doesNotHaveDuplicates().hasSize(200);
    assertThat(partitions.stream().distinct().count()).as("partitions used").isGreaterThan(1);
  }
}
