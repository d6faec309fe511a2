package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Packs (ADR 0020) in the PostgreSQL outbox, directly, as sender processes use it: a publish of
 * many events to unordered endpoints stored as one pack, claimed whole by one sender, finished
 * by successes, written out as rows by failures and releases, taken over after a lapsed lease,
 * counted by the operator queries; nothing left behind once every event is done.
 */
class JdbcOutboxPacksTest {
  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final AtomicInteger SCHEMAS = new AtomicInteger();
  private static OutboxDatabase db;
  private static final List<JdbcOutbox> OPEN = new ArrayList<>();
  private static final List<HikariDataSource> POOLS = new ArrayList<>();

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_outbox_packs");
  }

  @AfterAll
  static void close() {
    OPEN.forEach(JdbcOutbox::close);
    POOLS.forEach(HikariDataSource::close);
  }

  /** A fresh schema for a test, and a way to open more senders on it. */
  private static String schema() {
    return "packs_" + SCHEMAS.incrementAndGet();
  }

  private static JdbcOutbox open(String schema) {
    HikariDataSource pool = db.pool(4);
    POOLS.add(pool);
    JdbcOutbox o = new JdbcOutbox(pool, null, schema);
    OPEN.add(o);
    return o;
  }

  private static List<Event> events(String prefix, int n) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Event.builder().source("/packs").type("pack").text(prefix + i).build());
    }
    return out;
  }

  /** Two senders on a fresh schema, an unordered endpoint "fast" on "t", one pack of {@code n}. */
  private record Two(String s, JdbcOutbox a, JdbcOutbox b) {}

  private static Two twoSendersAndAPack(int n) {
    String s = schema();
    JdbcOutbox a = open(s);
    JdbcOutbox b = open(s);
    a.putEndpoint(endpoint("fast", "t", false));
    a.publish("t", events("e", n));
    return new Two(s, a, b);
  }

  /** The texts of {@link #events}: {@code prefix0} to {@code prefix<n-1>}. */
  private static List<String> named(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(prefix + i);
    }
    return out;
  }

  private static WebhookEndpoint endpoint(String name, String topic, boolean ordered) {
    return WebhookEndpoint.builder(name).url("https://example.com/" + name).topics(topic)
        .ordered(ordered).build();
  }

  private static String text(OutboxDelivery d) {
    return new String(d.event().data(), StandardCharsets.UTF_8);
  }

  private static List<String> texts(List<OutboxDelivery> ds) {
    return ds.stream().map(JdbcOutboxPacksTest::text).toList();
  }

  private static AttemptRecord ok(OutboxDelivery d) {
    return new AttemptRecord(d.id(), d.attempts() + 1, Instant.now(), Duration.ofMillis(3), 200,
        null, d.event().id(), "msg_" + d.event().id());
  }

  private static long count(String sql) {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aLargePublishIsOnePackForUnorderedEndpointsAndRowsForOrderedOnes() {
    String s = schema();
    JdbcOutbox o = open(s);
    o.putEndpoint(endpoint("fast", "t", false));
    o.putEndpoint(endpoint("also", "t", false));
    o.putEndpoint(endpoint("strict", "t", true));
    o.putGroup("g", "t", "secret");
    List<Event> batch = events("e", 100);

    assertThat(o.publish("t", batch)).isEqualTo(400);

    assertThat(count("SELECT count(*) FROM " + s + ".pack")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM " + s + ".route_pack")).isEqualTo(2);
    assertThat(count("SELECT count(*) FROM " + s + ".delivery")).as("ordered endpoint and group")
        .isEqualTo(200);
    assertThat(o.pending("fast")).isEqualTo(100);
    assertThat(o.pending("strict")).isEqualTo(100);
    Backlog backlog = o.backlog("fast", "t");
    assertThat(backlog.depth()).isEqualTo(100);
    assertThat(backlog.oldest()).isNotNull();
    assertThat(o.backlog("fast", "other").depth()).isZero();
    assertThat(o.topics()).contains("t");
    EventTrace trace = o.trace("t", batch.get(7).id(), List.of("fast", "also", "strict"));
    assertThat(trace.pending()).containsEntry("fast", 1L).containsEntry("also", 1L)
        .containsEntry("strict", 1L);

    // Small publishes stay rows: a pack of a few events costs more than their rows.
    o.publish("t", events("small", OutboxPublisher.PACK_MIN_EVENTS - 1));
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).isEqualTo(1);
    assertThat(o.pending("fast")).isEqualTo(100 + OutboxPublisher.PACK_MIN_EVENTS - 1);
  }

  @Test
  void withPacksOffALargePublishIsRowsAndStoredPacksAreStillDelivered() {
    String s = schema();
    JdbcOutbox packing = open(s);
    packing.putEndpoint(endpoint("fast", "t", false));
    packing.publish("t", events("p", 40));
    HikariDataSource pool = db.pool(2);
    POOLS.add(pool);
    JdbcOutbox rowsOnly = new JdbcOutbox(pool, null, s, false);
    OPEN.add(rowsOnly);

    rowsOnly.publish("t", events("r", 40));

    assertThat(count("SELECT count(*) FROM " + s + ".delivery")).isEqualTo(40);
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).isEqualTo(1);
    List<OutboxDelivery> all = rowsOnly.claim("fast", 100, false, false, LEASE);
    assertThat(texts(all)).as("rows first, then the pack")
        .containsExactlyElementsOf(concat(named("r", 40), named("p", 40)));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  @Test
  void aPackIsClaimedWholeInPublishOrderAndFinishedBySuccesses() {
    Two two = twoSendersAndAPack(50);
    String s = two.s();
    JdbcOutbox a = two.a();
    JdbcOutbox b = two.b();

    List<OutboxDelivery> claimed = a.claim("fast", 10, false, false, LEASE);
    assertThat(texts(claimed)).as("the whole pack, in publish order")
        .containsExactlyElementsOf(named("e", 50));
    assertThat(claimed).allMatch(d -> d.id() < 0 && d.attempts() == 0 && d.handlerAttempt() == 1);
    assertThat(new HashSet<>(claimed.stream().map(OutboxDelivery::id).toList())).hasSize(50);
    assertThat(b.claim("fast", 100, false, false, LEASE)).as("leased by the first").isEmpty();

    a.succeeded(claimed.subList(0, 20).stream().map(JdbcOutboxPacksTest::ok).toList());
    assertThat(a.pending("fast")).isEqualTo(30);
    // Recorded again (a retried write): nothing changes, no second attempt record.
    a.succeeded(claimed.subList(10, 20).stream().map(JdbcOutboxPacksTest::ok).toList());
    assertThat(a.pending("fast")).isEqualTo(30);
    assertThat(a.attempts("fast", 100, false)).hasSize(20)
        .allMatch(r -> r.status() == 200 && r.eventId() != null);

    a.succeededAndClaim(claimed.subList(20, 50).stream().map(JdbcOutboxPacksTest::ok).toList(),
        "fast", 10, false, false, LEASE);
    assertThat(a.pending("fast")).isZero();
    assertThat(a.attempts("fast", 100, false)).hasSize(50);
    assertThat(count("SELECT count(*) FROM " + s + ".route_pack")).isZero();
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).as("no route needs it").isZero();
  }

  @Test
  void aFailedPackEventIsRetriedAsARowAndADeadLetteredOneLeavesThePack() {
    Two two = twoSendersAndAPack(40);
    String s = two.s();
    JdbcOutbox a = two.a();
    JdbcOutbox b = two.b();
    List<OutboxDelivery> claimed = a.claim("fast", 40, false, false, LEASE);
    OutboxDelivery failing = claimed.get(3);
    OutboxDelivery dead = claimed.get(4);

    a.failed(new AttemptRecord(failing.id(), 1, Instant.now(), Duration.ofMillis(5), 503,
        "busy", failing.event().id(), "w"), Instant.now().minusSeconds(1), 1, true);
    a.deadLetterDelivery(new AttemptRecord(dead.id(), 1, Instant.now(), Duration.ofMillis(5),
        400, "bad", dead.event().id(), "w"), dead, "fast", DeadLetterReason.NON_RETRYABLE, 1,
        "400");

    assertThat(a.pending("fast")).isEqualTo(39);
    List<OutboxDelivery> retry = b.claim("fast", 10, false, false, LEASE);
    assertThat(retry).as("the failed event, now a row, due; the pack is still leased")
        .singleElement().satisfies(d -> {
          assertThat(d.id()).isPositive();
          assertThat(text(d)).isEqualTo("e3");
          assertThat(d.attempts()).isEqualTo(1);
          assertThat(d.event().id()).isEqualTo(failing.event().id());
        });
    assertThat(a.deadLetters(DeadLetterQuery.builder("t").build(), null, 10)).singleElement()
        .satisfies(dl -> assertThat(dl.event().id()).isEqualTo(dead.event().id()));
    assertThat(a.attempts("fast", 10, false)).extracting(AttemptRecord::status)
        .containsExactlyInAnyOrder(503, 400);

    // Both outcomes are final: a late success of either changes nothing.
    a.succeeded(List.of(ok(failing), ok(dead)));
    assertThat(a.pending("fast")).isEqualTo(39);
    List<AttemptRecord> rest = new ArrayList<>();
    for (OutboxDelivery d : claimed) {
      if (d != failing && d != dead) {
        rest.add(ok(d));
      }
    }
    a.succeeded(rest);
    b.succeeded(List.of(ok(retry.get(0))));
    assertThat(a.pending("fast")).isZero();
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).isZero();
  }

  @Test
  void aLapsedPackLeaseGivesItsUnfinishedEventsToAnotherSender() {
    Two two = twoSendersAndAPack(40);
    String s = two.s();
    JdbcOutbox a = two.a();
    JdbcOutbox b = two.b();
    List<OutboxDelivery> claimed = a.claim("fast", 40, false, false, Duration.ofMillis(300));
    a.succeeded(claimed.subList(0, 30).stream().map(JdbcOutboxPacksTest::ok).toList());

    // Renewed (one of its events renews the whole pack), it stays the first sender's.
    a.renew(List.of(claimed.get(35).id()), Duration.ofSeconds(2));
    assertThat(count("SELECT count(*) FROM " + s + ".route_pack WHERE lease_until > now() + "
        + "interval '1 second'")).isOne();
    assertThat(b.claim("fast", 40, false, false, LEASE)).isEmpty();

    // The first sender dies: after the lease, only the events it did not finish come back.
    List<OutboxDelivery> taken = await().atMost(Duration.ofSeconds(10))
        .until(() -> b.claim("fast", 40, false, false, LEASE), l -> !l.isEmpty());
    assertThat(texts(taken)).containsExactly("e30", "e31", "e32", "e33", "e34", "e35", "e36",
        "e37", "e38", "e39");
    // The first sender's outcomes after losing its lease: a failure does not reschedule what
    // the second sends now; a success still counts (the event was delivered).
    OutboxDelivery late = claimed.get(30);
    a.failed(new AttemptRecord(late.id(), 1, Instant.now(), Duration.ZERO, 500, "late",
        late.event().id(), "w"), Instant.now(), 1, true);
    assertThat(count("SELECT count(*) FROM " + s + ".delivery")).isZero();
    a.succeeded(List.of(ok(claimed.get(31))));
    assertThat(b.pending("fast")).isEqualTo(9);
    b.succeeded(taken.stream().map(JdbcOutboxPacksTest::ok).toList());
    assertThat(b.pending("fast")).isZero();
  }

  @Test
  void releasedPackEventsBecomeRowsClaimableAtOnce() {
    Two two = twoSendersAndAPack(40);
    String s = two.s();
    JdbcOutbox a = two.a();
    JdbcOutbox b = two.b();
    List<OutboxDelivery> claimed = a.claim("fast", 40, false, false, LEASE);

    a.renew(claimed.subList(32, 40).stream().map(OutboxDelivery::id).toList(), Duration.ZERO);

    List<OutboxDelivery> released = b.claim("fast", 100, false, false, LEASE);
    assertThat(texts(released)).containsExactly("e32", "e33", "e34", "e35", "e36", "e37",
        "e38", "e39");
    assertThat(released).allMatch(d -> d.id() > 0 && d.attempts() == 0);
    assertThat(a.pending("fast")).isEqualTo(40);
  }

  @Test
  void anEndpointThatBecomesOrderedTakesItsPackedEventsAsRowsInOrder() {
    String s = schema();
    JdbcOutbox a = open(s);
    a.putEndpoint(endpoint("fast", "t", false));
    a.publish("t", events("e", 40));
    a.publish("t", events("f", 40));

    a.putEndpoint(endpoint("fast", "t", true));

    assertThat(count("SELECT count(*) FROM " + s + ".route_pack")).isZero();
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).isZero();
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      List<OutboxDelivery> head = a.claim("fast", 1, true, false, LEASE);
      assertThat(head).hasSize(1);
      order.add(text(head.get(0)));
      a.succeeded(List.of(ok(head.get(0))));
    }
    List<String> expected = new ArrayList<>(named("e", 40));
    expected.addAll(named("f", 40));
    assertThat(order).containsExactlyElementsOf(expected);
  }

  @Test
  void removingARouteRemovesItsPacksAndASharedPackGoesWithTheLastRoute() {
    String s = schema();
    JdbcOutbox a = open(s);
    a.putEndpoint(endpoint("one", "t", false));
    a.putEndpoint(endpoint("two", "t", false));
    a.putEndpoint(endpoint("other", "u", false));
    List<Event> mixed = new ArrayList<>(events("e", 20));
    a.publish("t", mixed);
    a.publish("u", events("u", 40));
    assertThat(a.pending("one")).as("20 events are too few for a pack").isEqualTo(20);

    List<Event> many = events("m", 40);
    a.publish("t", many);
    List<OutboxDelivery> one = a.claim("one", 100, false, false, LEASE);
    a.succeeded(one.stream().map(JdbcOutboxPacksTest::ok).toList());
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).as("'two' still needs one")
        .isEqualTo(2);

    assertThat(a.removeRoute("two")).isTrue();
    assertThat(count("SELECT count(*) FROM " + s + ".route_pack WHERE route = 'two'")).isZero();
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).as("the 'u' pack").isEqualTo(1);
    assertThat(a.writeOutStrayPacks()).isZero();
  }

  @Test
  void twoRoutesFinishingOnePackAtOnceLeaveNothingBehind() throws Exception {
    String s = schema();
    JdbcOutbox a = open(s);
    a.putEndpoint(endpoint("one", "t", false));
    a.putEndpoint(endpoint("two", "t", false));
    a.publish("t", events("e", 40));
    long one = count("SELECT id FROM " + s + ".route_pack WHERE route = 'one'");
    long two = count("SELECT id FROM " + s + ".route_pack WHERE route = 'two'");
    String finishAll = "SELECT count(*) FROM " + s + ".pack_done(?, ?, NULL)";
    Long[] positions = new Long[40];
    for (int i = 0; i < 40; i++) {
      positions[i] = (long) i;
    }
    // Each route's last events finished in its own transaction, the first still open while the
    // second runs: neither may keep the pack because it saw the other's route pack.
    try (Connection first = db.connect(); Connection second = db.connect()) {
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      finish(first, finishAll, one, positions);
      java.util.concurrent.CompletableFuture<Void> other =
          java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
              finish(second, finishAll, two, positions);
              second.commit();
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
      // The second is inside pack_done: waiting for the pack's lock, or (without the lock)
      // finished, having seen the first's route pack.
      await().atMost(Duration.ofSeconds(10)).until(() -> other.isDone()
          || count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
          + "query LIKE '%pack_done%'") > 0);
      first.commit();
      other.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertThat(count("SELECT count(*) FROM " + s + ".route_pack")).isZero();
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).isZero();
  }

  private static void finish(Connection c, String sql, long routePack, Long[] positions)
      throws SQLException {
    Long[] packs = new Long[positions.length];
    java.util.Arrays.fill(packs, routePack);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setArray(1, c.createArrayOf("bigint", packs));
      ps.setArray(2, c.createArrayOf("int4", java.util.Arrays.stream(positions)
          .map(Long::intValue).toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(positions.length);
      }
    }
  }

  @Test
  void packsOfARouteThatNoLongerTakesThemAreWrittenOutInOrder() throws SQLException {
    String s = schema();
    JdbcOutbox a = open(s);
    a.putEndpoint(endpoint("fast", "t", false));
    a.publish("t", events("e", 40));
    // As if another process made it ordered between this publish's read of the route and now.
    try (Connection c = db.connect()) {
      c.createStatement().execute("UPDATE " + s + ".route SET packs = false");
    }

    assertThat(a.writeOutStrayPacks()).isEqualTo(40);

    assertThat(count("SELECT count(*) FROM " + s + ".route_pack")).isZero();
    assertThat(count("SELECT count(*) FROM " + s + ".pack")).isZero();
    List<String> order = new ArrayList<>();
    for (OutboxDelivery d : a.claim("fast", 40, false, false, LEASE)) {
      order.add(text(d));
    }
    assertThat(order).containsExactlyElementsOf(named("e", 40));
    assertThat(a.writeOutStrayPacks()).isZero();
  }

  @Test
  void aPackOnlyCountsTheEventsOfTopicsTheRouteTakes() throws SQLException {
    String s = schema();
    JdbcOutbox a = open(s);
    a.putEndpoint(WebhookEndpoint.builder("both").url("https://example.com/b").topics("x", "y")
        .build());
    a.putEndpoint(endpoint("onlyx", "x", false));
    // Two publishes grouped in one statement: one pack for both topics.
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      a.publish(c, "x", events("x", 20));
      c.commit();
    }
    List<OutboxPublisher.Request> group = List.of(
        new OutboxPublisher.Request("x", events("x", 20), 0, null),
        new OutboxPublisher.Request("y", events("y", 20), 0, null));
    HikariDataSource pool = db.pool(1);
    POOLS.add(pool);
    OutboxPublisher publisher = new OutboxPublisher(new JdbcTransactions(pool, s), s);
    try (Connection c = db.connect()) {
      assertThat(publisher.insert(c, group)).containsExactly(40, 20);
    }
    publisher.close();

    assertThat(a.pending("onlyx")).isEqualTo(40);
    assertThat(a.backlog("both", "y").depth()).isEqualTo(20);
    assertThat(a.backlog("onlyx", "y").depth()).isZero();
    List<OutboxDelivery> onlyx = a.claim("onlyx", 100, false, false, LEASE);
    assertThat(onlyx).hasSize(40).allMatch(d -> d.topic().equals("x"));
    Set<String> seen = new HashSet<>();
    onlyx.forEach(d -> seen.add(text(d)));
    assertThat(seen).hasSize(20); // x0..x19 twice: the transactional rows and the pack
  }
}
