package io.relaybus.bench;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.console.Console;
import io.relaybus.console.ConsoleRequest;
import io.relaybus.console.ConsoleResponse;
import io.relaybus.console.Role;
import io.relaybus.ops.DeadLetterQuery;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * How long the operator console's pages take on a large PostgreSQL topic: a topic of
 * {@code --events} events (1,000,000 unless set) of which {@code --dead} (10,000) are dead
 * letters of one group, and a second group that has consumed nothing (its lag is the whole
 * topic). Each page is asked through the console's handler {@code --repeat} times (20) after 3
 * warm-up requests; prints the median and the slowest.
 *
 * <pre>
 * java -cp benchmarks/target/relaybus-benchmarks.jar io.relaybus.bench.ConsoleLoadBenchmark
 * </pre>
 */
public final class ConsoleLoadBenchmark {
  private static final String TOPIC = "orders";
  private static final String TOKEN = "console-load-benchmark-token";

  private ConsoleLoadBenchmark() {}

  /**
   * Runs the measurement.
   *
   * @param args {@code --events N --dead N --repeat N}
   * @throws Exception when it fails
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].substring(2), args[i + 1]);
    }
    int events = Integer.parseInt(opts.getOrDefault("events", "1000000"));
    int dead = Integer.parseInt(opts.getOrDefault("dead", "10000"));
    int repeat = Integer.parseInt(opts.getOrDefault("repeat", "20"));
    PostgresServer server = PostgresServer.get();
    try (EventBus bus = PostgresTarget.createBus(server, Map.of())) {
      long t0 = System.nanoTime();
      // billing subscribes once and stops: its position stays at the start, its lag is the topic
      bus.subscribe(TOPIC, SubscribeOptions.builder().group("billing").build(), d -> {
        throw new IllegalStateException("billing is stopped for the measurement");
      }).close();
      Subscription audit = bus.subscribe(TOPIC, SubscribeOptions.builder().group("audit")
          .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
            throw new IllegalStateException("declined " + d.event().id());
          });
      publish(bus, dead, "order.failed");
      awaitDeadLetters(bus, dead);
      audit.close();
      log("%,d dead letters in %.1f s", dead, (System.nanoTime() - t0) / 1e9);
      long t1 = System.nanoTime();
      List<String> someIds = publish(bus, events - dead, "order.placed");
      log("%,d more events published in %.1f s", events - dead, (System.nanoTime() - t1) / 1e9);
      String deadId = bus.operations().deadLetters(DeadLetterQuery.builder(TOPIC).limit(1)
          .after(bus.operations().deadLetters(DeadLetterQuery.builder(TOPIC).limit(dead / 2)
              .build()).next().orElseThrow()).build()).items().get(0).event().id();
      log("lag of billing: %,d events", bus.operations().lag(TOPIC, "billing").depth());

      Console console = Console.builder(bus).token("bench", Role.OPERATOR, TOKEN).build();
      measure(console, "overview", "/", repeat);
      measure(console, "topic page (2 groups, partitions)", "/topic?topic=" + TOPIC, repeat);
      measure(console, "dead letters, first page", "/dead-letters?topic=" + TOPIC, repeat);
      String next = firstNextLink(console, "/dead-letters?topic=" + TOPIC + "&group=audit");
      measure(console, "dead letters, a later page (token)", next, repeat);
      measure(console, "dead letters by event id", "/dead-letters?topic=" + TOPIC + "&id="
          + deadId, repeat);
      measure(console, "dead letters by type + reason", "/dead-letters?topic=" + TOPIC
          + "&type=order.failed&reason=RETRIES_EXHAUSTED", repeat);
      measure(console, "dead letters by JSON field (one API page of 500)", "/dead-letters?topic="
          + TOPIC + "&field=n&value=7", repeat);
      measure(console, "replay confirmation (counts all " + dead + ")",
          "/dead-letters/confirm?action=replay&topic=" + TOPIC + "&group=audit", repeat);
      measure(console, "find an event by id (dead letter)", "/event?topic=" + TOPIC + "&id="
          + deadId, repeat);
      measure(console, "find an event by id (published last)", "/event?topic=" + TOPIC + "&id="
          + someIds.get(someIds.size() - 1), repeat);
    }
    System.exit(0);
  }

  private static List<String> publish(EventBus bus, int n, String type) {
    List<String> ids = new ArrayList<>();
    int batch = 1000;
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    for (int i = 0; i < n; i += batch) {
      List<Event> events = new ArrayList<>(batch);
      for (int j = i; j < Math.min(n, i + batch); j++) {
        events.add(Event.builder().source("/bench").type(type).key("customer-" + (j % 512))
            .data(("{\"n\":" + (j % 100) + ",\"customer\":{\"id\":\"c" + (j % 512) + "\"}}")
                .getBytes(StandardCharsets.UTF_8)).dataContentType("application/json").build());
      }
      ids.add(events.get(events.size() - 1).id());
      inFlight.add(bus.publishAll(TOPIC, events));
      if (inFlight.size() == 8) {
        inFlight.forEach(CompletableFuture::join);
        inFlight.clear();
      }
    }
    inFlight.forEach(CompletableFuture::join);
    return ids;
  }

  private static void awaitDeadLetters(EventBus bus, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (bus.operations().deadLetterCounts(TOPIC, "audit").values().stream()
        .mapToLong(Long::longValue).sum() < n) {
      if (System.nanoTime() > deadline) {
        throw new BenchmarkException("the dead letters did not arrive within 10 minutes");
      }
      Thread.sleep(200); // polling a count, not synchronising threads
    }
  }

  private static ConsoleResponse get(Console console, String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    ConsoleResponse r = console.handle(ConsoleRequest.of("GET",
        q < 0 ? pathAndQuery : pathAndQuery.substring(0, q),
        q < 0 ? "" : pathAndQuery.substring(q + 1),
        Map.of("Authorization", List.of("Bearer " + TOKEN), "Host", List.of("bench"))));
    if (r.status() != 200) {
      throw new BenchmarkException(pathAndQuery + " answered " + r.status() + ": "
          + r.bodyText());
    }
    return r;
  }

  private static String firstNextLink(Console console, String page) {
    String html = get(console, page).bodyText();
    int i = html.indexOf("\">Next page");
    int start = html.lastIndexOf("href=\"", i) + 6;
    return html.substring(start, i).replace("&amp;", "&");
  }

  private static void measure(Console console, String name, String page, int repeat) {
    Supplier<ConsoleResponse> ask = () -> get(console, page);
    for (int i = 0; i < 3; i++) {
      ask.get();
    }
    long[] ms = new long[repeat];
    for (int i = 0; i < repeat; i++) {
      long t = System.nanoTime();
      ask.get();
      ms[i] = (System.nanoTime() - t) / 1_000_000;
    }
    Arrays.sort(ms);
    log("%-52s median %5d ms   slowest %5d ms", name, ms[repeat / 2], ms[repeat - 1]);
  }

  private static void log(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
  }
}
