package io.relaybus.webhook;

import io.relaybus.Event;
import io.relaybus.EventBus;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sending process of {@link SenderCrashTest}, run in a JVM of its own and SIGKILLed. It opens
 * a bus on the JDBC outbox, registers the endpoint, publishes {@code count} events with ids
 * {@code crash-0 … crash-<count-1>} (each publish completes only once stored), prints
 * {@code PUBLISHED <count>} and then keeps sending until it is killed. It exits when its stdin
 * ends, so it never outlives the test.
 *
 * <p>Arguments: JDBC url, user, password, endpoint URL, topic, endpoint name, count.
 */
public final class CrashingSenderMain {
  private CrashingSenderMain() {}

  /**
   * Runs the sender.
   *
   * @param args url, user, password, endpoint URL, topic, endpoint name, count, and optionally
   *     the events per publish (20: rows; 32 or more: packs)
   * @throws IOException if stdin cannot be read
   */
  public static void main(String[] args) throws IOException {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("relaybus.transport", "webhook");
    config.put("relaybus.webhook.outbox", "jdbc");
    config.put("relaybus.webhook.jdbc.url", args[0]);
    config.put("relaybus.webhook.jdbc.user", args[1]);
    config.put("relaybus.webhook.jdbc.password", args[2]);
    config.put("relaybus.webhook.ssrf.allow-categories", "loopback");
    config.put("relaybus.webhook.poll-interval", "100ms");
    config.put("relaybus.webhook.lease", "1s");
    config.put("relaybus.webhook.connect-timeout", "1s");
    config.put("relaybus.webhook.endpoints." + args[5] + ".url", args[3]);
    config.put("relaybus.webhook.endpoints." + args[5] + ".topics", args[4]);
    config.put("relaybus.webhook.endpoints." + args[5] + ".timeout", "5s");
    config.put("relaybus.webhook.endpoints." + args[5] + ".concurrency", "8");
    EventBus bus = EventBus.create(config);
    int count = Integer.parseInt(args[6]);
    int perPublish = args.length > 7 ? Integer.parseInt(args[7]) : 20;
    List<Event> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      batch.add(Event.builder().id("crash-" + i).source("/crash").type("crash.test")
          .text("event " + i).build());
      if (batch.size() == perPublish) {
        bus.publishAll(args[4], batch).join();
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      bus.publishAll(args[4], batch).join();
    }
    System.out.println("PUBLISHED " + count);
    InputStream in = System.in;
    while (in.read() >= 0) {
      // the parent never writes; end of stdin means it is gone
    }
    System.exit(0);
  }
}
