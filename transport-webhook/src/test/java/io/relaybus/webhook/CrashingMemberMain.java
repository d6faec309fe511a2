package io.relaybus.webhook;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The group member of {@link MemberCrashTest}, in a JVM of its own, SIGKILLed by the test. It
 * joins the group on the JDBC outbox and prints {@code READY}; it acknowledges the first events
 * ({@code HANDLED <id>}), then blocks every later handler ({@code HANDLING <id> <attempt>}) until
 * it is killed. It exits when its stdin ends. With a seventh argument it also publishes that many
 * events itself after joining ({@code PUBLISHED <id>} each), so its own dispatcher claims and
 * sends them — to itself, the only member — and it dies holding those claims.
 *
 * <p>Arguments: JDBC url, user, password, topic, group, events to acknowledge[, events to
 * publish].
 */
public final class CrashingMemberMain {
  private CrashingMemberMain() {}

  /**
   * Runs the member.
   *
   * @param args url, user, password, topic, group, events to acknowledge[, events to publish]
   * @throws IOException if stdin cannot be read
   */
  public static void main(String[] args) throws IOException {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.outbox", "jdbc");
    config.put("relaybus.webhook.jdbc.url", args[0]);
    config.put("relaybus.webhook.jdbc.user", args[1]);
    config.put("relaybus.webhook.jdbc.password", args[2]);
    config.put("relaybus.webhook.subscriber.member-ttl", "3s");
    EventBus bus = EventBus.create(config);
    int acknowledge = Integer.parseInt(args[5]);
    AtomicInteger handled = new AtomicInteger();
    CountDownLatch never = new CountDownLatch(1);
    bus.subscribe(args[3], SubscribeOptions.builder().group(args[4]).concurrency(2)
        .maxInFlight(2).build(), d -> {
          if (handled.getAndIncrement() < acknowledge) {
            System.out.println("HANDLED " + d.event().id());
            return;
          }
          System.out.println("HANDLING " + d.event().id() + " " + d.attempt());
          never.await(); // until SIGKILL
        });
    int publish = args.length > 6 ? Integer.parseInt(args[6]) : 0;
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < publish; i++) {
      events.add(Event.builder().source("/mc").type("mc").text("own-" + i).build());
    }
    if (publish > 0) {
      bus.publishAll(args[3], events).join();
      events.forEach(e -> System.out.println("PUBLISHED " + e.id()));
    }
    System.out.println("READY");
    InputStream in = System.in;
    while (in.read() >= 0) {
      // the parent never writes; end of stdin means it is gone
    }
    System.exit(0);
  }
}
