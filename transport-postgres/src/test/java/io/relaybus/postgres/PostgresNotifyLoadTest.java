package io.relaybus.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * NOTIFY under load: many concurrent publishers must not mean one NOTIFY per event (each NOTIFY
 * takes PostgreSQL's cluster-wide commit lock). Every event still reaches every group.
 */
class PostgresNotifyLoadTest {
  private static final int PUBLISHERS = 50;
  private static final int EVENTS_PER_PUBLISHER = 1_000;
  private static final int EVENTS = PUBLISHERS * EVENTS_PER_PUBLISHER;

  @RegisterExtension
  static final TestDatabase DB = new TestDatabase("relaybus_notify_load");
  private static EventBus bus;

  @BeforeAll
  static void start() {
    TestBuses buses = DB.classBuses();
    Map<String, String> config = buses.connection();
    config.put("relaybus.postgres.lease-timeout", "10s");
    bus = buses.create(config);
  }

  /** A plain JDBC LISTEN on the transport's channel, counting what arrives. */
  private static final class ChannelListener implements AutoCloseable {
    final Map<String, AtomicInteger> byPayload = new ConcurrentHashMap<>();
    final AtomicLong total = new AtomicLong();
    final Connection connection;
    final Thread thread;
    volatile boolean running = true;
    volatile Throwable failure;

    ChannelListener(String channel) throws SQLException {
      connection = DB.connect("notify-load-test-listener");
      try (Statement st = connection.createStatement()) {
        st.execute("LISTEN " + channel);
      }
      thread = new Thread(this::run, "notify-load-test-listener");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      try {
        PGConnection pg = connection.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] ns = pg.getNotifications(200);
          if (ns != null) {
            for (PGNotification n : ns) {
              total.incrementAndGet();
              // Relaybus's notifications name the topic, the sending bus and the partitions.
              byPayload.computeIfAbsent(NotifyPayload.parse(n.getParameter()).topic(),
                  k -> new AtomicInteger()).incrementAndGet();
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (running) {
          failure = e;
        }
      }
    }

    int count(String topic) {
      AtomicInteger n = byPayload.get(topic);
      return n == null ? 0 : n.get();
    }

    @Override
    public void close() throws SQLException {
      running = false;
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      connection.close();
    }
  }

  @Test
  @DisplayName("50 concurrent publishers x 1,000 events: all delivered to two groups, with far "
      + "fewer NOTIFYs than events")
  void concurrentPublishersAreCoalesced() throws Exception {
    String topic = "notify.load";
    PostgresTransport pg = bus.unwrap(PostgresTransport.class);
    long sentBefore = pg.notificationsSent();
    Map<String, Map<String, AtomicInteger>> received = new ConcurrentHashMap<>();
    for (String group : List.of("billing", "shipping")) {
      Map<String, AtomicInteger> ids = new ConcurrentHashMap<>();
      received.put(group, ids);
      for (int m = 0; m < 2; m++) {
        bus.subscribe(topic, SubscribeOptions.builder().group(group).concurrency(4)
                .maxInFlight(500).build(),
            d -> ids.computeIfAbsent(d.event().id(), k -> new AtomicInteger()).incrementAndGet());
      }
    }

    try (ChannelListener listener = new ChannelListener("relaybus_events")) {
      ExecutorService publishers = Executors.newFixedThreadPool(PUBLISHERS);
      CountDownLatch go = new CountDownLatch(1);
      long started;
      long publishMillis;
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int p = 0; p < PUBLISHERS; p++) {
          int publisher = p;
          futures.add(publishers.submit(() -> {
            go.await();
            for (int i = 0; i < EVENTS_PER_PUBLISHER; i++) {
              bus.publish(topic, Event.builder().id("p" + publisher + "-" + i)
                  .source("urn:relaybus:test:notify-load").type("test.load")
                  .text("event " + i).build()).join();
            }
            return null;
          }));
        }
        started = System.nanoTime();
        go.countDown();
        for (Future<?> f : futures) {
          f.get();
        }
        publishMillis = (System.nanoTime() - started) / 1_000_000;
      } finally {
        publishers.shutdownNow();
      }

      await().atMost(Duration.ofSeconds(150)).untilAsserted(() -> {
        assertThat(received.get("billing")).hasSize(EVENTS);
        assertThat(received.get("shipping")).hasSize(EVENTS);
      });
      long deliverMillis = (System.nanoTime() - started) / 1_000_000;
      // Every NOTIFY the notifier sent has arrived at our LISTEN connection by now.
      long sent = pg.notificationsSent() - sentBefore;
      await().atMost(Duration.ofSeconds(10)).until(() -> listener.count(topic) >= sent);
      assertThat(listener.failure).isNull();

      long transactions = DB.queryLong("SELECT count(DISTINCT txid) FROM "
          + "relaybus.all_events WHERE topic = '" + topic + "'");
      System.out.printf("notify load: %d events in %d publishing transactions, %d ms (all "
              + "delivered to 2 groups after %d ms); coalescer sent %d NOTIFYs, LISTEN connection "
              + "saw %d for the topic and %d in total%n", EVENTS, transactions, publishMillis,
          deliverMillis, sent, listener.count(topic), listener.total.get());
      // At most one NOTIFY per topic per notify-interval (2 ms by default) while publishing and
      // delivering, whatever the number of events: far fewer than events.
      assertThat(sent).as("NOTIFYs sent by the coalescer")
          .isLessThanOrEqualTo(deliverMillis / 2 + 2).isLessThan(EVENTS / 5);
      assertThat(listener.total.get()).as("notifications on relaybus_events seen by LISTEN")
          .isLessThan(EVENTS / 5);
      assertThat((long) listener.count(topic))
          .as("every notification for the topic came from the coalescer, none per row")
          .isEqualTo(sent);
      for (String group : List.of("billing", "shipping")) {
        long twice = received.get(group).values().stream().filter(n -> n.get() > 1).count();
        assertThat(twice).as("events delivered more than once to %s", group).isZero();
      }
    }
  }
}
