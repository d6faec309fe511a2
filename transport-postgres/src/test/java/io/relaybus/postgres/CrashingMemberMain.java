package io.relaybus.postgres;

import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.postgres.testing.PostgresServer;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The group member of {@link PostgresMemberCrashTest} that runs in a JVM of its own and gets
 * killed. It joins the group on the database that {@link PostgresServer#shared()} points at
 * (the parent's, see {@link TestDatabase#childJvm}) and prints {@code READY}. Its
 * handler acknowledges the first events normally, printing {@code HANDLED <eventId>}; every
 * later event prints {@code HANDLING <eventId> <attempt>} and blocks the handler until the
 * process dies. It exits when its stdin ends, so it never outlives the test.
 *
 * <p>Arguments: topic, group, how many events to acknowledge, handler concurrency, lease
 * timeout.
 */
public final class CrashingMemberMain {

  private CrashingMemberMain() {
  }

  /**
   * Runs the member.
   *
   * @param args topic, group, events to acknowledge, concurrency, lease timeout (e.g. 3s)
   * @throws IOException if stdin cannot be read
   */
  public static void main(String[] args) throws IOException {
    String topic = args[0];
    String group = args[1];
    int acknowledge = Integer.parseInt(args[2]);
    int concurrency = Integer.parseInt(args[3]);
    String leaseTimeout = args[4];

    // Not TestDatabase (no JUnit here): the shared server is the parent's test database.
    PostgresServer server = PostgresServer.shared();
    Map<String, String> config = new TestBuses(server, server.jdbcUrl(), TestBuses.FAULT_TIMINGS)
        .config(Map.of("relaybus.postgres.lease-timeout", leaseTimeout));
    EventBus bus = EventBus.create(config);

    AtomicInteger handled = new AtomicInteger();
    CountDownLatch never = new CountDownLatch(1);
    bus.subscribe(topic, SubscribeOptions.builder().group(group).concurrency(concurrency).build(),
        delivery -> {
          String id = delivery.event().id();
          if (handled.getAndIncrement() < acknowledge) {
            System.out.println("HANDLED " + id);
            return;
          }
          System.out.println("HANDLING " + id + " " + delivery.attempt());
          never.await(); // until SIGKILL
        });
    System.out.println("READY");

    InputStream in = System.in;
    while (in.read() >= 0) {
      // the parent never writes; end of stdin means it is gone
    }
    System.exit(0);
  }
}
