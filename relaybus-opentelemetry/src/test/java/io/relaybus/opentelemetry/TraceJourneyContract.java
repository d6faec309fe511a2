package io.relaybus.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.relaybus.DeadLetter;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Instrumentation;
import io.relaybus.test.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The trace of one event's journey, checked with the SDK's in-memory exporter on one transport:
 * publish, failed attempts, dead letter, replay, success; an event published by a handler; two
 * buses as two processes. Each transport's test subclasses this with its bus configuration.
 */
abstract class TraceJourneyContract {

  static final String GROUP = "traced";

  /** A tracer pipeline of its own: one per process in the two-bus test. */
  static final class Tracing implements AutoCloseable {
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    final OpenTelemetry openTelemetry =
        OpenTelemetrySdk.builder().setTracerProvider(provider).build();

    List<SpanData> spans() {
      return exporter.getFinishedSpanItems();
    }

    @Override
    public void close() {
      provider.close();
    }
  }

  private final List<EventBus> buses = new ArrayList<>();
  private final List<Tracing> tracings = new ArrayList<>();

  /**
   * The configuration of a bus on this transport; buses made from it in one test share their
   * topics (as two processes would).
   *
   * @return a new, modifiable map
   */
  protected abstract Map<String, String> busConfig();

  /** Whether two buses made from {@link #busConfig()} reach the same topics. */
  protected boolean busesShareTopics() {
    return true;
  }

  /** How long a delivery may take on this transport. */
  protected Duration patience() {
    return Duration.ofSeconds(60);
  }

  @AfterEach
  void closeAll() {
    buses.forEach(EventBus::close);
    tracings.forEach(Tracing::close);
  }

  Tracing tracing() {
    Tracing t = new Tracing();
    tracings.add(t);
    return t;
  }

  EventBus bus(Instrumentation instrumentation) {
    EventBus bus = EventBus.builder().properties(busConfig()).instrumentation(instrumentation)
        .build();
    buses.add(bus);
    return bus;
  }

  static String topic() {
    return "otel-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 20);
  }

  static SubscribeOptions twoAttempts() {
    return SubscribeOptions.builder().group(GROUP)
        .retryPolicy(RetryPolicy.builder().maxAttempts(2).fixedDelay(Duration.ofMillis(50))
            .jitter(0).build())
        .build();
  }

  static List<SpanData> named(List<SpanData> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).toList();
  }

  static Long attempt(SpanData span) {
    return span.getAttributes().get(RelaybusTelemetry.ATTEMPT);
  }

  static String attr(SpanData span, String key) {
    return span.getAttributes().get(AttributeKey.stringKey(key));
  }

  /** The trace and span ids a span links to (a link read from an event is remote). */
  static List<String> links(SpanData span) {
    return span.getLinks().stream().map(LinkData::getSpanContext).map(TraceJourneyContract::ids)
        .toList();
  }

  static String ids(SpanContext context) {
    return context.getTraceId() + "/" + context.getSpanId();
  }

  /** Every span's parent is a span of the same trace that was exported: none is orphaned. */
  static void assertNoOrphans(List<SpanData> spans, String traceId, int roots) {
    Set<String> ids = spans.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
    assertThat(spans).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));
    assertThat(spans.stream().filter(s -> !s.getParentSpanContext().isValid()))
        .as("root spans").hasSize(roots);
    assertThat(spans.stream().filter(s -> s.getParentSpanContext().isValid()))
        .allSatisfy(s -> assertThat(ids).as("parent of " + s.getName())
            .contains(s.getParentSpanId()));
  }

  @Test
  void publishTwoFailedAttemptsDeadLetterReplayAndSuccessAreOneTrace() {
    Tracing tracing = tracing();
    EventBus bus = bus(RelaybusTelemetry.create(tracing.openTelemetry));
    String topic = topic();
    AtomicBoolean failing = new AtomicBoolean(true);
    List<Integer> attemptsSeen = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, twoAttempts(), d -> {
      attemptsSeen.add(d.attempt());
      if (failing.get()) {
        throw new IllegalStateException("attempt " + d.attempt() + " fails");
      }
    });

    Event published = Event.builder().source("/otel").type("order.created").text("hi").build();
    bus.publish(topic, published).join();

    await().atMost(patience()).until(() -> bus.deadLetters().count(topic, GROUP) == 1
        && named(tracing.spans(), "dead_letter " + topic).size() == 1);
    List<DeadLetter> dead = bus.deadLetters().list(topic, GROUP, 10);
    assertThat(dead.get(0).event().headers()).as("the context is stored with the event")
        .containsKey("traceparent");
    failing.set(false);
    assertThat(bus.deadLetters().replay(topic, GROUP, dead.get(0).id())).isTrue();
    await().atMost(patience()).until(() -> named(tracing.spans(), "process " + topic).size() == 3);

    List<SpanData> spans = tracing.spans();
    List<SpanData> sends = named(spans, "send " + topic);
    assertThat(sends).hasSize(1);
    SpanData send = sends.get(0);
    assertThat(send.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(attr(send, "messaging.system")).isEqualTo(bus.transportName());
    assertThat(attr(send, "messaging.destination.name")).isEqualTo(topic);
    assertThat(attr(send, "messaging.operation.type")).isEqualTo("send");
    assertThat(attr(send, "messaging.message.id")).isEqualTo(published.id());
    assertThat(dead.get(0).event().headers().get("traceparent"))
        .startsWith("00-" + send.getTraceId() + "-" + send.getSpanId() + "-");

    List<SpanData> processes = named(spans, "process " + topic);
    assertThat(processes).as("three attempts").hasSize(3);
    assertThat(processes.stream().map(TraceJourneyContract::attempt).map(Long::intValue))
        .as("attempt attributes are the attempts the handler saw")
        .containsExactlyElementsOf(attemptsSeen);
    assertThat(attemptsSeen.subList(0, 2)).containsExactly(1, 2);
    for (SpanData p : processes) {
      assertThat(p.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(p.getParentSpanId()).as("child of the producer").isEqualTo(send.getSpanId());
      assertThat(links(p)).as("linked to the creation context")
          .containsExactly(ids(send.getSpanContext()));
      assertThat(attr(p, "messaging.consumer.group.name")).isEqualTo(GROUP);
      assertThat(attr(p, "messaging.operation.type")).isEqualTo("process");
      assertThat(attr(p, "messaging.message.id")).isEqualTo(published.id());
    }
    assertThat(processes.stream().map(p -> p.getAttributes().get(RelaybusTelemetry.OUTCOME)))
        .containsExactly("retry", "give_up", "done");
    assertThat(processes.subList(0, 2)).allSatisfy(p -> {
      assertThat(p.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(attr(p, "error.type")).isEqualTo(IllegalStateException.class.getName());
      assertThat(p.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
    });
    assertThat(processes.get(2).getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    SpanData deadLetter = named(spans, "dead_letter " + topic).get(0);
    assertThat(deadLetter.getParentSpanId()).as("child of the last attempt")
        .isEqualTo(processes.get(1).getSpanId());
    assertThat(links(deadLetter)).containsExactly(ids(send.getSpanContext()));
    assertThat(deadLetter.getAttributes().get(RelaybusTelemetry.DEAD_LETTER_REASON))
        .isEqualTo("RETRIES_EXHAUSTED");
    assertThat(deadLetter.getAttributes().get(RelaybusTelemetry.DEAD_LETTER_STORED)).isTrue();
    assertThat(attempt(deadLetter)).isEqualTo(2L);

    assertThat(spans).hasSize(5);
    assertNoOrphans(spans, send.getTraceId(), 1);
  }

  @Test
  void anEventPublishedByAHandlerIsInTheHandlersTrace() {
    Tracing tracing = tracing();
    EventBus bus = bus(RelaybusTelemetry.create(tracing.openTelemetry));
    String first = topic();
    String second = topic();
    bus.subscribe(first, SubscribeOptions.group(GROUP),
        d -> bus.publish(second, Event.builder().source("/otel").type("next").build()).join());
    bus.subscribe(second, SubscribeOptions.group(GROUP), d -> { });

    bus.publish(first, Event.builder().source("/otel").type("first").build()).join();

    await().atMost(patience()).until(() -> named(tracing.spans(), "process " + second).size()
        == 1);
    List<SpanData> spans = tracing.spans();
    SpanData send1 = named(spans, "send " + first).get(0);
    SpanData process1 = named(spans, "process " + first).get(0);
    SpanData send2 = named(spans, "send " + second).get(0);
    SpanData process2 = named(spans, "process " + second).get(0);
    assertThat(process1.getParentSpanId()).isEqualTo(send1.getSpanId());
    assertThat(send2.getParentSpanId()).as("published inside the handler")
        .isEqualTo(process1.getSpanId());
    assertThat(process2.getParentSpanId()).isEqualTo(send2.getSpanId());
    assertThat(spans).hasSize(4);
    assertNoOrphans(spans, send1.getTraceId(), 1);
  }

  @Test
  void twoBusesAsTwoProcessesShareTheTraceThroughTheStoredContext() {
    assumeTrue(busesShareTopics(), "the buses of this transport do not share topics");
    Tracing producerSide = tracing();
    Tracing consumerSide = tracing();
    EventBus publisher = bus(RelaybusTelemetry.create(producerSide.openTelemetry));
    EventBus consumer = bus(RelaybusTelemetry.create(consumerSide.openTelemetry));
    String topic = topic();
    consumer.subscribe(topic, SubscribeOptions.group(GROUP), d -> { });

    publisher.publish(topic, Event.builder().source("/otel").type("remote").build()).join();

    await().atMost(patience()).until(() -> consumerSide.spans().size() == 1);
    SpanData send = producerSide.spans().get(0);
    SpanData process = consumerSide.spans().get(0);
    assertThat(producerSide.spans()).hasSize(1);
    assertThat(send.getName()).isEqualTo("send " + topic);
    assertThat(process.getName()).isEqualTo("process " + topic);
    assertThat(process.getTraceId()).isEqualTo(send.getTraceId());
    assertThat(process.getParentSpanContext().isRemote()).as("parent from another process")
        .isTrue();
    assertThat(process.getParentSpanId()).isEqualTo(send.getSpanId());
  }

  /** A publish into a caller's transaction on this transport's own API. */
  @FunctionalInterface
  interface TransactionalPublish {
    void publish(EventBus bus, Connection connection, String topic, List<Event> events);
  }

  /**
   * A publish into the caller's transaction, made while the caller's request span is current,
   * continues that trace into the handler (for the transports that have such a publish).
   *
   * @param database where the caller's connection goes
   * @param publish the transport's publish into a transaction
   */
  void assertATransactionalPublishContinuesTheCallersTrace(PostgresServer database,
      TransactionalPublish publish) throws Exception {
    Tracing tracing = tracing();
    EventBus bus = bus(RelaybusTelemetry.create(tracing.openTelemetry));
    String topic = topic();
    List<String> handlerTraces = new CopyOnWriteArrayList<>();
    bus.subscribe(topic, GROUP,
        d -> handlerTraces.add(Span.current().getSpanContext().getTraceId()));

    Span request = tracing.openTelemetry.getTracer("test").spanBuilder("POST /orders")
        .startSpan();
    try (Scope ignored = request.makeCurrent();
        Connection c = DriverManager.getConnection(database.jdbcUrl(), database.user(),
            database.password())) {
      c.setAutoCommit(false);
      publish.publish(bus, c, topic,
          List.of(Event.builder().source("/shop").type("order.placed").text("o-1").build()));
      c.commit();
    } finally {
      request.end();
    }

    await().atMost(patience()).until(() -> handlerTraces.size() == 1);
    assertThat(handlerTraces).containsExactly(request.getSpanContext().getTraceId());
    List<SpanData> producers = tracing.spans().stream()
        .filter(s -> s.getKind() == SpanKind.PRODUCER).toList();
    assertThat(producers).singleElement().satisfies(s -> assertThat(s.getParentSpanId())
        .isEqualTo(request.getSpanContext().getSpanId()));
  }
}

