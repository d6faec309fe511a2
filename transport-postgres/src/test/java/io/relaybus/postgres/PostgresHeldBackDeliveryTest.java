package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An event notified while an older, unrelated write transaction is open cannot be read until that
 * transaction ends (rows are read only below the oldest running transaction), and nothing
 * notifies when it ends. The event must be delivered soon after, not at the next poll.
 */
class PostgresHeldBackDeliveryTest {
  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_held_back");
  private final TestBuses buses = DB.buses();

  @BeforeAll
  static void createUnrelatedTable() {
    DB.execute("CREATE TABLE unrelated (n int)");
  }

  @Test
  void eventHeldBehindAnOlderTransactionIsDeliveredWhenItEndsNotAtTheNextPoll() throws Exception {
    // Neither a poll nor a heartbeat (every lease/3) may come to the rescue within the bound.
    EventBus bus = buses.bus(Map.of("relaybus.postgres.poll-interval", "10s",
        "relaybus.postgres.lease-timeout", "60s"));
    AtomicLong deliveredAt = new AtomicLong();
    bus.subscribe("held-back", "g", d -> deliveredAt.set(System.nanoTime()));

    long endedAt;
    try (Connection older = DB.transaction("older-writer")) {
      try (Statement st = older.createStatement()) {
        st.execute("INSERT INTO unrelated VALUES (1)"); // takes an xid older than the publish
      }
      bus.publish("held-back", Event.builder().source("/test").type("t").text("x").build())
          .join();
      // Fault window: the notification arrives while the older transaction still holds xmin.
      Thread.sleep(200);
      assertThat(deliveredAt.get()).as("not readable while the older transaction runs").isZero();
      older.commit();
      endedAt = System.nanoTime();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> deliveredAt.get() != 0);
    long millis = Duration.ofNanos(deliveredAt.get() - endedAt).toMillis();
    assertThat(millis).as("delivery after the older transaction ended, with a 10s poll interval")
        .isLessThan(1_000);
  }
}
