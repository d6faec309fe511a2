package io.relaybus.webhook.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.testing.CountingStatements;
import io.relaybus.webhook.testing.OutboxDatabase;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With the durable outbox an unordered endpoint is claimed ahead of its free slots: far fewer
 * claim transactions than deliveries (counted by a JDBC wrapper of ours around a real
 * PostgreSQL pool), every delivery sent exactly once, and what was claimed ahead but not sent
 * is given back at close, claimable at once by another sender instead of after the lease.
 */
class ClaimAheadTest {

  private static OutboxDatabase db;
  private HikariDataSource pool;
  private OkHttpClient client;

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_claim_ahead");
  }

  @BeforeEach
  void open() {
    pool = db.pool(4);
    client = DispatcherFixture.client();
  }

  @AfterEach
  void close() {
    DispatcherFixture.close(client);
    pool.close();
  }

  @Test
  void manyDeliveriesPerClaimTransactionEachSentOnce() {
    int n = 120;
    AtomicInteger claims = new AtomicInteger();
    try (ScriptedReceiver r = ScriptedReceiver.start();
        JdbcOutbox outbox = new JdbcOutbox(countingClaims(claims), null, "ahead_count")) {
      outbox.putEndpoint(WebhookEndpoint.builder("busy").url(r.url("/busy")).topics("busy-t")
          .concurrency(2).build());
      OutboxDispatcher dispatcher = dispatcher(outbox);
      try {
        dispatcher.start();
        outbox.publish("busy-t", DispatcherFixture.events("ahead", n));
        dispatcher.wake();
        await().atMost(Duration.ofSeconds(60)).until(() -> outbox.pending("busy") == 0);
      } finally {
        dispatcher.close(Duration.ofSeconds(5));
      }
      Set<String> sent = r.requests().stream().map(ScriptedReceiver.Request::webhookId)
          .collect(Collectors.toSet());
      assertThat(r.requests()).as("each delivery sent once").hasSize(n);
      assertThat(sent).hasSize(n);
      assertThat(outbox.attempts("busy", 1000, false)).hasSize(n)
          .allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
      // Target 16 (8 x concurrency 2), topped up at half: about one claim per 8 deliveries.
      assertThat(claims.get()).as("claim transactions for %d deliveries", n)
          .isLessThanOrEqualTo(n / 4);
    }
  }

  @Test
  void closeGivesWhatWasClaimedAheadBack() {
    int n = 20;
    try (ScriptedReceiver r = ScriptedReceiver.start().script(ScriptedReceiver.Answer.hang());
        JdbcOutbox outbox = new JdbcOutbox(pool, null, "ahead_close");
        JdbcOutbox other = new JdbcOutbox(pool, null, "ahead_close")) {
      outbox.putEndpoint(WebhookEndpoint.builder("slow").url(r.url("/slow")).topics("slow-t")
          .concurrency(1).build());
      OutboxDispatcher dispatcher = dispatcher(outbox);
      try {
        dispatcher.start();
        outbox.publish("slow-t", DispatcherFixture.events("ahead", n));
        dispatcher.wake();
        await().atMost(Duration.ofSeconds(30)).until(() -> r.hangingNow() == 1);
        // One request hangs in the only slot; 7 more wait claimed ahead (target 8).
        assertThat(other.claim("slow", n, false, false, Duration.ofMinutes(1)))
            .as("claimable by another sender while this one holds them")
            .hasSize(n - 8);
      } finally {
        dispatcher.close(Duration.ofMillis(200)); // the hanging request is cancelled
        r.releaseHangs();
      }
      // The lease is a minute; given back by close(), the 7 claimed ahead are claimable now.
      List<OutboxDelivery> back = new ArrayList<>(
          other.claim("slow", n, false, false, Duration.ofMinutes(1)));
      assertThat(back).as("claimed ahead, given back at close").hasSizeGreaterThanOrEqualTo(7);
      // The cancelled request's outcome is written by its HTTP thread as it ends.
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        back.addAll(other.claim("slow", n, false, false, Duration.ofMinutes(1)));
        return back.size() >= 8;
      });
      assertThat(back).as("the hanging one (cancelled) and the 7 claimed ahead").hasSize(8);
      assertThat(back.stream().map(OutboxDelivery::attempts)).containsOnly(0);
    }
  }

  private OutboxDispatcher dispatcher(JdbcOutbox outbox) {
    return DispatcherFixture.dispatcher(outbox, client, "claim-ahead-dispatcher");
  }

  /**
   * The pool, counting the claim statements prepared on its connections (alone, or after a
   * round's successes in the same statement).
   */
  private javax.sql.DataSource countingClaims(AtomicInteger claims) {
    return CountingStatements.counting(pool, sql -> sql.contains("UPDATE ")
        && sql.contains("lease_owner = ?, lease_until"), claims);
  }
}
