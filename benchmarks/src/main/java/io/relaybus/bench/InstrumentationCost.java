package io.relaybus.bench;

import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.relaybus.Codec;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.spi.Instrumentation;
import io.relaybus.spi.Instrumentation.AttemptObservation;
import io.relaybus.spi.Instrumentation.PublishObservation;
import io.relaybus.spi.Instrumentation.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the instrumentation hooks cost per event on one thread, with no transport: the calls the
 * bus makes around a publish (one event, or a batch of 100) and around a delivery attempt, for
 * the metrics and the tracing module as the harness configures them
 * ({@code relaybus.bench.instrumentation}; tracing samples every span into a batching processor
 * whose exporter only counts). Separates the modules' own CPU from what a transport does with
 * the headers they add (stored, read back: measured by the harness with
 * {@code relaybus.bench.extra-header}).
 *
 * <pre>
 * java -cp relaybus-benchmarks.jar io.relaybus.bench.InstrumentationCost [events] [rounds] [ratio]
 * </pre>
 *
 * <p>Prints nanoseconds per event for each hook and module, the best of {@code rounds} (5)
 * rounds of {@code events} (200,000) after one warm-up round; {@code ratio} (1) is the share of
 * traces the tracer samples ({@code relaybus.bench.tracing.sample-ratio}). One thread creates spans faster
 * than the SDK's default batch processor drains them, so it drops some (a full queue): the
 * spans created and exported are printed, and the queueing cost is a lower bound.
 */
public final class InstrumentationCost {
  private static final String SYSTEM = "postgresql";
  private static final String TOPIC = "orders";
  private static final String GROUP = "billing";

  /** Held: java.util.logging keeps loggers weakly, and the level must outlive this line. */
  private static final Logger QUIET = Logger.getLogger(BatchSpanProcessor.class.getName());

  private InstrumentationCost() {}

  private record Attempt(Event event, String topic, String group, int attempt,
      Map<String, String> metadata) implements Delivery {
    @Override
    public <T> T data(Class<T> type) {
      throw new UnsupportedOperationException("not decoded in this measurement");
    }

    @Override
    public <T> T data(Codec<T> codec) {
      throw new UnsupportedOperationException("not decoded in this measurement");
    }
  }

  /**
   * Runs the measurement.
   *
   * @param args events per round (default 200,000), rounds (default 5), share of traces
   *     sampled (default 1)
   */
  public static void main(String[] args) {
    QUIET.setLevel(Level.SEVERE); // one "dropped spans" warning per export otherwise
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String ratio = args.length > 2 ? args[2] : "1";
    byte[] payload = Payloads.json(Payloads.SIZE);
    List<Event> source = new ArrayList<>(events);
    for (int i = 0; i < events; i++) {
      source.add(Event.builder().source("/bench").type("bench.event")
          .header(RelaybusSession.STAMP_HEADER, Long.toString(System.nanoTime()))
          .json(payload).build());
    }
    for (String mode : List.of("metrics", "tracing")) {
      Instrumentation in = BenchInstrumentation.create(Map.of(BenchInstrumentation.KEY, mode,
          BenchInstrumentation.SAMPLE_RATIO_KEY, ratio))
          .get(0);
      double single = Double.MAX_VALUE;
      double batch = Double.MAX_VALUE;
      double attempt = Double.MAX_VALUE;
      for (int r = 0; r <= rounds; r++) { // round 0 warms up
        List<Event> published = new ArrayList<>(events);
        long t0 = System.nanoTime();
        for (Event e : source) {
          PublishObservation o = in.publishing(SYSTEM, TOPIC, List.of(e));
          published.add(o.events().get(0));
          o.completed(null);
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < events; i += 100) {
          PublishObservation o = in.publishing(SYSTEM, TOPIC,
              source.subList(i, Math.min(events, i + 100)));
          o.events();
          o.completed(null);
        }
        long t2 = System.nanoTime();
        for (Event e : published) {
          AttemptObservation o = in.attempting(SYSTEM, TOPIC, GROUP,
              new Attempt(e, TOPIC, GROUP, 1, Map.of()));
          try (Scope s = o.enter()) {
            e.id(); // the handler
          }
          o.ended(null, Instrumentation.Next.DONE);
        }
        long t3 = System.nanoTime();
        if (r > 0) {
          single = Math.min(single, (t1 - t0) / (double) events);
          batch = Math.min(batch, (t2 - t1) / (double) events);
          attempt = Math.min(attempt, (t3 - t2) / (double) events);
        }
      }
      System.out.printf("%-8s publish (single) %6.0f ns/event, publishAll of 100 %6.0f ns/event,"
          + " attempt %6.0f ns/event%n", mode, single, batch, attempt);
    }
    BenchInstrumentation.flushSpans();
    long created = (rounds + 1L) * (2L * events + (events + 99) / 100);
    System.out.printf("spans created: %,d, exported: %,d (the rest not sampled, or dropped by a full queue)%n",
        created, BenchInstrumentation.exportedSpans());
  }
}
