package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.tck.Recorder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sequence gaps from out-of-order commits (watermill-sql #311): transactions take sequence
 * values in one order and commit in another, some roll back, while two groups consume. No
 * committed event may ever be skipped by any group, and no rolled-back one may be delivered.
 */
class PostgresGapsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Duration QUIET = Duration.ofSeconds(1);
  private static final String SOURCE = "urn:relaybus:test:gaps";

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_gaps");
  private final TestBuses buses = DB.buses();

  @BeforeAll
  static void createOrdersTable() {
    DB.execute("CREATE TABLE orders (id text PRIMARY KEY)");
  }

  private static Event event(String id) {
    return Event.builder().id(id).source(SOURCE).type("test.gap").text(id).build();
  }

  private static Connection transaction() throws SQLException {
    return DB.transaction("gaps-test-writer");
  }

  /** Publishes with plain SQL, as a non-Java producer would (the trigger picks the partition). */
  private static void plainInsert(Connection c, String topic, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO relaybus.events "
        + "(topic, id, source, type, datacontenttype, data) VALUES (?, ?, ?, 'test.gap', "
        + "'text/plain; charset=utf-8', ?)")) {
      ps.setString(1, topic);
      ps.setString(2, id);
      ps.setString(3, SOURCE);
      ps.setBytes(4, id.getBytes(StandardCharsets.UTF_8));
      ps.executeUpdate();
    }
  }

  private static void insertOrder(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (id) VALUES (?)")) {
      ps.setString(1, id);
      ps.executeUpdate();
    }
  }

  /** The (seq, txid) of an event row as its own, still open, transaction sees it. */
  private static long[] position(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT seq, txid::text::bigint FROM relaybus.events WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("row of %s visible to its own transaction", id).isTrue();
        return new long[] {rs.getLong(1), rs.getLong(2)};
      }
    }
  }

  private static void subscribeMembers(EventBus bus, String topic, String group,
      Recorder recorder, int members) {
    for (int m = 0; m < members; m++) {
      String member = group + "-m" + m;
      bus.subscribe(topic, SubscribeOptions.builder().group(group).concurrency(2).build(),
          d -> recorder.record(member, d));
    }
  }

  /** Lets consumers poll while older transactions are still open: an ordering window. */
  private static void pause() throws InterruptedException {
    Thread.sleep(300);
  }

  /**
   * Waits until both groups have every committed event, then checks that, for a quiet while,
   * neither has anything else.
   */
  private static void awaitExactlyCommitted(Set<String> committed, Recorder billing,
      Recorder shipping) {
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(billing.ids()).containsAll(committed);
      assertThat(shipping.ids()).containsAll(committed);
    });
    await().during(QUIET).atMost(QUIET.plusSeconds(30)).untilAsserted(() -> {
      assertThat(billing.ids()).containsExactlyInAnyOrderElementsOf(committed);
      assertThat(shipping.ids()).containsExactlyInAnyOrderElementsOf(committed);
    });
  }

  @Test
  @DisplayName("transactions that take sequence values in one order and commit in reverse, "
      + "one rolling back, lose nothing for either group")
  void reverseCommitOrderSkipsNothing() throws Exception {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "gaps.reverse";
    Recorder billing = new Recorder();
    Recorder shipping = new Recorder();
    subscribeMembers(bus, topic, "billing", billing, 2);
    subscribeMembers(bus, topic, "shipping", shipping, 2);
    bus.publish(topic, event("warm-up")).join();
    await().atMost(PATIENCE).until(() -> billing.ids().contains("warm-up")
        && shipping.ids().contains("warm-up"));

    Set<String> committed = new LinkedHashSet<>(List.of("warm-up"));
    try (Connection a = transaction(); Connection b = transaction();
        Connection c = transaction(); Connection d = transaction();
        Connection e = transaction()) {
      // a takes the oldest transaction id with a business row, but its event a later seq.
      insertOrder(a, "order-a");
      pg.publish(b, topic, List.of(event("b-1")));
      plainInsert(c, topic, "c-1");
      pg.publish(a, topic, List.of(event("a-1")));
      pg.publish(d, topic, List.of(event("d-rolled-back")));
      pg.publish(e, topic, List.of(event("e-1")));
      plainInsert(e, topic, "e-2");

      long[] pb = position(b, "b-1");
      long[] pc = position(c, "c-1");
      long[] pa = position(a, "a-1");
      long[] pd = position(d, "d-rolled-back");
      long[] pe = position(e, "e-1");
      assertThat(new long[] {pb[0], pc[0], pa[0], pd[0], pe[0]})
          .as("sequence values are taken in the order b, c, a, d, e").isSorted();
      assertThat(pa[1]).as("a's transaction id is older than b's although its seq is later")
          .isLessThan(pb[1]);

      // Commit in reverse order of the sequence values, with normal publishes in between.
      e.commit();
      committed.addAll(List.of("e-1", "e-2"));
      bus.publish(topic, event("p-1")).join();
      committed.add("p-1");
      pause();
      d.rollback();
      pause();
      a.commit();
      committed.add("a-1");
      bus.publish(topic, event("p-2")).join();
      committed.add("p-2");
      pause();
      c.commit();
      committed.add("c-1");
      pause();
      b.commit();
      committed.add("b-1");
      bus.publish(topic, event("p-3")).join();
      committed.add("p-3");
    }

    awaitExactlyCommitted(committed, billing, shipping);
    assertThat(billing.duplicates()).as("billing redeliveries in normal operation").isEmpty();
    assertThat(shipping.duplicates()).as("shipping redeliveries in normal operation").isEmpty();
  }

  @Test
  @DisplayName("many concurrent transactions with random commit delays and rollbacks: every "
      + "committed event reaches both groups, no rolled-back one does")
  void concurrentOutOfOrderCommitsSkipNothing() throws Exception {
    EventBus bus = buses.bus();
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    String topic = "gaps.concurrent";
    Recorder billing = new Recorder();
    Recorder shipping = new Recorder();
    subscribeMembers(bus, topic, "billing", billing, 2);
    subscribeMembers(bus, topic, "shipping", shipping, 2);

    int writers = 8;
    int transactionsPerWriter = 40;
    Set<String> committed = ConcurrentHashMap.newKeySet();
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        done.add(pool.submit(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          try (Connection c = transaction()) {
            for (int t = 0; t < transactionsPerWriter; t++) {
              List<String> ids = new ArrayList<>();
              if (random.nextInt(3) == 0) {
                // Take a transaction id now and the event's seq later, after other writers.
                insertOrder(c, "order-" + writer + "-" + t);
                Thread.sleep(random.nextInt(10));
              }
              int events = 1 + random.nextInt(3);
              for (int i = 0; i < events; i++) {
                String id = "w" + writer + "-t" + t + "-e" + i;
                ids.add(id);
                if (random.nextBoolean()) {
                  pg.publish(c, topic, List.of(event(id)));
                } else {
                  plainInsert(c, topic, id);
                }
              }
              // Hold the transaction open so later sequence values commit first.
              Thread.sleep(random.nextInt(25));
              if (random.nextInt(7) == 0) {
                c.rollback();
                rolledBack.addAll(ids);
              } else {
                c.commit();
                committed.addAll(ids);
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(rolledBack).as("the random plan rolled something back").isNotEmpty();

    awaitExactlyCommitted(committed, billing, shipping);
    assertThat(billing.duplicates()).isEmpty();
    assertThat(shipping.duplicates()).isEmpty();
    System.out.printf("gaps: %d events committed, %d rolled back, delivered to 2 groups%n",
        committed.size(), rolledBack.size());
  }

  @Test
  @DisplayName("an open read-only transaction does not hold delivery back (README, Limits)")
  void openReadOnlyTransactionDoesNotDelayDelivery() throws Exception {
    EventBus bus = buses.bus();
    String topic = "gaps.read-only";
    Recorder recorder = new Recorder();
    subscribeMembers(bus, topic, "audit", recorder, 1);

    try (Connection reader = transaction(); Statement st = reader.createStatement()) {
      st.executeQuery("SELECT count(*) FROM orders").close();
      bus.publish(topic, event("during-read-only")).join();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> recorder.ids().contains("during-read-only"));
      reader.rollback();
    }
  }
}
