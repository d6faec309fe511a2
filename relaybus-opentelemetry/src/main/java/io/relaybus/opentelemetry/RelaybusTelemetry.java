package io.relaybus.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.relaybus.spi.Instrumentation;
import java.util.Objects;

/**
 * Traces of a bus with the OpenTelemetry API: register {@link #create(OpenTelemetry)} with
 * {@link io.relaybus.EventBus.Builder#instrumentation(Instrumentation)}.
 *
 * <pre>{@code
 * EventBus bus = EventBus.builder()
 *     .properties(config)
 *     .instrumentation(RelaybusTelemetry.create(openTelemetry)) // or GlobalOpenTelemetry.get()
 *     .build();
 * }</pre>
 *
 * <p>What it records, after the OpenTelemetry messaging conventions:
 *
 * <ul>
 *   <li>Each publish ({@code publish} or {@code publishAll}) is a PRODUCER span {@code send
 *       <topic>}, a child of the current context, whose context is written into every event as
 *       the W3C {@code traceparent} and {@code tracestate} headers; the transport stores them
 *       with the event. An event that already carries a {@code traceparent} keeps it (a creation
 *       context of the caller's own, or an event passed on), and the span links to it.
 *   <li>Each delivery attempt is a CONSUMER span {@code process <topic>}, by default a child of
 *       the event's creation context (the producer span) and linked to it; it is current while
 *       the handler runs, so what the handler calls and publishes continues the trace. A failed
 *       attempt has status ERROR, {@code error.type} and the exception as a span event.
 *   <li>An event given up on is an INTERNAL span {@code dead_letter <topic>}, a child of the
 *       last attempt, linked to the creation context. A replayed dead letter is delivered with
 *       its original headers, so its attempts join the original trace again.
 * </ul>
 *
 * <p>The built instrumentation is thread-safe and keeps no state per event.
 */
public final class RelaybusTelemetry {

  /** The instrumentation scope name of the spans. */
  public static final String INSTRUMENTATION_NAME = "io.relaybus.opentelemetry";

  /** The attempt number of a {@code process} span, 1 for the first delivery. */
  public static final AttributeKey<Long> ATTEMPT =
      AttributeKey.longKey("messaging.relaybus.attempt");

  /**
   * What follows a {@code process} span's attempt: {@code done}, {@code retry}, {@code give_up}
   * or {@code release}.
   */
  public static final AttributeKey<String> OUTCOME =
      AttributeKey.stringKey("messaging.relaybus.outcome");

  /** Why a {@code dead_letter} span's event was given up on, a dead-letter reason's name. */
  public static final AttributeKey<String> DEAD_LETTER_REASON =
      AttributeKey.stringKey("messaging.relaybus.dead_letter.reason");

  /** Whether a {@code dead_letter} span's event was stored ({@code false}: dropped). */
  public static final AttributeKey<Boolean> DEAD_LETTER_STORED =
      AttributeKey.booleanKey("messaging.relaybus.dead_letter.stored");

  private RelaybusTelemetry() {}

  /**
   * Traces with the default options: W3C trace context in the events, attempts as children of
   * the producer span.
   *
   * @param openTelemetry where the spans go: an SDK, {@code GlobalOpenTelemetry.get()}, or one a
   *     framework configured
   * @return the instrumentation to register with the bus
   */
  public static Instrumentation create(OpenTelemetry openTelemetry) {
    return builder(openTelemetry).build();
  }

  /**
   * Starts building traces with options.
   *
   * @param openTelemetry where the spans go
   * @return a builder
   */
  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  /** Options of the traces. Not thread-safe; the built instrumentation is. */
  public static final class Builder {
    private final OpenTelemetry openTelemetry;
    private TextMapPropagator propagator = W3CTraceContextPropagator.getInstance();
    private boolean attemptsInProducerTrace = true;

    private Builder(OpenTelemetry openTelemetry) {
      this.openTelemetry = openTelemetry;
    }

    /**
     * Sets what writes the context into events and reads it back. The default writes W3C
     * {@code traceparent} and {@code tracestate}, whatever propagators the {@code
     * OpenTelemetry} instance has (a plain SDK has none); {@code
     * openTelemetry.getPropagators().getTextMapPropagator()} adds, for example, {@code
     * baggage}. Fields whose names are not valid event header names (lower-case letters and
     * digits) are not written.
     *
     * @param propagator the propagator
     * @return this builder
     */
    public Builder propagator(TextMapPropagator propagator) {
      this.propagator = Objects.requireNonNull(propagator, "propagator");
      return this;
    }

    /**
     * Chooses the parent of the {@code process} spans. {@code true} (the default): the event's
     * creation context, so publish and every attempt form one trace. {@code false}: no parent;
     * each attempt starts a trace of its own, linked to the creation context, for events that
     * are handled long after they were published (a trace per business flow rather than one
     * that spans days of retries and replays).
     *
     * @param inProducerTrace whether attempts continue the producer's trace
     * @return this builder
     */
    public Builder attemptsInProducerTrace(boolean inProducerTrace) {
      this.attemptsInProducerTrace = inProducerTrace;
      return this;
    }

    /**
     * Builds the instrumentation.
     *
     * @return the instrumentation to register with the bus
     */
    public Instrumentation build() {
      return new TracingInstrumentation(openTelemetry, propagator, attemptsInProducerTrace);
    }
  }
}
