package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.EventBus;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.tck.ChildJvm;
import io.relaybus.webhook.testing.ScriptedReceiver;
import io.relaybus.webhook.testing.ScriptedReceiver.Answer;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending JVM is SIGKILLed while deliveries wait in the JDBC outbox — 8 of them claimed and
 * in flight (the receiver holds those requests), the rest not yet sent. A new sender bus on the
 * same database, started after the kill, delivers every event: none lost, duplicates counted.
 */
class SenderCrashTest {
  private static final Logger LOG = LoggerFactory.getLogger(SenderCrashTest.class);
  private static final int COUNT = 300;

  @Test
  @DisplayName("sender SIGKILLed with deliveries pending and in flight: after a restart every "
      + "event is delivered")
  void senderCrashLosesNothing() {
    crashAndRestart("webhook_sender_crash", 20);
  }

  @Test
  @DisplayName("sender SIGKILLed with packs claimed, partly done and in flight: after a restart "
      + "every event is delivered")
  void senderCrashWithPacksLosesNothing() {
    crashAndRestart("webhook_sender_crash_packs", 100);
  }

  private static long count(Map<String, String> db, String sql) {
    PostgresServer server = PostgresServer.shared();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(
        db.get("relaybus.webhook.jdbc.url"), server.user(), server.password());
        java.sql.ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Publishes {@link #COUNT} events in publishes of {@code perPublish}, kills, restarts. */
  private static void crashAndRestart(String database, int perPublish) {
    Map<String, String> db = TestDatabase.jdbcOutbox(database);
    PostgresServer server = PostgresServer.shared();
    try (ScriptedReceiver r = ScriptedReceiver.start()) {
      // The first 8 requests hang (claimed, in flight when the sender dies); later ones are slow
      // enough that most deliveries are still pending at the kill.
      Answer[] hangs = new Answer[8];
      java.util.Arrays.fill(hangs, Answer.hang());
      r.script(hangs).always(Answer.delayed(200, Duration.ofMillis(20)));
      String topic = "crash-topic";
      try (ChildJvm child = ChildJvm.builder(CrashingSenderMain.class)
          .args(db.get("relaybus.webhook.jdbc.url"), server.user(), server.password(),
              r.url("/hook"), topic, "crashhook", Integer.toString(COUNT),
              Integer.toString(perPublish))
          .start()) {
        child.awaitLineStartingWith("PUBLISHED", Duration.ofSeconds(60));
        if (perPublish >= 32) { // stored as packs, not rows (ADR 0020)
          assertThat(count(db, "SELECT count(*) FROM relaybus_webhook.route_pack")).isPositive();
          assertThat(count(db, "SELECT count(*) FROM relaybus_webhook.delivery")).isZero();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> r.hangingNow() == 8);
        child.kill();
      }
      int beforeRestart = r.accepted().size();
      LOG.info("sender killed: {} of {} events accepted before the crash, 8 in flight",
          beforeRestart, COUNT);
      assertThat(beforeRestart).as("events delivered before the kill").isLessThan(COUNT);
      r.releaseHangs();

      Map<String, String> config = new LinkedHashMap<>(db);
      config.put("relaybus.transport", "webhook");
      config.put("relaybus.webhook.ssrf.allow-categories", "loopback");
      config.put("relaybus.webhook.poll-interval", "100ms");
      long restart = System.nanoTime();
      try (EventBus restarted = EventBus.create(config)) {
        await().atMost(Duration.ofSeconds(90)).until(() -> distinct(r).size() == COUNT);
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < COUNT; i++) {
          expected.add("crash-" + i);
        }
        assertThat(distinct(r)).isEqualTo(expected);
        Map<String, Integer> duplicates = new TreeMap<>();
        r.accepted().forEach(q -> duplicates.merge(q.eventId(), 1, Integer::sum));
        duplicates.values().removeIf(n -> n == 1);
        LOG.info("after restart: all {} events delivered in {} ms; {} accepted more than once "
            + "({})", COUNT, (System.nanoTime() - restart) / 1_000_000, duplicates.size(),
            duplicates);
        await().atMost(Duration.ofSeconds(10)).until(() -> restarted.unwrap(
            WebhookTransport.class).endpoints().get("crashhook").orElseThrow().pending() == 0);
      }
    }
  }

  private static Set<String> distinct(ScriptedReceiver r) {
    Set<String> ids = new HashSet<>();
    r.accepted().forEach(q -> ids.add(q.eventId()));
    return ids;
  }
}
