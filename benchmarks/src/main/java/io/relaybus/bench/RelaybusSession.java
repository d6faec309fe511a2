package io.relaybus.bench;

import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventHandler;
import io.relaybus.SubscribeOptions;
import io.relaybus.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Relaybus side of every transport: the public API only ({@link EventBus#publish},
 * {@link EventBus#publishAll}, {@link EventBus#subscribe}), exactly as an application uses it.
 * Each event is built in the timed loop, because an application pays for that too.
 */
final class RelaybusSession implements MessagingSession {
  /** The header carrying the stamp; CloudEvents extension names are lower-case alphanumeric. */
  static final String STAMP_HEADER = "sentnanos";

  /**
   * {@code --set relaybus.bench.extra-header=N}: every event of the Relaybus side also carries a
   * header {@code benchpad} of N characters. With N = 55, the length of a W3C
   * {@code traceparent}, it measures what carrying a trace context costs the transport apart
   * from the tracing itself. Default 0: no such header.
   */
  static final String EXTRA_HEADER_KEY = "relaybus.bench.extra-header";
  static final String GROUP = "bench";
  static final String SOURCE = "/relaybus/bench";
  static final String TYPE = "bench.order.placed";
  static final String CONTENT_TYPE = "application/json";

  private final EventBus bus;
  /** The bus the consumers subscribe on: {@link #bus}, or a second one (another "process"). */
  private final EventBus consumerBus;
  private final String topic;
  /** The documents events carry in turn (one for most sessions). */
  private final byte[][] payloads;
  /** Which of {@link #payloads} the next event carries; the harness publishes from one thread. */
  private int next;
  /** The {@link #EXTRA_HEADER_KEY} header's value, {@code null} without one. */
  private final String extraHeader;
  private final PendingPublishes pending;
  private final List<Subscription> subscriptions = new ArrayList<>();

  RelaybusSession(EventBus bus, SessionSpec spec) {
    this(bus, bus, spec, new byte[][] {spec.payload()});
  }

  /**
   * A session whose consumers subscribe on {@code consumerBus}, so that deliveries travel
   * between two buses as between two processes (PostgreSQL: through NOTIFY), and whose events
   * carry {@code payloads} in turn.
   */
  RelaybusSession(EventBus bus, EventBus consumerBus, SessionSpec spec, byte[][] payloads) {
    if (payloads.length == 0) {
      throw new IllegalArgumentException("no payloads");
    }
    this.bus = bus;
    this.consumerBus = consumerBus;
    this.topic = spec.topic();
    this.payloads = payloads.clone();
    this.extraHeader = extraHeader(spec.settings());
    this.pending = new PendingPublishes(spec.publishWindow(), spec.timeout());
  }

  @Override
  public void startConsumers(ConsumerSpec spec, StampListener listener) {
    SubscribeOptions options = SubscribeOptions.builder()
        .group(GROUP)
        .concurrency(spec.concurrency())
        .maxInFlight(spec.maxInFlight())
        .build();
    for (int i = 0; i < spec.members(); i++) {
      // One handler instance per member: the bus refuses the same instance twice in a group.
      subscriptions.add(consumerBus.subscribe(topic, options, new StampHandler(listener)));
    }
  }

  @Override
  public void publish(long stampNanos) {
    pending.add(bus.publish(topic, event(stampNanos)));
  }

  @Override
  public void publishBatch(long stampNanos, int count) {
    List<Event> batch = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      batch.add(event(stampNanos));
    }
    pending.add(bus.publishAll(topic, batch));
  }

  private Event event(long stampNanos) {
    byte[] payload = payloads[next];
    next = next + 1 == payloads.length ? 0 : next + 1;
    Event event = event(payload, stampNanos);
    return extraHeader == null ? event : event.withHeaders(Map.of("benchpad", extraHeader));
  }

  static String extraHeader(Map<String, String> settings) {
    String value = settings.get(EXTRA_HEADER_KEY);
    if (value == null) {
      return null;
    }
    try {
      int length = Integer.parseInt(value.trim());
      if (length >= 0 && length <= 4096) {
        return length == 0 ? null : "x".repeat(length);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(EXTRA_HEADER_KEY + " must be a length from 0 to 4096, got '"
        + value + "'");
  }

  /** The benchmark event: what every Relaybus publish of the harness sends. */
  static Event event(byte[] payload, long stampNanos) {
    return Event.builder()
        .source(SOURCE)
        .type(TYPE)
        .header(STAMP_HEADER, Long.toString(stampNanos))
        .data(payload)
        .dataContentType(CONTENT_TYPE)
        .build();
  }

  @Override
  public void awaitPublished(Duration timeout) {
    pending.joinAll(timeout);
  }

  @Override
  public void close() {
    try {
      for (Subscription s : subscriptions) {
        s.close();
      }
    } finally {
      try {
        bus.close();
      } finally {
        if (consumerBus != bus) {
          consumerBus.close();
        }
      }
    }
  }

  /** Hands the stamp of each delivery to the listener. */
  private static final class StampHandler implements EventHandler {
    private final StampListener listener;

    StampHandler(StampListener listener) {
      this.listener = listener;
    }

    @Override
    public void handle(Delivery delivery) {
      listener.received(Long.parseLong(delivery.event().headers().get(STAMP_HEADER)));
    }
  }
}
