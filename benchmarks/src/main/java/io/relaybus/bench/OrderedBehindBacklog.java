package io.relaybus.bench;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookTransport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An ordered endpoint's delivery rate with the JDBC outbox while another endpoint, disabled (as
 * one that is down), keeps a backlog published before: how much each ordered claim pays for
 * deliveries that are not its own. Embedded PostgreSQL as the other benchmarks start it.
 *
 * <pre>
 * java -cp relaybus-benchmarks.jar io.relaybus.bench.OrderedBehindBacklog [backlog] [events]
 * </pre>
 *
 * <p>Publishes {@code backlog} (50,000) events to the disabled endpoint's topic, then {@code
 * events} (2,000) to the ordered endpoint's, and prints the ordered endpoint's deliveries per
 * second; the same with no backlog first, for comparison.
 */
public final class OrderedBehindBacklog {
  private OrderedBehindBacklog() {}

  /**
   * Runs the measurement.
   *
   * @param args the backlog (default 50,000) and the ordered events (default 2,000)
   * @throws Exception when a run fails or takes more than ten minutes
   */
  public static void main(String[] args) throws Exception {
    int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int events = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
    for (int b : new int[] {0, backlog}) {
      System.out.printf("ordered endpoint, %,d deliveries of a disabled endpoint before it: "
          + "%,.0f events/s%n", b, run(b, events));
    }
  }

  private static double run(int backlog, int events) throws Exception {
    PostgresServer server = PostgresServer.get();
    String schema = "ordered_backlog_" + System.nanoTime();
    Map<String, String> c = new LinkedHashMap<>();
    c.put("relaybus.transport", "webhook");
    c.put("relaybus.webhook.outbox", "jdbc");
    c.put("relaybus.webhook.jdbc.url", server.url());
    c.put("relaybus.webhook.jdbc.user", server.user());
    if (server.password() != null && !server.password().isEmpty()) {
      c.put("relaybus.webhook.jdbc.password", server.password());
    }
    c.put("relaybus.webhook.jdbc.schema", schema);
    c.put("relaybus.webhook.ssrf.allow-categories", "loopback");
    try (HttpStampReceiver receiver = new HttpStampReceiver(8);
        EventBus bus = EventBus.create(c)) {
      WebhookTransport webhooks = bus.unwrap(WebhookTransport.class);
      webhooks.endpoints().add(WebhookEndpoint.builder("down").url(receiver.baseUrl() + "down")
          .topics("backlog").build());
      webhooks.endpoints().disable("down");
      publish(bus, "backlog", backlog);
      CountDownLatch delivered = new CountDownLatch(events);
      receiver.listen(stamp -> delivered.countDown());
      webhooks.endpoints().add(WebhookEndpoint.builder("in-order")
          .url(receiver.baseUrl() + "in-order").topics("ordered").ordered(true).build());
      long start = System.nanoTime();
      publish(bus, "ordered", events);
      if (!delivered.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException(delivered.getCount() + " of " + events
            + " ordered events not delivered in 10 minutes");
      }
      return events / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static void publish(EventBus bus, String topic, int count) {
    List<Event> batch = new ArrayList<>(1_000);
    for (int i = 0; i < count; i++) {
      batch.add(RelaybusSession.event(Payloads.json(Payloads.SIZE), System.nanoTime()));
      if (batch.size() == 1_000 || i == count - 1) {
        bus.publishAll(topic, batch).join();
        batch.clear();
      }
    }
  }
}
