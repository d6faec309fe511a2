package io.relaybus.opentelemetry;

import static io.relaybus.opentelemetry.TraceJourneyContract.attr;
import static io.relaybus.opentelemetry.TraceJourneyContract.ids;
import static io.relaybus.opentelemetry.TraceJourneyContract.links;
import static io.relaybus.opentelemetry.TraceJourneyContract.named;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventTooLargeException;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.spi.Instrumentation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The options and edge cases of the traces, on the in-memory transport. */
class RelaybusTelemetryTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String TOPIC = "orders";
  private static final String CALLER_TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private final TraceJourneyContract.Tracing tracing = new TraceJourneyContract.Tracing();
  private EventBus bus;

  @AfterEach
  void close() {
    if (bus != null) {
      bus.close();
    }
    tracing.close();
    GlobalOpenTelemetry.resetForTest();
  }

  private EventBus bus(Instrumentation instrumentation) {
    bus = EventBus.builder().transport("memory")
        .property("relaybus.memory.max-event-size", "1024")
        .instrumentation(instrumentation).build();
    return bus;
  }

  private static Event event(String type) {
    return Event.builder().source("/otel").type(type).build();
  }

  @Test
  void worksWithTheGlobalOpenTelemetry() {
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(tracing.openTelemetry);
    bus(RelaybusTelemetry.create(GlobalOpenTelemetry.get()));
    bus.subscribe(TOPIC, SubscribeOptions.group("g"), d -> { });
    bus.publish(TOPIC, event("x")).join();
    await().atMost(WAIT).until(() -> tracing.spans().size() == 2);
    assertThat(tracing.spans()).extracting(SpanData::getName)
        .containsExactlyInAnyOrder("send orders", "process orders");
  }

  @Test
  void attemptsCanStartTracesOfTheirOwnLinkedToTheProducer() {
    bus(RelaybusTelemetry.builder(tracing.openTelemetry).attemptsInProducerTrace(false)
        .build());
    bus.subscribe(TOPIC, SubscribeOptions.group("g"), d -> { });
    bus.publish(TOPIC, event("x")).join();
    await().atMost(WAIT).until(() -> named(tracing.spans(), "process orders").size() == 1);
    SpanData send = named(tracing.spans(), "send orders").get(0);
    SpanData process = named(tracing.spans(), "process orders").get(0);
    assertThat(process.getParentSpanContext().isValid()).isFalse();
    assertThat(process.getTraceId()).isNotEqualTo(send.getTraceId());
    assertThat(links(process)).containsExactly(ids(send.getSpanContext()));
  }

  @Test
  void aBatchIsOneProducerSpanWhoseContextEveryEventCarries() {
    bus(RelaybusTelemetry.create(tracing.openTelemetry));
    List<Event> received = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.group("g"), d -> received.add(d.event()));
    bus.publishAll(TOPIC, List.of(event("a"), event("b"))).join();
    await().atMost(WAIT).until(() -> received.size() == 2);
    SpanData send = named(tracing.spans(), "send orders").get(0);
    assertThat(send.getAttributes().get(TracingInstrumentation.BATCH_COUNT)).isEqualTo(2L);
    assertThat(attr(send, "messaging.message.id")).isNull();
    assertThat(received).allSatisfy(e -> assertThat(e.headers().get("traceparent"))
        .startsWith("00-" + send.getTraceId() + "-" + send.getSpanId() + "-"));
  }

  @Test
  void anEventWithItsOwnCreationContextKeepsItAndTheProducerSpanLinksToIt() {
    bus(RelaybusTelemetry.create(tracing.openTelemetry));
    List<Event> received = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.group("g"), d -> received.add(d.event()));
    bus.publish(TOPIC, event("x").toBuilder().header("traceparent", CALLER_TRACEPARENT).build())
        .join();
    await().atMost(WAIT).until(() -> named(tracing.spans(), "process orders").size() == 1);
    assertThat(received.get(0).headers()).containsEntry("traceparent", CALLER_TRACEPARENT);
    SpanData send = named(tracing.spans(), "send orders").get(0);
    assertThat(links(send)).containsExactly(
        "4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba902b7");
    SpanData process = named(tracing.spans(), "process orders").get(0);
    assertThat(process.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
  }

  @Test
  void aPublishInsideTheCallersSpanIsItsChild() {
    bus(RelaybusTelemetry.create(tracing.openTelemetry));
    Span caller = tracing.openTelemetry.getTracer("test").spanBuilder("request").startSpan();
    try (Scope ignored = caller.makeCurrent()) {
      bus.publish(TOPIC, event("x")).join();
    } finally {
      caller.end();
    }
    SpanData send = named(tracing.spans(), "send orders").get(0);
    assertThat(send.getParentSpanId()).isEqualTo(caller.getSpanContext().getSpanId());
  }

  @Test
  void aRefusedPublishEndsItsSpanWithAnError() {
    bus(RelaybusTelemetry.create(tracing.openTelemetry));
    // Fits the 1,024-byte limit alone, not with the trace context added.
    Event base = event("x").toBuilder().header("pad", "").build();
    Event nearLimit = base.toBuilder().header("pad", "p".repeat((int) (1014 - base.size())))
        .build();
    assertThat(nearLimit.size()).isEqualTo(1014);
    assertThatThrownBy(() -> bus.publish(TOPIC, nearLimit))
        .isInstanceOf(EventTooLargeException.class);
    SpanData send = named(tracing.spans(), "send orders").get(0);
    assertThat(send.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(attr(send, "error.type")).isEqualTo(EventTooLargeException.class.getName());
  }

  @Test
  void aPropagatorOfChoiceAddsItsFieldsAndNamesThatAreNoHeaderNamesAreLeftOut() {
    TextMapPropagator odd = new TextMapPropagator() {
      @Override
      public List<String> fields() {
        return List.of("X-Vendor-Id");
      }

      @Override
      public <C> void inject(Context context, C carrier, TextMapSetter<C> setter) {
        setter.set(carrier, "X-Vendor-Id", "1");
      }

      @Override
      public <C> Context extract(Context context, C carrier, TextMapGetter<C> getter) {
        return context;
      }
    };
    bus(RelaybusTelemetry.builder(tracing.openTelemetry)
        .propagator(TextMapPropagator.composite(W3CTraceContextPropagator.getInstance(),
            W3CBaggagePropagator.getInstance(), odd))
        .build());
    List<Event> received = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.group("g"), d -> received.add(d.event()));
    try (Scope ignored = Baggage.builder().put("tenant", "acme").build().makeCurrent()) {
      bus.publish(TOPIC, event("x")).join();
    }
    await().atMost(WAIT).until(() -> received.size() == 1);
    assertThat(received.get(0).headers()).containsOnlyKeys("traceparent", "baggage");
    assertThat(received.get(0).headers().get("baggage")).isEqualTo("tenant=acme");
  }

  @Test
  void twoTracingInstrumentationsOnOneBusEachPutTheDeadLetterUnderTheirOwnAttempt() {
    try (TraceJourneyContract.Tracing other = new TraceJourneyContract.Tracing()) {
      bus = EventBus.builder().transport("memory")
          .instrumentation(RelaybusTelemetry.create(tracing.openTelemetry))
          .instrumentation(RelaybusTelemetry.create(other.openTelemetry)).build();
      bus.subscribe(TOPIC, SubscribeOptions.builder().group("g")
          .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
            throw new IllegalStateException("fails");
          });
      bus.publish(TOPIC, event("x")).join();
      for (TraceJourneyContract.Tracing t : List.of(tracing, other)) {
        await().atMost(WAIT).until(() -> named(t.spans(), "dead_letter orders").size() == 1);
        assertThat(named(t.spans(), "dead_letter orders").get(0).getParentSpanId())
            .isEqualTo(named(t.spans(), "process orders").get(0).getSpanId());
      }
    }
  }

  @Test
  void anUndecodableMessageGivenUpOnIsADeadLetterSpanWithoutAnEvent() {
    Instrumentation traces = RelaybusTelemetry.create(tracing.openTelemetry);
    traces.gaveUp("kafka", TOPIC, "g", null, DeadLetterReason.UNDECODABLE, 1, true);
    SpanData deadLetter = named(tracing.spans(), "dead_letter orders").get(0);
    assertThat(deadLetter.getAttributes().get(RelaybusTelemetry.DEAD_LETTER_REASON))
        .isEqualTo("UNDECODABLE");
    assertThat(attr(deadLetter, "messaging.message.id")).isNull();
    assertThat(attr(deadLetter, "messaging.system")).isEqualTo("kafka");
  }

  @Test
  void theHeaderMapOfAnEventIsNotTouchedWhenThePropagatorWritesNothing() {
    bus(RelaybusTelemetry.builder(tracing.openTelemetry).propagator(TextMapPropagator.noop())
        .build());
    List<Map<String, String>> received = new CopyOnWriteArrayList<>();
    bus.subscribe(TOPIC, SubscribeOptions.group("g"), d -> received.add(d.event().headers()));
    bus.publish(TOPIC, event("x")).join();
    await().atMost(WAIT).until(() -> received.size() == 1);
    assertThat(received.get(0)).isEmpty();
    assertThat(named(tracing.spans(), "send orders")).hasSize(1);
  }
}
