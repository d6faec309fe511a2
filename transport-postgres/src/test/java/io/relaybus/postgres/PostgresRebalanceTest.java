package io.relaybus.postgres;

import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When several members join at once, the first takes every partition and hands some over; the
 * others get theirs well before their next heartbeat (lease-timeout / 3, 10 s by default) only
 * because the hand-over is announced.
 *
 * <p>The lease (60 s) puts the next heartbeat 20 s away; the bound is 10 s, so a member left to
 * its heartbeat fails the test while a slow machine does not.
 */
class PostgresRebalanceTest {
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_rebalance");

  @Test
  void membersJoiningTogetherAllGetPartitionsWellBeforeTheNextHeartbeat() {
    TestBuses buses = DB.buses();
    // Heartbeats every 20 s, so only an announced hand-over meets the bound.
    EventBus bus = buses.bus(Map.of("relaybus.postgres.lease-timeout", "60s",
        "relaybus.postgres.poll-interval", "1s"));
    Set<String> working = ConcurrentHashMap.newKeySet();
    for (int m = 0; m < 4; m++) {
      String member = "member-" + m;
      bus.subscribe("rebalance", SubscribeOptions.builder().group("g").build(),
          d -> working.add(member));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    await().atMost(Duration.ofSeconds(11)).pollInterval(Duration.ofMillis(100))
        .alias("all 4 members handle events within 10 s").until(() -> {
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        batch.add(Event.builder().source("/test").type("t").key("k" + i).text("x").build());
      }
      bus.publishAll("rebalance", batch).join();
      return working.size() == 4 && System.nanoTime() < deadline;
    });
  }
}
