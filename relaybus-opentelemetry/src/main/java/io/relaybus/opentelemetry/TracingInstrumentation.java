package io.relaybus.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerBuilder;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.spi.Instrumentation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The spans of {@link RelaybusTelemetry}: see there for what is recorded. */
final class TracingInstrumentation implements Instrumentation {

  static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<Long> BATCH_COUNT =
      AttributeKey.longKey("messaging.batch.message_count");
  static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
  static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  private static final TextMapGetter<Map<String, String>> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  /** Collects the propagator's fields that Relaybus can carry as headers. */
  private static final TextMapSetter<Map<String, String>> COLLECT = (carrier, key, value) -> {
    if (carrier != null && key != null && value != null && Event.isAllowedHeaderName(key)) {
      carrier.put(key, value);
    }
  };

  /** The {@code relaybus.outcome} values by {@link Next#ordinal()}, made once. */
  private static final String[] OUTCOMES = Arrays.stream(Next.values())
      .map(n -> n.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);

  private record GaveUp(String eventId, String topic, String group, SpanContext span) {}

  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final boolean attemptsInProducerTrace;
  /**
   * The span of the last attempt on this thread that gave up, for the {@code dead_letter} span
   * that the bus reports next on the same thread, once the transport has stored the event. Per
   * instance: two instrumentations on one bus each keep their own.
   */
  private final ThreadLocal<GaveUp> lastGiveUp = new ThreadLocal<>();

  TracingInstrumentation(OpenTelemetry openTelemetry, TextMapPropagator propagator,
      boolean attemptsInProducerTrace) {
    TracerBuilder builder = openTelemetry.tracerBuilder(RelaybusTelemetry.INSTRUMENTATION_NAME);
    String version = RelaybusTelemetry.class.getPackage().getImplementationVersion();
    if (version != null) {
      builder.setInstrumentationVersion(version);
    }
    this.tracer = builder.build();
    this.propagator = propagator;
    this.attemptsInProducerTrace = attemptsInProducerTrace;
  }

  // --- publish ---

  @Override
  public PublishObservation publishing(String system, String topic, List<Event> events) {
    SpanBuilder builder = tracer.spanBuilder("send " + topic)
        .setSpanKind(SpanKind.PRODUCER)
        .setParent(Context.current())
        .setAttribute(SYSTEM, system)
        .setAttribute(DESTINATION, topic)
        .setAttribute(OPERATION_TYPE, "send")
        .setAttribute(OPERATION_NAME, "send");
    if (events.size() == 1) {
      Event e = events.get(0);
      builder.setAttribute(MESSAGE_ID, e.id());
      builder.setAttribute(BODY_SIZE, (long) e.dataLength());
    } else {
      builder.setAttribute(BATCH_COUNT, (long) events.size());
    }
    boolean[] ownContext = null; // events whose creation context the caller put in, which stays
    for (int i = 0; i < events.size(); i++) {
      SpanContext own = creationContext(events.get(i));
      if (own.isValid()) {
        builder.addLink(own);
        if (ownContext == null) {
          ownContext = new boolean[events.size()];
        }
        ownContext[i] = true;
      }
    }
    Span span = builder.startSpan();
    Map<String, String> fields = new LinkedHashMap<>(4);
    propagator.inject(Context.current().with(span), fields, COLLECT);
    List<Event> carrying = events;
    if (!fields.isEmpty()) {
      carrying = new ArrayList<>(events.size());
      for (int i = 0; i < events.size(); i++) {
        Event e = events.get(i);
        carrying.add(ownContext != null && ownContext[i] ? e : e.withHeaders(fields));
      }
    }
    return new Publish(span, carrying);
  }

  private static final class Publish implements PublishObservation {
    private final Span span;
    private final List<Event> events;

    Publish(Span span, List<Event> events) {
      this.span = span;
      this.events = events;
    }

    @Override
    public List<Event> events() {
      return events;
    }

    @Override
    public void completed(Throwable failure) {
      if (failure != null) {
        failed(span, failure);
      }
      span.end();
    }
  }

  // --- attempts ---

  @Override
  public AttemptObservation attempting(String system, String topic, String group,
      Delivery delivery) {
    Event event = delivery.event();
    Context extracted = extract(event);
    SpanContext creation = Span.fromContext(extracted).getSpanContext();
    SpanBuilder builder = tracer.spanBuilder("process " + topic)
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute(SYSTEM, system)
        .setAttribute(DESTINATION, topic)
        .setAttribute(OPERATION_TYPE, "process")
        .setAttribute(OPERATION_NAME, "process")
        .setAttribute(GROUP, group)
        .setAttribute(MESSAGE_ID, event.id())
        .setAttribute(BODY_SIZE, (long) event.dataLength())
        .setAttribute(RelaybusTelemetry.ATTEMPT, (long) delivery.attempt());
    Context parent = attemptsInProducerTrace ? extracted : Context.root();
    builder.setParent(parent);
    if (creation.isValid()) {
      builder.addLink(creation);
    }
    Span span = builder.startSpan();
    return new Attempt(parent.with(span), span, event.id(), topic, group);
  }

  private final class Attempt implements AttemptObservation {
    private final Context context;
    private final Span span;
    private final String eventId;
    private final String topic;
    private final String group;

    Attempt(Context context, Span span, String eventId, String topic, String group) {
      this.context = context;
      this.span = span;
      this.eventId = eventId;
      this.topic = topic;
      this.group = group;
    }

    @Override
    public Scope enter() {
      io.opentelemetry.context.Scope scope = context.makeCurrent();
      return scope::close;
    }

    @Override
    public void ended(Throwable failure, Next next) {
      span.setAttribute(RelaybusTelemetry.OUTCOME, OUTCOMES[next.ordinal()]);
      if (failure != null) {
        failed(span, failure);
      }
      span.end();
      if (next == Next.GIVE_UP) {
        lastGiveUp.set(new GaveUp(eventId, topic, group, span.getSpanContext()));
      }
    }
  }

  // --- dead letters ---

  @Override
  public void gaveUp(String system, String topic, String group, Event event,
      DeadLetterReason reason, int attempts, boolean stored) {
    GaveUp last = lastGiveUp.get();
    lastGiveUp.remove();
    Context extracted = event == null ? Context.root() : extract(event);
    SpanContext creation = Span.fromContext(extracted).getSpanContext();
    Context parent;
    if (last != null && event != null && last.eventId.equals(event.id())
        && last.topic.equals(topic) && last.group.equals(group)) {
      parent = extracted.with(Span.wrap(last.span));
    } else {
      parent = attemptsInProducerTrace ? extracted : Context.root();
    }
    SpanBuilder builder = tracer.spanBuilder("dead_letter " + topic)
        .setSpanKind(SpanKind.INTERNAL)
        .setParent(parent)
        .setAttribute(SYSTEM, system)
        .setAttribute(DESTINATION, topic)
        .setAttribute(GROUP, group)
        .setAttribute(RelaybusTelemetry.ATTEMPT, (long) attempts)
        .setAttribute(RelaybusTelemetry.DEAD_LETTER_REASON, reason.name())
        .setAttribute(RelaybusTelemetry.DEAD_LETTER_STORED, stored);
    if (event != null) {
      builder.setAttribute(MESSAGE_ID, event.id());
    }
    if (creation.isValid()) {
      builder.addLink(creation);
    }
    builder.startSpan().end();
  }

  @Override
  public String toString() {
    return "RelaybusTelemetry{propagator=" + propagator + ", attemptsInProducerTrace="
        + attemptsInProducerTrace + "}";
  }

  // --- helpers ---

  private Context extract(Event event) {
    Map<String, String> headers = event.headers();
    if (headers.isEmpty()) {
      return Context.root();
    }
    return propagator.extract(Context.root(), headers, HEADERS);
  }

  /** The creation context an event carries, invalid when it carries none. */
  private SpanContext creationContext(Event event) {
    if (event.headers().isEmpty()) {
      return SpanContext.getInvalid();
    }
    return Span.fromContext(extract(event)).getSpanContext();
  }

  private static void failed(Span span, Throwable failure) {
    span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
    span.setAttribute(ERROR_TYPE, failure.getClass().getName());
    span.recordException(failure);
  }
}
