package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.Event;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL outbox directly, as two sender processes would use it: two outboxes (two
 * pools) on one database.
 */
class JdbcOutboxTest {
  private static OutboxDatabase db;
  private static final List<JdbcOutbox> OPEN = new ArrayList<>();

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_outbox_unit");
  }

  @AfterAll
  static void close() {
    OPEN.forEach(JdbcOutbox::close);
  }

  private static JdbcOutbox open() {
    HikariDataSource pool = db.pool(4);
    JdbcOutbox o = new JdbcOutbox(pool, pool, "relaybus_webhook");
    OPEN.add(o);
    return o;
  }

  private static List<Event> events(int n, String key) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Event.builder().source("/unit").type("unit").key(key).text("e" + i).build());
    }
    return out;
  }

  @Test
  void schemaCreationIsIdempotentAndConcurrent() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<JdbcOutbox>> f = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        f.add(pool.submit((Callable<JdbcOutbox>) JdbcOutboxTest::open));
      }
      for (Future<JdbcOutbox> x : f) {
        assertThat(x.get().durable()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoSendersClaimDisjointDeliveriesAndLeasesExpire() {
    JdbcOutbox a = open();
    JdbcOutbox b = open();
    a.putEndpoint(WebhookEndpoint.builder("share").url("https://example.com/h").topics("share-t")
        .build());
    for (int i = 0; i < 4; i++) { // publishes too small for a pack: rows, claimed one by one
      assertThat(a.publish("share-t", events(25, null))).isEqualTo(25);
    }
    assertThat(a.publish("nobody-listens", events(3, null))).isZero();

    List<OutboxDelivery> fromA = a.claim("share", 60, false, false, Duration.ofMillis(500));
    List<OutboxDelivery> fromB = b.claim("share", 60, false, false, Duration.ofMillis(500));
    assertThat(fromA).hasSize(60);
    assertThat(fromB).hasSize(40);
    Set<Long> ids = new HashSet<>();
    fromA.forEach(d -> ids.add(d.id()));
    fromB.forEach(d -> assertThat(ids.add(d.id())).as("claimed twice: %s", d.id()).isTrue());
    assertThat(b.claim("share", 10, false, false, Duration.ofSeconds(5))).isEmpty();

    // A dies without recording anything: its claims come back after the lease.
    fromB.forEach(d -> b.succeeded(new AttemptRecord(d.id(), 1, Instant.now(), Duration.ZERO,
        200, null)));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
        !b.claim("share", 100, false, false, Duration.ofSeconds(30)).isEmpty());
    assertThat(b.pending("share")).isEqualTo(60);
    assertThat(b.attempts("share", 1000, false)).hasSize(40);
  }

  @Test
  void perKeyClaimTakesOnlyTheOldestPendingDeliveryOfAKey() {
    JdbcOutbox o = open();
    o.putGroup("g", "keyed", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    String route = Route.groupRoute("g", "keyed");
    o.publish("keyed", events(5, "k1"));
    o.publish("keyed", events(5, "k2"));
    o.publish("keyed", events(2, null));
    List<OutboxDelivery> first = o.claim(route, 100, false, true, Duration.ofSeconds(30));
    assertThat(first).extracting(d -> d.event().key().orElse("-"))
        .containsExactlyInAnyOrder("k1", "k2", "-", "-");
    // While the heads are leased, nothing more of their keys is claimable.
    assertThat(o.claim(route, 100, false, true, Duration.ofSeconds(30))).isEmpty();
    OutboxDelivery k1 = first.stream().filter(d -> d.event().key().orElse("").equals("k1"))
        .findFirst().orElseThrow();
    o.succeeded(new AttemptRecord(k1.id(), 1, Instant.now(), Duration.ZERO, 204, null));
    List<OutboxDelivery> next = o.claim(route, 100, false, true, Duration.ofSeconds(30));
    assertThat(next).hasSize(1);
    assertThat(next.get(0).event().key()).contains("k1");
    assertThat(next.get(0).id()).isGreaterThan(k1.id());
  }

  @Test
  void renewedLeasesHoldAndALapsedGroupClaimCountsAHandlerAttempt() {
    JdbcOutbox a = open();
    JdbcOutbox b = open();
    a.putGroup("renewers", "renew-t",
        io.relaybus.webhook.signature.WebhookSecret.generate().format());
    a.publish("renew-t", events(2, null));
    String route = Route.groupRoute("renewers", "renew-t");
    List<OutboxDelivery> held = a.claim(route, 2, false, true, Duration.ofSeconds(2));
    assertThat(held).hasSize(2).allSatisfy(d -> assertThat(d.handlerAttempt()).isEqualTo(1));
    // A renews one of its two requests in flight: only the other comes back after the lease.
    a.renew(List.of(held.get(0).id()), Duration.ofSeconds(30));
    java.util.concurrent.atomic.AtomicReference<List<OutboxDelivery>> got =
        new java.util.concurrent.atomic.AtomicReference<>();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> {
      got.set(b.claim(route, 10, false, true, Duration.ofSeconds(30)));
      return !got.get().isEmpty();
    });
    assertThat(got.get()).hasSize(1);
    OutboxDelivery lapsed = got.get().get(0);
    assertThat(lapsed.id()).as("the renewed claim stays A's").isEqualTo(held.get(1).id());
    assertThat(lapsed.handlerAttempt()).as("A died with it in flight: an attempt counts")
        .isEqualTo(2);
    // B renewing A's claim changes nothing (owner check); A's own renewal keeps it.
    b.renew(List.of(held.get(0).id()), Duration.ofMillis(1));
    assertThat(b.claim(route, 10, false, true, Duration.ofSeconds(30))).isEmpty();
  }

  @Test
  void attemptsKeepTheEventAndTheMigrationAddsTheColumnsToAnOldSchema() throws Exception {
    String schema = "relaybus_webhook_pre_event_id";
    JdbcOutbox o = openSchema(schema);
    // Make it the schema of an older version: no event columns, one attempt recorded then.
    try (java.sql.Connection c = db.connect(); java.sql.Statement st = c.createStatement()) {
      st.execute("ALTER TABLE " + schema + ".attempt DROP COLUMN event_id, DROP COLUMN "
          + "webhook_id");
      st.execute("INSERT INTO " + schema + ".attempt (delivery_id, route, attempt, started_at, "
          + "duration_ms, status, error) VALUES (1, 'mig', 1, now() - interval '1 minute', 5, "
          + "500, 'HTTP 500')");
    }
    o.close();
    OPEN.remove(o);
    JdbcOutbox migrated = openSchema(schema);
    openSchema(schema); // and again: idempotent
    migrated.putEndpoint(WebhookEndpoint.builder("mig").url("https://example.com/m")
        .topics("mig-t").build());
    Event e = events(1, null).get(0);
    migrated.publish("mig-t", List.of(e));
    OutboxDelivery d = migrated.claim("mig", 10, false, false, Duration.ofSeconds(30)).get(0);
    migrated.succeeded(new AttemptRecord(d.id(), 1, Instant.now(), Duration.ZERO, 204, null,
        e.id(), "msg_x"));
    List<AttemptRecord> attempts = migrated.attempts("mig", 10, false);
    assertThat(attempts).extracting(AttemptRecord::status, AttemptRecord::eventId,
        AttemptRecord::webhookId).containsExactly(
            org.assertj.core.groups.Tuple.tuple(500, null, null),
            org.assertj.core.groups.Tuple.tuple(204, e.id(), "msg_x"));
  }

  private static JdbcOutbox openSchema(String schema) {
    HikariDataSource pool = db.pool(2);
    JdbcOutbox o = new JdbcOutbox(pool, pool, schema);
    OPEN.add(o);
    return o;
  }

  /**
   * A failure without an SQLSTATE (here the pool's own "has been closed") fails the call with
   * the outbox's error, not a NullPointerException from the deadlock-retry check (seen in a CI
   * log while a test killed the outbox's connections: the dispatcher's rounds failed with NPEs).
   */
  @Test
  void aFailureWithoutSqlStateFailsWithTheOutboxError() {
    HikariDataSource pool = db.pool(2);
    JdbcOutbox o = new JdbcOutbox(pool, pool, "relaybus_webhook");
    pool.close();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> o.publish("closed-t", events(1,
        null))).isInstanceOf(io.relaybus.RelaybusException.class)
        .hasMessageContaining("Webhook outbox (PostgreSQL, schema relaybus_webhook) failed");
  }

  @Test
  void aClaimDoesNotDecodeEventsSoOneUndecodableRowDoesNotStopItsRoute() throws SQLException {
    JdbcOutbox o = open();
    o.putEndpoint(WebhookEndpoint.builder("lazy").url("https://example.com/z")
        .topics("lazy-t").build());
    o.publish("lazy-t", events(2, null));
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE relaybus_webhook.delivery SET attributes = 'not json' WHERE id = "
          + "(SELECT min(id) FROM relaybus_webhook.delivery WHERE route = 'lazy')");
    }
    List<OutboxDelivery> claimed = o.claim("lazy", 10, false, false, Duration.ofMinutes(1));
    assertThat(claimed).as("decoded by the thread that sends each, not by the claim")
        .hasSize(2);
    assertThat(claimed.get(1).event().type()).isEqualTo("unit");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> claimed.get(0).event())
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void pruneDeletesOldAttempts() {
    JdbcOutbox o = open();
    o.putEndpoint(WebhookEndpoint.builder("prune").url("https://example.com/p").topics("prune-t")
        .build());
    o.publish("prune-t", events(2, null));
    List<OutboxDelivery> ds = o.claim("prune", 10, false, false, Duration.ofSeconds(30));
    o.failed(new AttemptRecord(ds.get(0).id(), 1, Instant.now().minus(Duration.ofDays(8)),
        Duration.ZERO, 500, "HTTP 500"), Instant.now(), 1, true);
    o.failed(new AttemptRecord(ds.get(1).id(), 1, Instant.now(), Duration.ZERO, 500, "HTTP 500"),
        Instant.now(), 1, true);
    assertThat(o.attempts("prune", 10, false)).hasSize(2);
    assertThat(o.prune(Duration.ofDays(7))).isGreaterThanOrEqualTo(1);
    assertThat(o.attempts("prune", 10, false)).hasSize(1);
  }

  @Test
  void aTransactionPostgresAbortsAsADeadlockVictimRunsAgain() throws Exception {
    JdbcOutbox o = open();
    o.putEndpoint(WebhookEndpoint.builder("deadlock").url("https://example.com/h")
        .topics("deadlock-t").build());
    o.publish("deadlock-t", events(2, null));
    List<OutboxDelivery> claimed = o.claim("deadlock", 2, false, false, Duration.ofMinutes(1));
    assertThat(claimed).hasSize(2);
    long first = claimed.get(0).id();
    long second = claimed.get(1).id();
    String touch = "UPDATE relaybus_webhook.delivery SET due_at = due_at WHERE id = ?";
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection other = db.connect()) {
      long deadlocksBefore = deadlocks(other);
      other.setAutoCommit(false);
      update(other, touch, second);
      // The renewal locks the first row, then waits for the second; the other transaction then
      // waits for the first: a deadlock, detected by the renewal (it waited first).
      Future<?> renewal = pool.submit(() -> o.renew(List.of(first, second),
          Duration.ofMinutes(1)));
      await().atMost(Duration.ofSeconds(10)).until(JdbcOutboxTest::aStatementWaitsForALock);
      update(other, touch, first);
      other.commit();
      renewal.get(20, TimeUnit.SECONDS); // ran again after the abort: no exception
      other.setAutoCommit(true);
      assertThat(deadlocks(other)).as("PostgreSQL detected the deadlock")
          .isEqualTo(deadlocksBefore + 1);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void update(Connection c, String sql, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
  }

  static long deadlocks(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static boolean aStatementWaitsForALock() throws SQLException {
    try (Connection c = db.connect()) {
      return waitingForALock(c);
    }
  }

  /** Whether a statement of the outbox that sets leases waits for a row lock. */
  static boolean waitingForALock(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            + "AND query LIKE '%lease_until = now()%'")) {
      rs.next();
      return rs.getLong(1) > 0;
    }
  }
}

