package io.relaybus.bench;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.webhook.WebhookEndpoint;
import io.relaybus.webhook.WebhookTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Webhook delivery of events of a given size to a loopback receiver, in events per second, with
 * the in-memory outbox: shows what the transport's sockets do with requests larger than
 * OkHttp's 8 KiB write buffer (Nagle's algorithm against delayed acknowledgements).
 *
 * <pre>
 * java -cp relaybus-benchmarks.jar io.relaybus.bench.LargeEventPace [events] [bytes...]
 * </pre>
 *
 * <p>For each size: an ordered endpoint (one request at a time on one connection) and an
 * endpoint with the default concurrency of 8; prints one line per run.
 */
public final class LargeEventPace {
  private LargeEventPace() {}

  /**
   * Runs the measurement.
   *
   * @param args the number of events per run (default 500), then the data sizes in bytes
   *     (default 1,000, 7,000, 9,000 and 64,000)
   * @throws Exception when a run fails or takes more than five minutes
   */
  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      sizes.add(Integer.parseInt(args[i]));
    }
    if (sizes.isEmpty()) {
      sizes = List.of(1_000, 7_000, 9_000, 64_000);
    }
    for (int bytes : sizes) {
      for (boolean ordered : new boolean[] {true, false}) {
        System.out.printf("data %,d bytes, %s: %,.0f events/s%n", bytes,
            ordered ? "ordered (1 connection)" : "concurrency 8",
            run(events, bytes, ordered));
      }
    }
  }

  private static double run(int events, int bytes, boolean ordered) throws Exception {
    try (HttpStampReceiver receiver = new HttpStampReceiver(8);
        EventBus bus = EventBus.create(Map.of("relaybus.transport", "webhook",
            "relaybus.webhook.ssrf.allow-categories", "loopback"))) {
      CountDownLatch delivered = new CountDownLatch(events);
      receiver.listen(stamp -> delivered.countDown());
      bus.unwrap(WebhookTransport.class).endpoints().add(WebhookEndpoint.builder("pace")
          .url(receiver.baseUrl() + "pace").topics("pace").ordered(ordered).build());
      String data = "x".repeat(bytes);
      List<Event> batch = new ArrayList<>(events);
      for (int i = 0; i < events; i++) {
        batch.add(Event.builder().source("/bench").type("pace").key("k")
            .header(RelaybusSession.STAMP_HEADER, Long.toString(System.nanoTime()))
            .text(data).build());
      }
      long start = System.nanoTime();
      bus.publishAll("pace", batch).join();
      if (!delivered.await(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException(delivered.getCount() + " of " + events
            + " events not delivered in 5 minutes");
      }
      return events / ((System.nanoTime() - start) / 1e9);
    }
  }
}
