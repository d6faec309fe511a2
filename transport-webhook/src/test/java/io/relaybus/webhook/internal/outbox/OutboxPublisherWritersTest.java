package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.Event;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.testing.CountingStatements;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Publishes to topics that no ordered endpoint or group takes are written by concurrent
 * statements; every other publish keeps publish order, also when this process believed its topic
 * unordered and another process has since given it an ordered endpoint (on a real PostgreSQL).
 */
class OutboxPublisherWritersTest {

  private static final Duration LEASE = Duration.ofMinutes(1);
  /** Only in the checked statements: nothing is written when a route keeps an order. */
  private static final String CHECK = "NOT EXISTS (SELECT 1 FROM m WHERE NOT m.packs)";
  private static final AtomicInteger SCHEMAS = new AtomicInteger();
  private static OutboxDatabase db;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_publish_writers");
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void unorderedTopicsAreWrittenByConcurrentStatementsThatCompleteWhenStored() throws Exception {
    String s = schema();
    // The first checked statement waits (bounded) until a second one is prepared: with one
    // statement at a time the second never comes while the first waits.
    CountDownLatch firstWaits = new CountDownLatch(1);
    CountDownLatch second = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    AtomicBoolean sawTwo = new AtomicBoolean();
    JdbcOutbox outbox = open(s, pool -> CountingStatements.preparing(pool, sql -> {
      if (sql.contains(CHECK)) {
        if (first.compareAndSet(true, false)) {
          firstWaits.countDown();
          try {
            sawTwo.set(second.await(10, TimeUnit.SECONDS));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        } else {
          second.countDown();
        }
      }
    }), 2);
    outbox.putEndpoint(endpoint("u", "t", false));
    outbox.putEndpoint(endpoint("other", "t", false));
    // A first publish large enough to go to a writer (a small one alone is written by the
    // publisher thread itself), then singles while its statement is in flight: with one writer
    // they would wait for it.
    List<CompletableFuture<Integer>> futures = new ArrayList<>();
    futures.add(outbox.publishAsync("t", events("batch", 40)));
    assertThat(firstWaits.await(10, TimeUnit.SECONDS)).isTrue();
    int n = 400;
    ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < n; i++) {
      String text = "e" + i;
      futures.add(outbox.publishAsync("t", events(text, 1)).thenApply(k -> {
        if (stored(s, text) != 2) {
          early.add(text);
        }
        return k;
      }));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    assertThat(sawTwo).as("two statements in flight at once").isTrue();
    assertThat(early).as("completed before their deliveries were committed").isEmpty();
    assertThat(futures.get(0).join()).isEqualTo(80);
    assertThat(futures.subList(1, n + 1)).allMatch(f -> f.join() == 2);
    assertThat(outbox.pending("u")).isEqualTo(40 + n);
    assertThat(Set.copyOf(texts(outbox.claim("u", 2 * n, false, false, LEASE))))
        .hasSize(40 + n);
  }

  @Test
  void aCheckedStatementWritesNothingWhenARouteKeepsOrder() throws SQLException {
    String s = schema();
    JdbcOutbox outbox = open(s, Function.identity(), 1);
    outbox.putEndpoint(endpoint("u", "t", false));
    OutboxPublisher publisher = new OutboxPublisher(new JdbcTransactions(pool(), s), s);
    open.add(publisher);
    for (int size : new int[] {5, OutboxPublisher.PACK_MIN_EVENTS + 8}) {
      try (Connection c = db.connect()) {
        assertThat(publisher.insertUnordered(c, List.of(request("t", size))))
            .as("only unordered endpoints, %d events", size).containsExactly(size);
      }
    }
    assertThat(outbox.pending("u")).isEqualTo(5 + OutboxPublisher.PACK_MIN_EVENTS + 8);

    outbox.putEndpoint(endpoint("o", "t", true));
    outbox.putGroup("g", "g-topic", "secret");
    for (String topic : new String[] {"t", "g-topic"}) {
      for (int size : new int[] {5, OutboxPublisher.PACK_MIN_EVENTS + 8}) {
        try (Connection c = db.connect()) {
          assertThat(publisher.insertUnordered(c, List.of(request("free", 3),
              request(topic, size)))).as("%s, %d events", topic, size).isNull();
        }
      }
    }
    assertThat(outbox.pending("u")).as("nothing written").isEqualTo(5
        + OutboxPublisher.PACK_MIN_EVENTS + 8);
    assertThat(count(s, "delivery")).as("the first group's rows only").isEqualTo(5);
    assertThat(count(s, "pack")).as("the second group's pack only").isEqualTo(1);
  }

  @Test
  void aTopicThatGotAnOrderedEndpointElsewhereKeepsPublishOrder() throws Exception {
    String s = schema();
    JdbcOutbox a = open(s, Function.identity(), 2);
    JdbcOutbox b = open(s, Function.identity(), 2);
    a.putEndpoint(endpoint("u", "t", false));
    a.publishAsync("t", events("first", 1)).get(10, TimeUnit.SECONDS); // t believed unordered
    b.putEndpoint(endpoint("o", "t", true));

    List<CompletableFuture<Integer>> futures = new ArrayList<>();
    List<String> published = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      List<Event> batch = events("p" + i + "-", i % 10 == 0 ? 40 : 1);
      batch.forEach(e -> published.add(new String(e.data(), StandardCharsets.UTF_8)));
      futures.add(a.publishAsync("t", batch));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    assertThat(texts(a.claim("o", 10 * published.size(), false, false, LEASE)))
        .as("the ordered endpoint's deliveries in publish order").containsExactlyElementsOf(
            published);
    assertThat(a.pending("u")).isEqualTo(published.size() + 1);
  }

  @Test
  void topicsAreLookedUpByTheirRoutes() {
    String s = schema();
    JdbcOutbox outbox = open(s, Function.identity(), 1);
    outbox.putEndpoint(endpoint("u", "free", false));
    outbox.putEndpoint(endpoint("u2", "ordered", false));
    outbox.putEndpoint(endpoint("o", "ordered", true));
    outbox.putGroup("g", "grouped", "secret");
    UnorderedTopics topics = new UnorderedTopics(new JdbcTransactions(pool(), s), s);
    assertThat(topics.unordered("free")).as("not looked up yet").isNull();
    topics.lookUp(List.of("free", "ordered", "grouped", "nobody"));
    assertThat(topics.unordered("free")).isTrue();
    assertThat(topics.unordered("nobody")).isTrue();
    assertThat(topics.unordered("ordered")).isFalse();
    assertThat(topics.unordered("grouped")).isFalse();

    outbox.putEndpoint(WebhookEndpoint.builder("all").url("https://example.com/all").topics("*")
        .ordered(true).build());
    topics.lookUp(List.of("free", "nobody"));
    assertThat(topics.unordered("free")).as("an ordered endpoint of every topic").isFalse();
    assertThat(topics.unordered("nobody")).isFalse();
  }

  @Test
  void closingWritesEveryPublishQueuedBeforeIt() throws Exception {
    String s = schema();
    JdbcOutbox outbox = open(s, Function.identity(), 2);
    outbox.putEndpoint(endpoint("u", "t", false));
    outbox.putEndpoint(endpoint("o", "ordered", true));
    List<CompletableFuture<Integer>> futures = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      futures.add(outbox.publishAsync(i % 5 == 0 ? "ordered" : "t", events("c" + i, 1)));
    }
    outbox.close();
    assertThat(futures).allSatisfy(f -> assertThat(f).isCompletedWithValue(1));
    JdbcOutbox reader = open(s, Function.identity(), 1);
    assertThat(reader.pending("u") + reader.pending("o")).isEqualTo(500);
  }

  private String schema() {
    return "writers_" + SCHEMAS.incrementAndGet();
  }

  private HikariDataSource pool() {
    HikariDataSource pool = db.pool(4);
    open.add(pool);
    return pool;
  }

  private JdbcOutbox open(String schema, Function<DataSource, DataSource> wrap, int writers) {
    JdbcOutbox o = new JdbcOutbox(wrap.apply(pool()), null, schema, true, writers);
    open.add(o);
    return o;
  }

  private static WebhookEndpoint endpoint(String name, String topic, boolean ordered) {
    return WebhookEndpoint.builder(name).url("https://example.com/" + name).topics(topic)
        .ordered(ordered).build();
  }

  private static List<Event> events(String prefix, int n) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Event.builder().source("/writers").type("w").text(n == 1 ? prefix : prefix + i)
          .build());
    }
    return out;
  }

  private static OutboxPublisher.Request request(String topic, int n) {
    return new OutboxPublisher.Request(topic, events(topic, n), 0, null);
  }

  private static List<String> texts(List<OutboxDelivery> ds) {
    return ds.stream().map(d -> new String(d.event().data(), StandardCharsets.UTF_8)).toList();
  }

  /** How many deliveries of the event with this text are committed, as rows or in packs. */
  private static long stored(String s, String text) {
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT (SELECT "
        + "count(*) FROM " + s + ".delivery WHERE convert_from(data, 'UTF8') = ?) + (SELECT "
        + "count(*) FROM " + s + ".pack p JOIN " + s + ".route_pack rp ON rp.pack_id = p.id, "
        + "unnest(p.data) d WHERE convert_from(d, 'UTF8') = ?)")) {
      ps.setString(1, text);
      ps.setString(2, text);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long count(String s, String table) throws SQLException {
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
        "SELECT count(*) FROM " + s + "." + table); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
