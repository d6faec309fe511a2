package io.relaybus.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.postgres.testing.PostgresServer;
import io.relaybus.tck.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscribing bus (a member of a group, in its own JVM) is SIGKILLed with two handlers
 * blocked: the publishing process's other member of the group gets every event that was not
 * acknowledged, and the killed member's in-flight events arrive with attempt 2.
 */
class MemberCrashTest {
  private static final Logger LOG = LoggerFactory.getLogger(MemberCrashTest.class);

  @Test
  @DisplayName("a group member SIGKILLed mid-handler: the surviving member gets the rest, the "
      + "interrupted events count an attempt")
  void memberCrashLosesNothing() throws Exception {
    Map<String, String> db = TestDatabase.jdbcOutbox("webhook_member_crash");
    PostgresServer server = PostgresServer.shared();
    String topic = "member-crash";
    String group = "workers";
    Map<String, String> config = new LinkedHashMap<>(db);
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.poll-interval", "100ms");
    config.put("relaybus.webhook.route-refresh", "200ms");
    try (EventBus bus = EventBus.create(config);
        ChildJvm child = ChildJvm.builder(CrashingMemberMain.class)
            .args(db.get("relaybus.webhook.jdbc.url"), server.user(), server.password(), topic,
                group, "5")
            .start()) {
      child.awaitLineStartingWith("READY", Duration.ofSeconds(60));
      List<Event> events = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        events.add(Event.builder().source("/mc").type("mc").text("e" + i).build());
      }
      bus.publishAll(topic, events).join();
      await().atMost(Duration.ofSeconds(30)).until(() -> child.lines().stream()
          .filter(l -> l.startsWith("HANDLING")).count() == 2);
      Set<String> ackedByChild = new HashSet<>();
      Set<String> interrupted = new HashSet<>();
      for (String line : child.lines()) {
        if (line.startsWith("HANDLED ")) {
          ackedByChild.add(line.substring(8));
        } else if (line.startsWith("HANDLING ")) {
          interrupted.add(line.split(" ")[1]);
        }
      }
      child.kill();

      Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
      bus.subscribe(topic, SubscribeOptions.builder().group(group).build(), d ->
          attempts.computeIfAbsent(d.event().id(), k -> new ArrayList<>()).add(d.attempt()));
      Set<String> expected = new HashSet<>();
      events.forEach(e -> expected.add(e.id()));
      expected.removeAll(ackedByChild);
      await().atMost(Duration.ofSeconds(60)).until(() ->
          attempts.keySet().containsAll(expected));
      LOG.info("member killed after acknowledging {} events with {} handlers blocked; the other "
          + "member handled the remaining {} ({} handled twice)", ackedByChild.size(),
          interrupted.size(), attempts.size(), attempts.keySet().stream()
              .filter(ackedByChild::contains).count());
      assertThat(ackedByChild).hasSize(5);
      for (String id : interrupted) {
        assertThat(attempts.get(id)).as("attempts of interrupted event %s", id)
            .containsExactly(2);
      }
    }
  }

  /**
   * Every bus on the JDBC outbox is also a sender. Here the member is the only sender: it
   * publishes, its own dispatcher claims the deliveries and sends them to itself, and it dies
   * holding those claims. Its leases are renewed while it lives and lapse with its 3 s member
   * TTL, not after {@code subscriber.call-timeout} (5 min), and the lapsed claims count a
   * handler attempt. The first test meets the same case when its member's own dispatcher polls
   * before the kill.
   */
  @Test
  @DisplayName("a group member SIGKILLed holding its own dispatcher's claims: they move to the "
      + "surviving member within seconds, not after the call timeout")
  void memberCrashReleasesItsOwnClaims() throws Exception {
    Map<String, String> db = TestDatabase.jdbcOutbox("webhook_member_crash_own_claims");
    PostgresServer server = PostgresServer.shared();
    String topic = "member-crash-own";
    String group = "workers";
    List<String> published = new ArrayList<>();
    Set<String> interrupted = new HashSet<>();
    try (ChildJvm child = ChildJvm.builder(CrashingMemberMain.class)
        .args(db.get("relaybus.webhook.jdbc.url"), server.user(), server.password(), topic,
            group, "0", "10")
        .start()) {
      child.awaitLineStartingWith("READY", Duration.ofSeconds(60));
      await().atMost(Duration.ofSeconds(30)).until(() -> child.lines().stream()
          .filter(l -> l.startsWith("HANDLING")).count() == 2);
      for (String line : child.lines()) {
        if (line.startsWith("PUBLISHED ")) {
          published.add(line.substring(10));
        } else if (line.startsWith("HANDLING ")) {
          interrupted.add(line.split(" ")[1]);
        }
      }
      child.kill();
    }
    assertThat(published).hasSize(10);
    assertThat(interrupted).hasSize(2);
    Map<String, String> config = new LinkedHashMap<>(db);
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.poll-interval", "100ms");
    config.put("relaybus.webhook.route-refresh", "200ms");
    Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
    try (EventBus bus = EventBus.create(config)) {
      long start = System.nanoTime();
      bus.subscribe(topic, SubscribeOptions.builder().group(group).build(), d ->
          attempts.computeIfAbsent(d.event().id(), k -> new ArrayList<>()).add(d.attempt()));
      // Well under the 5 min 12 s call-timeout lease; the TTL is 3 s, the margin is for a loaded
      // machine.
      await().atMost(Duration.ofSeconds(30)).until(() ->
          attempts.keySet().containsAll(published));
      LOG.info("the dead member's 2 claimed-and-interrupted events reached the survivor {} ms "
          + "after it subscribed", (System.nanoTime() - start) / 1_000_000);
      for (String id : interrupted) {
        assertThat(attempts.get(id)).as("attempts of interrupted event %s", id)
            .containsExactly(2);
      }
    }
  }
}
