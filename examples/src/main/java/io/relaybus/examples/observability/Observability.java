package io.relaybus.examples.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import io.relaybus.examples.Console;
import io.relaybus.examples.PostgresServer;
import io.relaybus.micrometer.RelaybusMetrics;
import io.relaybus.opentelemetry.RelaybusTelemetry;
import io.relaybus.ops.DeadLetterQuery;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.Health;
import io.relaybus.ops.Operations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * One event's journey on PostgreSQL and what an operator sees of it. A bus with metrics
 * ({@code relaybus-micrometer}) and traces ({@code relaybus-opentelemetry}) publishes two
 * payment events while the {@code ledger} group is stopped, so they wait as lag. Once the group
 * runs again, the capture fails once and succeeds on its retry; the refund fails every attempt
 * (its account is frozen) and becomes a dead letter. The account is unfrozen and the refunds are
 * replayed by filter through {@code bus.operations()}. Then it prints the traces as trees, the
 * meters, the lag before and after, the dead letters per reason and the bus's health.
 *
 * <pre>
 * java -cp examples/target/relaybus-examples.jar io.relaybus.examples.observability.Observability
 * </pre>
 *
 * <p>Uses {@code RELAYBUS_POSTGRES_URL} when set, else an embedded PostgreSQL 17. Exits 0 when
 * the outcome is the expected one, 1 otherwise.
 */
public final class Observability {
  /** The consumer group that handles payments. */
  public static final String GROUP = "ledger";
  /** The event type whose handler fails once, then succeeds. */
  public static final String CAPTURED = "payment.captured";
  /** The event type whose handler fails until the account is unfrozen. */
  public static final String REFUNDED = "payment.refunded";
  private static final int MAX_ATTEMPTS = 3;
  private static final Duration RETRY_DELAY = Duration.ofMillis(100);
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private Observability() {}

  /**
   * What happened.
   *
   * @param topic the topic used by this run
   * @param lagBefore the group's lag while it was stopped with both events waiting
   * @param lagAfter the group's lag once everything was handled
   * @param deadLettersBefore the group's dead letters per reason before the replay
   * @param replayed how many dead letters the replay by filter delivered again
   * @param deadLettersAfter the group's dead letters per reason after the replay
   * @param attempts the attempts the handler saw, as {@code type#attempt}, in order
   * @param spans the journey's spans in tree order, one line each as printed
   * @param health the bus's health at the end
   */
  public record Outcome(String topic, GroupLag lagBefore, GroupLag lagAfter,
      Map<DeadLetterReason, Long> deadLettersBefore, long replayed,
      Map<DeadLetterReason, Long> deadLettersAfter, List<String> attempts, List<String> spans,
      Health health) {

    /**
     * Whether the run shows what it should: two events waiting before, none after; the capture
     * handled on its second attempt; the refund dead-lettered after every attempt, replayed by
     * filter and handled; no dead letters left; two traces with every attempt in them; health
     * {@code UP}.
     *
     * @return true when all of it holds
     */
    public boolean asExpected() {
      return lagBefore.depth() == 2 && lagAfter.depth() == 0
          && deadLettersBefore.equals(Map.of(DeadLetterReason.RETRIES_EXHAUSTED, 1L))
          && replayed == 1 && deadLettersAfter.isEmpty()
          && attempts.stream().filter(a -> a.startsWith(CAPTURED)).count() == 2
          && attempts.stream().filter(a -> a.startsWith(REFUNDED)).count() == MAX_ATTEMPTS + 1
          && spans.stream().filter(s -> s.contains("send ")).count() == 2
          && spans.stream().filter(s -> s.contains("process ")).count() == 2 + MAX_ATTEMPTS + 1
          && spans.stream().filter(s -> s.contains("dead_letter ")).count() == 1
          && health.status() == Health.Status.UP;
    }
  }

  /**
   * Runs the example on the configured or an embedded PostgreSQL.
   *
   * @param args ignored
   * @throws Exception when the example cannot run
   */
  public static void main(String[] args) throws Exception {
    Console console = new Console(System.out, "observability");
    boolean ok;
    try (PostgresServer server = PostgresServer.startOrConnect(console)) {
      ok = run(server, console).asExpected();
    }
    System.exit(ok ? 0 : 1);
  }

  /**
   * Runs the scenario and prints what an operator sees.
   *
   * @param server the database
   * @param console where progress goes
   * @return what happened
   * @throws Exception when the database fails
   */
  public static Outcome run(PostgresServer server, Console console) throws Exception {
    String topic = "payments-" + Long.toString(System.currentTimeMillis(), 36);
    CollectingExporter exporter = new CollectingExporter();
    SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    OpenTelemetrySdk openTelemetry =
        OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicBoolean accountFrozen = new AtomicBoolean(true);
    List<String> attempts = new CopyOnWriteArrayList<>();
    SubscribeOptions options = SubscribeOptions.builder().group(GROUP)
        .retryPolicy(RetryPolicy.builder().maxAttempts(MAX_ATTEMPTS).fixedDelay(RETRY_DELAY)
            .jitter(0).build())
        .build();
    console.step("topic %s, group %s, %d attempts %d ms apart; metrics in a SimpleMeterRegistry, "
        + "spans to an in-memory exporter; the bus logs each failed attempt and the dead letter "
        + "at WARN, as it would in production", topic, GROUP, MAX_ATTEMPTS,
        RETRY_DELAY.toMillis());

    try (EventBus bus = EventBus.builder().properties(server.busConfig())
        .instrumentation(new RelaybusMetrics(registry))
        .instrumentation(RelaybusTelemetry.create(openTelemetry))
        .build()) {
      Operations ops = bus.operations();
      Handler handler = new Handler(accountFrozen, attempts);
      // Joining once stores the group's position: from then on its lag counts what it misses.
      bus.subscribe(topic, options, handler).close();
      Event capture = Event.builder().source("/payments").type(CAPTURED).key("order-7")
          .json(Map.of("order", 7, "amount", "19.90")).build();
      Event refund = Event.builder().source("/payments").type(REFUNDED).key("order-3")
          .json(Map.of("order", 3, "amount", "5.00")).build();
      bus.publish(topic, capture).join();
      bus.publish(topic, refund).join();
      GroupLag lagBefore = ops.lag(topic, GROUP);
      console.step("published a capture and a refund while %s is stopped; lag: %s", GROUP,
          describe(lagBefore));

      Subscription ledger = bus.subscribe(topic, options, handler);
      await("the capture handled and the refund dead-lettered", () -> handler.done(CAPTURED)
          && ops.deadLetterCounts(topic, GROUP).getOrDefault(
              DeadLetterReason.RETRIES_EXHAUSTED, 0L) == 1);
      Map<DeadLetterReason, Long> deadLettersBefore = ops.deadLetterCounts(topic, GROUP);
      console.step("%s restarted: capture handled on attempt 2, refund gave up after %d "
          + "attempts; dead letters of %s: %s", GROUP, MAX_ATTEMPTS, GROUP, deadLettersBefore);

      accountFrozen.set(false);
      long replayed = ops.replayDeadLetters(DeadLetterQuery.builder(topic).group(GROUP)
          .type(REFUNDED).build());
      // The handler returns before the transport records the acknowledgement: wait for both.
      await("the replayed refund handled and acknowledged",
          () -> handler.done(REFUNDED) && ops.lag(topic, GROUP).depth() == 0);
      Map<DeadLetterReason, Long> deadLettersAfter = ops.deadLetterCounts(topic, GROUP);
      GroupLag lagAfter = ops.lag(topic, GROUP);
      console.step("account unfrozen; replayDeadLetters(topic, group=%s, type=%s) replayed %d; "
          + "refund handled; dead letters: %s; lag: %s", GROUP, REFUNDED, replayed,
          deadLettersAfter, describe(lagAfter));
      // Each span is exported when it ends; the last, the replay's attempt, ends just after
      // the handler returned.
      await("every span exported", () -> exporter.count() >= 9);
      List<String> tree = spanTree(exporter.spans(),
          Map.of(capture.id(), capture.type(), refund.id(), refund.type()));
      console.step("traces (one per event; attempts, dead letter and replay are children of "
          + "the send span):");
      tree.forEach(line -> console.raw("    " + line));
      console.step("meters with a count (every one also tagged messaging.system=%s, "
          + "messaging.destination.name=%s, messaging.consumer.group.name=%s where it has a "
          + "group):", bus.transportName(), topic, GROUP);
      meters(registry).forEach(line -> console.raw("    " + line));
      Health health = ops.health();
      console.step("health: %s", health.status());
      health.components().forEach(c -> console.raw(String.format("    %-44s %s%s", c.name(),
          c.status(), c.reason().map(r -> " (" + r + ")").orElse(""))));
      ledger.close();

      Outcome outcome = new Outcome(topic, lagBefore, lagAfter, deadLettersBefore, replayed,
          deadLettersAfter, List.copyOf(attempts), tree, health);
      console.step(outcome.asExpected()
          ? "OK: one retry, one dead letter replayed by filter, lag back to 0, health UP"
          : "UNEXPECTED outcome: " + outcome);
      return outcome;
    } finally {
      tracerProvider.close();
    }
  }

  /** The ledger: a capture fails on its first attempt, a refund while the account is frozen. */
  private static final class Handler implements io.relaybus.EventHandler {
    private final AtomicBoolean accountFrozen;
    private final List<String> attempts;
    private final List<String> done = new CopyOnWriteArrayList<>();

    Handler(AtomicBoolean accountFrozen, List<String> attempts) {
      this.accountFrozen = accountFrozen;
      this.attempts = attempts;
    }

    @Override
    public void handle(Delivery delivery) {
      String type = delivery.event().type();
      attempts.add(type + "#" + delivery.attempt());
      if (type.equals(CAPTURED) && delivery.attempt() == 1) {
        throw new IllegalStateException("ledger database busy (attempt 1 of the capture)");
      }
      if (type.equals(REFUNDED) && accountFrozen.get()) {
        throw new IllegalStateException("account of order 3 is frozen");
      }
      done.add(type);
    }

    boolean done(String type) {
      return done.contains(type);
    }
  }

  /** Keeps the finished spans in memory, as a collector would receive them. */
  private static final class CollectingExporter implements SpanExporter {
    private final List<SpanData> spans = new CopyOnWriteArrayList<>();

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAll(batch);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }

    List<SpanData> spans() {
      return List.copyOf(spans);
    }

    int count() {
      return spans.size();
    }
  }

  private static String describe(GroupLag lag) {
    String partitions = lag.partitions().stream().filter(p -> p.depth() > 0)
        .map(p -> "partition " + p.partition() + ": " + p.depth())
        .collect(Collectors.joining(", "));
    return String.format("depth %d%s, oldest waiting %d ms", lag.depth(),
        partitions.isEmpty() ? "" : " (" + partitions + ")", lag.age().toMillis());
  }

  /** The spans as indented trees, roots and children in the order they started. */
  static List<String> spanTree(List<SpanData> spans, Map<String, String> typeById) {
    Map<String, List<SpanData>> children = spans.stream()
        .filter(s -> s.getParentSpanContext().isValid())
        .collect(Collectors.groupingBy(SpanData::getParentSpanId));
    List<String> lines = new ArrayList<>();
    spans.stream().filter(s -> !s.getParentSpanContext().isValid())
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(root -> appendTree(root, "", "", children, typeById, lines));
    return lines;
  }

  private static void appendTree(SpanData span, String prefix, String childPrefix,
      Map<String, List<SpanData>> children, Map<String, String> typeById, List<String> lines) {
    lines.add(String.format("%-36s %s", prefix + span.getName(), describe(span, typeById)));
    List<SpanData> kids = children.getOrDefault(span.getSpanId(), List.of()).stream()
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
    for (int i = 0; i < kids.size(); i++) {
      boolean last = i == kids.size() - 1;
      appendTree(kids.get(i), childPrefix + (last ? "└─ " : "├─ "),
          childPrefix + (last ? "   " : "│  "), children, typeById, lines);
    }
  }

  private static String describe(SpanData span, Map<String, String> typeById) {
    StringBuilder sb = new StringBuilder(String.format("%-9s", span.getKind()));
    Long attempt = span.getAttributes().get(RelaybusTelemetry.ATTEMPT);
    if (attempt != null) {
      sb.append(" attempt=").append(attempt);
    }
    String outcome = span.getAttributes().get(RelaybusTelemetry.OUTCOME);
    if (outcome != null) {
      sb.append(" outcome=").append(outcome);
    }
    String reason = span.getAttributes().get(RelaybusTelemetry.DEAD_LETTER_REASON);
    if (reason != null) {
      sb.append(" reason=").append(reason);
    }
    String id = span.getAttributes().get(AttributeKey.stringKey("messaging.message.id"));
    if (span.getName().startsWith("send ") && id != null) {
      sb.append(' ').append(typeById.getOrDefault(id, "")).append(" id=").append(id);
    }
    if (span.getStatus().getStatusCode() == StatusCode.ERROR) {
      sb.append(" ERROR ").append(span.getAttributes().get(AttributeKey.stringKey("error.type")));
    }
    return sb.toString();
  }

  /**
   * Counters and timers with a count, one line each, with the tags that tell them apart (the
   * operation name repeats the meter's, the others are the same on every meter here).
   */
  static List<String> meters(SimpleMeterRegistry registry) {
    List<String> lines = new ArrayList<>();
    registry.getMeters().stream()
        .sorted(Comparator.comparing((Meter m) -> m.getId().getName())
            .thenComparing(m -> m.getId().getTags().toString()))
        .forEach(m -> {
          String tags = m.getId().getTags().stream()
              .filter(t -> !t.getKey().equals("messaging.system")
                  && !t.getKey().equals("messaging.destination.name")
                  && !t.getKey().equals("messaging.consumer.group.name")
                  && !t.getKey().equals("messaging.operation.name"))
              .map(t -> t.getKey() + "=" + t.getValue()).collect(Collectors.joining(","));
          String name = m.getId().getName() + (tags.isEmpty() ? "" : "{" + tags + "}");
          if (m instanceof Counter c && c.count() > 0) {
            lines.add(String.format("%-72s %4.0f", name, c.count()));
          } else if (m instanceof Timer t && t.count() > 0) {
            lines.add(String.format("%-72s %4d, total %.1f ms", name, t.count(),
                t.totalTime(TimeUnit.MICROSECONDS) / 1000.0));
          }
        });
    return lines;
  }

  /**
   * Polls a condition read from the bus's stores or the span exporter, which signal nothing when
   * it becomes true; bounded by {@code PATIENCE}. (The examples jar carries no Awaitility.)
   */
  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Not within " + PATIENCE + ": " + what);
      }
      Thread.sleep(20);
    }
  }
}
