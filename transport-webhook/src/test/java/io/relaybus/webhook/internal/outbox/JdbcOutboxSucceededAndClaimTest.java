package io.relaybus.webhook.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.Event;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.signature.WebhookSecret;
import io.relaybus.webhook.testing.OutboxDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A round's successes and the next claim in one statement ({@link
 * JdbcOutbox#succeededAndClaim}): the successes are recorded whatever the claim finds, the claim
 * sees them as gone (an ordered route's next delivery, a key's next event), and the statement
 * locks the deliveries it waits for before any it claims (the outbox's one lock order).
 */
class JdbcOutboxSucceededAndClaimTest {

  private static final String SCHEMA = "succeeded_and_claim";
  private static OutboxDatabase db;
  private static HikariDataSource pool;
  private static JdbcOutbox outbox;

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_succeeded_and_claim");
    pool = db.pool(4);
    outbox = new JdbcOutbox(pool, null, SCHEMA);
  }

  @AfterAll
  static void close() {
    outbox.close();
    pool.close();
  }

  @Test
  void anOrderedRoutesNextDeliveryIsClaimedWithItsPredecessorsSuccess() {
    outbox.putEndpoint(WebhookEndpoint.builder("in-order").url("https://example.com/o")
        .topics("in-order-t").ordered(true).build());
    outbox.publish("in-order-t", events(3, null));
    List<OutboxDelivery> first = claim("in-order", true, false);
    assertThat(first).hasSize(1);

    List<OutboxDelivery> second = outbox.succeededAndClaim(List.of(ok(first.get(0))),
        "in-order", 1, true, false, Duration.ofMinutes(1));

    assertThat(second).as("the next delivery, in the same call").hasSize(1);
    assertThat(second.get(0).id()).isGreaterThan(first.get(0).id());
    assertThat(outbox.pending("in-order")).isEqualTo(2);
    assertThat(outbox.attempts("in-order", 10, false)).extracting(AttemptRecord::deliveryId)
        .containsExactly(first.get(0).id());
  }

  @Test
  void aKeysNextEventIsClaimedWithItsPredecessorsSuccess() {
    outbox.putGroup("keyed", "keyed-t", WebhookSecret.generate().format());
    String route = Route.groupRoute("keyed", "keyed-t");
    outbox.publish("keyed-t", events(2, "k"));
    List<OutboxDelivery> head = claim(route, false, true);
    assertThat(head).hasSize(1);

    List<OutboxDelivery> next = outbox.succeededAndClaim(List.of(ok(head.get(0))), route, 10,
        false, true, Duration.ofMinutes(1));

    assertThat(next).hasSize(1);
    assertThat(next.get(0).id()).isGreaterThan(head.get(0).id());
    assertThat(outbox.pending(route)).isEqualTo(1);
  }

  @Test
  void successesAreRecordedWhenTheClaimFindsNothing() {
    outbox.putEndpoint(WebhookEndpoint.builder("drained").url("https://example.com/d")
        .topics("drained-t").build());
    outbox.putEndpoint(WebhookEndpoint.builder("idle").url("https://example.com/i")
        .topics("idle-t").build());
    outbox.publish("drained-t", events(5, null));
    List<OutboxDelivery> all = claim("drained", false, false);
    assertThat(all).hasSize(5);
    List<AttemptRecord> ok = new ArrayList<>();
    all.forEach(d -> ok.add(ok(d)));

    // Another route's claim, and nothing to claim there.
    assertThat(outbox.succeededAndClaim(ok, "idle", 10, false, false, Duration.ofMinutes(1)))
        .isEmpty();

    assertThat(outbox.pending("drained")).isZero();
    assertThat(outbox.attempts("drained", 10, false)).hasSize(5)
        .allSatisfy(a -> assertThat(a.status()).isEqualTo(204));
  }

  @Test
  void theSuccessesAreLockedBeforeAnyDeliveryIsClaimed() throws Exception {
    outbox.putEndpoint(WebhookEndpoint.builder("locks").url("https://example.com/l")
        .topics("locks-t").build());
    outbox.publish("locks-t", events(1, null));
    OutboxDelivery done = claim("locks", false, false).get(0);
    outbox.publish("locks-t", events(1, null));
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try (Connection other = db.connect()) {
      // Another writer (an endpoint being removed, say) holds the succeeded delivery.
      other.setAutoCommit(false);
      lock(other, "SELECT id FROM " + SCHEMA + ".delivery WHERE id = ? FOR UPDATE", done.id());
      Future<List<OutboxDelivery>> combined = thread.submit(() -> outbox.succeededAndClaim(
          List.of(ok(done)), "locks", 10, false, false, Duration.ofMinutes(1)));
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        try (Connection c = db.connect()) {
          return JdbcOutboxTest.waitingForALock(c);
        }
      });
      // While it waits for the success, the statement holds no delivery it would claim: the
      // other writer takes the next one without waiting (which would be a deadlock).
      assertThatCode(() -> lock(other, "SELECT id FROM " + SCHEMA + ".delivery WHERE route = "
          + "'locks' AND id > ? FOR UPDATE NOWAIT", done.id()))
          .as("the claimable delivery is not locked while the success waits")
          .doesNotThrowAnyException();
      other.rollback();
      assertThat(combined.get(20, TimeUnit.SECONDS)).hasSize(1);
      assertThat(outbox.attempts("locks", 10, false)).extracting(AttemptRecord::deliveryId)
          .containsExactly(done.id());
    } finally {
      thread.shutdownNow();
    }
  }

  private static void lock(Connection c, String sql, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, id);
      ps.executeQuery().close();
    }
  }

  private static List<OutboxDelivery> claim(String route, boolean ordered, boolean byKey) {
    return outbox.claim(route, 10, ordered, byKey, Duration.ofMinutes(1));
  }

  private static AttemptRecord ok(OutboxDelivery d) {
    return new AttemptRecord(d.id(), 1, Instant.now(), Duration.ofMillis(2), 204, null,
        d.event().id(), "msg_" + d.id());
  }

  private static List<Event> events(int n, String key) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Event.builder().source("/combined").type("combined").key(key).text("e" + i)
          .build());
    }
    return out;
  }
}
