package io.relaybus.webhook.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import io.relaybus.webhook.testing.OutboxDatabase;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A delivery published while the dispatcher is between rounds goes out at once, not at the
 * next poll: the poll interval here is 30 seconds, and every wave of publishes must be
 * delivered within a few. A wake-up lost anywhere between a publish, a lane's claim, an HTTP
 * thread's slot refill and the dispatcher's wait shows as a wave that waits for the poll.
 */
class LostWakeUpTest {

  private static final Duration LONG_POLL = Duration.ofSeconds(30);
  private static final Duration WELL_BEFORE_POLL = Duration.ofSeconds(5);

  private static OutboxDatabase db;
  private HikariDataSource pool;
  private OkHttpClient client;

  @BeforeAll
  static void database() {
    db = OutboxDatabase.create("webhook_lost_wake_up");
  }

  @BeforeEach
  void open() {
    pool = db.pool(8);
    client = DispatcherFixture.client();
  }

  @AfterEach
  void close() {
    DispatcherFixture.close(client);
    pool.close();
  }

  @Test
  void everyWaveOfPublishesIsDeliveredWellBeforeThePollInterval() {
    try (ScriptedReceiver r = ScriptedReceiver.start();
        JdbcOutbox outbox = new JdbcOutbox(pool, null, "wake_waves")) {
      outbox.putEndpoint(WebhookEndpoint.builder("fast").url(r.url("/fast")).topics("waves")
          .concurrency(8).build());
      outbox.putEndpoint(WebhookEndpoint.builder("in-order").url(r.url("/in-order"))
          .topics("waves").ordered(true).build());
      OutboxDispatcher dispatcher = dispatcher(outbox);
      try {
        dispatcher.start();
        int sent = 0;
        for (int wave = 0; wave < 40; wave++) {
          int n = 1 + (wave * 37) % 90; // sizes around and across the claim-ahead thresholds
          for (int published = 0; published < n; published += 7) {
            outbox.publish("waves", DispatcherFixture.events("w" + wave,
                Math.min(7, n - published)));
            dispatcher.wake();
          }
          sent += n;
          int expected = 2 * sent;
          int w = wave;
          await("wave " + wave + " delivered").atMost(WELL_BEFORE_POLL)
              .pollInterval(Duration.ofMillis(5))
              .until(() -> r.requests().size() >= expected);
          assertThat(r.requests()).as("wave %d, each delivery once", w).hasSize(expected);
        }
      } finally {
        dispatcher.close(Duration.ofSeconds(5));
      }
    }
  }

  @Test
  void aDeliveryPublishedWhileTheDispatcherIdlesGoesOutAtOnce() {
    try (ScriptedReceiver r = ScriptedReceiver.start();
        JdbcOutbox outbox = new JdbcOutbox(pool, null, "wake_idle")) {
      outbox.putEndpoint(WebhookEndpoint.builder("idle").url(r.url("/idle")).topics("idle-t")
          .concurrency(4).build());
      OutboxDispatcher dispatcher = dispatcher(outbox);
      try {
        dispatcher.start();
        for (int i = 1; i <= 20; i++) {
          outbox.publish("idle-t", DispatcherFixture.events("idle" + i, 1));
          dispatcher.wake();
          int expected = i;
          await("delivery " + i).atMost(WELL_BEFORE_POLL).pollInterval(Duration.ofMillis(5))
              .until(() -> r.requests().size() >= expected);
          // the dispatcher records the success and goes back to its wait before the next one
          await().atMost(WELL_BEFORE_POLL).until(() -> outbox.pending("idle") == 0);
        }
      } finally {
        dispatcher.close(Duration.ofSeconds(5));
      }
    }
  }

  private OutboxDispatcher dispatcher(JdbcOutbox outbox) {
    DispatcherConfig c = DispatcherFixture.config();
    DispatcherConfig longPoll = new DispatcherConfig(c.schedule(), c.retryAfterCap(), LONG_POLL,
        LONG_POLL, c.lease(), c.connectTimeout(), c.groupTimeout(), c.breakerThreshold(),
        c.breakerOpenFor(), c.batch(), c.attemptRetention());
    return new OutboxDispatcher(outbox, longPoll, client, client, new HttpDeliveryRequests(),
        task -> {
          Thread t = new Thread(task, "lost-wake-up-dispatcher");
          t.setDaemon(true);
          return t;
        });
  }
}
