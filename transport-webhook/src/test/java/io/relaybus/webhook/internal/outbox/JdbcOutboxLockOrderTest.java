package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.Event;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The outbox's writers cannot deadlock: several senders (each its own lease owner) claim with
 * leases so short that they take each other's deliveries, renew, record successes in batches
 * (alone or with the next claim) and failures one by one, in shuffled orders, while a
 * publisher adds deliveries — and PostgreSQL reports no deadlock for the database. And a sender
 * whose lease ran out does not release a delivery another sender claimed since: that would let
 * a third claim send it again.
 */
class JdbcOutboxLockOrderTest {

  private static final String SCHEMA = "lock_order";
  private static OutboxDatabase db;

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_lock_order");
  }

  @Test
  void concurrentOutcomesClaimsAndLeaseExpiriesNeverDeadlock() throws Exception {
    long before = deadlocks();
    List<HikariDataSource> pools = new ArrayList<>();
    List<JdbcOutbox> senders = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      HikariDataSource pool = db.pool(3);
      pools.add(pool);
      senders.add(new JdbcOutbox(pool, null, SCHEMA));
    }
    JdbcOutbox publisher = senders.get(0);
    publisher.putEndpoint(WebhookEndpoint.builder("contended").url("https://example.com/c")
        .topics("contended-t").build());
    publisher.publish("contended-t", events(10_000));
    ExecutorService threads = Executors.newFixedThreadPool(senders.size() + 1);
    long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
    try {
      List<Future<?>> work = new ArrayList<>();
      work.add(threads.submit(() -> {
        while (System.nanoTime() < end) {
          publisher.publish("contended-t", events(500));
        }
        return null;
      }));
      for (JdbcOutbox sender : senders) {
        work.add(threads.submit(() -> {
          List<AttemptRecord> succeeded = List.of();
          while (System.nanoTime() < end) {
            succeeded = contend(sender, succeeded);
          }
          sender.succeeded(succeeded);
          return null;
        }));
      }
      for (Future<?> f : work) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
      pools.forEach(HikariDataSource::close);
    }
    // A backend reports its statistics when it ends: wait until the senders' sessions are gone.
    await().atMost(Duration.ofSeconds(20)).until(() -> sessionsOf("relaybus-webhook") == 0);
    assertThat(deadlocks()).as("deadlocks PostgreSQL detected in the database")
        .isEqualTo(before);
  }

  @Test
  void aSenderWhoseLeaseRanOutDoesNotReleaseAnotherSendersClaim() throws Exception {
    try (HikariDataSource poolA = db.pool(2);
        HikariDataSource poolB = db.pool(2)) {
      JdbcOutbox a = new JdbcOutbox(poolA, null, "lease_lapse");
      JdbcOutbox b = new JdbcOutbox(poolB, null, "lease_lapse");
      a.putEndpoint(WebhookEndpoint.builder("lapse").url("https://example.com/l")
          .topics("lapse-t").build());
      a.publish("lapse-t", events(1));
      OutboxDelivery mine = a.claim("lapse", 1, false, false, Duration.ofMillis(1)).get(0);
      await().atMost(Duration.ofSeconds(5)).until(() ->
          !b.claim("lapse", 1, false, false, Duration.ofMinutes(1)).isEmpty());
      // A's request failed after its lease ran out: its outcome must not free B's claim.
      a.failed(new AttemptRecord(mine.id(), 1, Instant.now(), Duration.ZERO, 500, "HTTP 500"),
          Instant.now(), 1, true);
      assertThat(a.claim("lapse", 1, false, false, Duration.ofMinutes(1)))
          .as("claimable again while B sends it").isEmpty();
      assertThat(a.attempts("lapse", 10, false)).as("A's attempt is still recorded").hasSize(1);
    }
  }

  /**
   * One round of a sender: claim (alone, or with the last round's successes in the same
   * statement, as the dispatcher does), then renew, succeed and fail what it took, shuffled;
   * returns the successes that go with the next claim, or records them now.
   */
  private static List<AttemptRecord> contend(JdbcOutbox sender,
      List<AttemptRecord> succeeded) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    // Leases of a few milliseconds: the senders claim each other's deliveries all the time.
    Duration lease = Duration.ofMillis(random.nextInt(1, 20));
    List<OutboxDelivery> claimed = new ArrayList<>(succeeded.isEmpty()
        ? sender.claim("contended", 1000, false, false, lease)
        : sender.succeededAndClaim(succeeded, "contended", 1000, false, false, lease));
    Collections.shuffle(claimed);
    List<Long> ids = new ArrayList<>();
    claimed.forEach(d -> ids.add(d.id()));
    sender.renew(ids, Duration.ofMillis(random.nextInt(1, 20)));
    List<AttemptRecord> ok = new ArrayList<>();
    for (OutboxDelivery d : claimed) {
      AttemptRecord a = new AttemptRecord(d.id(), d.attempts() + 1, Instant.now(),
          Duration.ZERO, random.nextInt(10) == 0 ? 500 : 200, null, d.event().id(), null);
      if (a.status() == 200) {
        ok.add(a);
      } else {
        sender.failed(a, Instant.now(), 1, true);
      }
    }
    if (random.nextBoolean()) {
      return ok;
    }
    sender.succeeded(ok);
    return List.of();
  }

  private static List<Event> events(int n) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Event.builder().source("/lock-order").type("lock-order").text("e" + i).build());
    }
    return out;
  }

  private static long deadlocks() throws SQLException {
    try (Connection c = db.connect()) {
      return JdbcOutboxTest.deadlocks(c);
    }
  }

  private static long sessionsOf(String application) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + application
                + "' AND datname = current_database()")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
