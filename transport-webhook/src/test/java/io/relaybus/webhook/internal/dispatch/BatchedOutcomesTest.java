package io.relaybus.webhook.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.JdbcOutbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.testing.CountingStatements;
import io.relaybus.webhook.testing.OutboxDatabase;
import io.relaybus.webhook.testing.ScriptedReceiver;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Successful outcomes are recorded in batches: fewer transactions than deliveries, counted by a
 * JDBC wrapper of ours around a real PostgreSQL pool, and none lost while the database is away.
 */
class BatchedOutcomesTest {

  private static OutboxDatabase database;

  @BeforeAll
  static void createDatabase() {
    database = OutboxDatabase.create("webhook_batched_outcomes");
  }

  @Test
  void outcomesOfManyDeliveriesAreOneTransaction() {
    CountingDataSource db = new CountingDataSource(database.pool(4));
    try (JdbcOutbox outbox = new JdbcOutbox(db, db.pool, "batch_unit")) {
      outbox.putEndpoint(WebhookEndpoint.builder("unit").url("https://example.com/h")
          .topics("unit-t").build());
      // Rows (publishes too small for a pack); the dispatcher's test below goes through a pack.
      assertThat(outbox.publish("unit-t", DispatcherFixture.events("batch", 25))).isEqualTo(25);
      assertThat(outbox.publish("unit-t", DispatcherFixture.events("more", 25))).isEqualTo(25);
      List<OutboxDelivery> claimed = outbox.claim("unit", 50, false, false,
          Duration.ofMinutes(1));
      assertThat(claimed).hasSize(50);
      List<AttemptRecord> ok = new ArrayList<>();
      for (OutboxDelivery d : claimed) {
        ok.add(new AttemptRecord(d.id(), 1, Instant.now(), Duration.ofMillis(3), 204, null,
            d.event().id(), "msg_" + d.id()));
      }
      int before = db.outcomeCommits.get();

      outbox.succeeded(ok);

      assertThat(db.outcomeCommits.get() - before).isEqualTo(1);
      assertThat(outbox.pending("unit")).isZero();
      assertThat(outbox.attempts("unit", 100, false)).hasSize(50)
          .allSatisfy(a -> assertThat(a.status()).isEqualTo(204))
          .extracting(AttemptRecord::deliveryId)
          .containsExactlyInAnyOrderElementsOf(claimed.stream().map(OutboxDelivery::id)
              .toList());
    }
  }

  @Test
  void successesWaitForAnUnreachableDatabaseAndAreRecordedTogether() {
    int n = 40;
    CountingDataSource db = new CountingDataSource(database.pool(4));
    OkHttpClient client = DispatcherFixture.client();
    ScriptedReceiver.Answer[] hangs = new ScriptedReceiver.Answer[n];
    java.util.Arrays.fill(hangs, ScriptedReceiver.Answer.hang());
    try (ScriptedReceiver r = ScriptedReceiver.start().script(hangs);
        JdbcOutbox outbox = new JdbcOutbox(db, db.pool, "batch_dispatch")) {
      outbox.putEndpoint(WebhookEndpoint.builder("held").url(r.url("/held"))
          .topics("held-t").concurrency(n).build());
      OutboxDispatcher dispatcher = DispatcherFixture.dispatcher(outbox, client,
          "batched-outcomes-dispatcher");
      try {
        dispatcher.start();
        outbox.publish("held-t", DispatcherFixture.events("batch", n));
        dispatcher.wake();
        await().atMost(Duration.ofSeconds(30)).until(() -> r.hangingNow() == n);

        db.reachable.set(false); // every outcome now has to wait for the database
        r.releaseHangs();
        await().atMost(Duration.ofSeconds(30)).until(() -> dispatcher.inFlight("held") == 0);
        int before = db.outcomeCommits.get();
        db.reachable.set(true);

        await().atMost(Duration.ofSeconds(30)).until(() -> outbox.pending("held") == 0);
        assertThat(outbox.attempts("held", 100, false)).hasSize(n)
            .allSatisfy(a -> assertThat(a.status()).isEqualTo(200))
            .allSatisfy(a -> assertThat(a.attempt()).isEqualTo(1));
        // The batch that failed first, then everything that completed meanwhile.
        assertThat(db.outcomeCommits.get() - before).isBetween(1, 2);
        Set<String> sent = r.requests().stream().map(ScriptedReceiver.Request::webhookId)
            .collect(Collectors.toSet());
        assertThat(r.requests()).as("each delivery sent once").hasSize(n);
        assertThat(sent).hasSize(n);
      } finally {
        dispatcher.close(Duration.ofSeconds(5));
      }
    } finally {
      DispatcherFixture.close(client);
    }
  }

  /**
   * Our JDBC wrapper around a real pool: counts committed transactions that deleted deliveries
   * (outcome writes: a transaction, or a statement in auto-commit), and can play an
   * unreachable database.
   */
  private static final class CountingDataSource implements DataSource {
    final HikariDataSource pool;
    final AtomicInteger outcomeCommits = new AtomicInteger();
    final AtomicBoolean reachable = new AtomicBoolean(true);

    CountingDataSource(HikariDataSource pool) {
      this.pool = pool;
    }

    @Override
    public Connection getConnection() throws SQLException {
      if (!reachable.get()) {
        throw new SQLTransientConnectionException("database unreachable (test)");
      }
      AtomicBoolean deletes = new AtomicBoolean();
      return CountingStatements.observing(pool.getConnection(), (c, m, args) -> {
        if (m.getName().equals("prepareStatement") && args != null
            && args[0] instanceof String sql && (sql.contains(".pack_done(")
            || sql.contains("DELETE FROM") && sql.contains(".delivery WHERE"))) {
          if (c.getAutoCommit()) { // one statement, committed on its own
            outcomeCommits.incrementAndGet();
          } else {
            deletes.set(true);
          }
        } else if (m.getName().equals("commit") && deletes.getAndSet(false)) {
          outcomeCommits.incrementAndGet();
        } else if (m.getName().equals("rollback")) {
          deletes.set(false);
        }
      });
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      throw new SQLException("not used");
    }

    @Override
    public java.io.PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(java.io.PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public java.util.logging.Logger getParentLogger() {
      return java.util.logging.Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      throw new SQLException("not a wrapper of " + type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return false;
    }
  }
}
