package io.relaybus.micrometer;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.relaybus.DeadLetterReason;
import io.relaybus.Delivery;
import io.relaybus.Event;
import io.relaybus.spi.Instrumentation;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Micrometer meters of what a bus does: events published, delivery attempts with their
 * duration and outcome, retries, dead letters and dropped events. Register it when building the
 * bus; the meters appear in the registry as topics and groups are used:
 *
 * <pre>{@code
 * MeterRegistry registry = ...; // Spring Boot: the MeterRegistry bean
 * EventBus bus = EventBus.builder()
 *     .transport("postgres").properties(config)
 *     .instrumentation(new RelaybusMetrics(registry))
 *     .build();
 * // lag and webhook endpoint gauges, read through the operations API
 * RelaybusOperationsMetrics gauges = new RelaybusOperationsMetrics(bus);
 * gauges.bindTo(registry);
 * }</pre>
 *
 * <p>Meter names and tags follow the OpenTelemetry messaging semantic conventions where one
 * exists ({@value #SENT_MESSAGES}, {@value #CONSUMED_MESSAGES}, {@value #PROCESS_DURATION},
 * {@value #OPERATION_DURATION}); Relaybus's own are under {@code relaybus.}. Every meter carries
 * {@value #SYSTEM} (the transport's name) and {@value #DESTINATION} (the topic); consumer meters
 * also {@value #CONSUMER_GROUP}. Tags never carry an event id or other per-event value: the
 * number of time series grows with topics, groups and exception classes only. {@value
 * #ERROR_TYPE} is the failure's class name, or {@value #NO_ERROR} when there was none (every time
 * series of a meter has the same tag keys, as Prometheus requires).
 *
 * <p>One instance may observe several buses. Thread-safe; each hook costs a map lookup and the
 * meter updates, with no allocation beyond the observation object the SPI requires.
 */
public final class RelaybusMetrics implements Instrumentation {

  /** Counter: events handed to the transport, by outcome ({@value #ERROR_TYPE}). */
  public static final String SENT_MESSAGES = "messaging.client.sent.messages";
  /** Timer: how long a publish took, from the call until the transport accepted or refused. */
  public static final String OPERATION_DURATION = "messaging.client.operation.duration";
  /** Counter: deliveries to a handler, one per attempt (a retry is a delivery again). */
  public static final String CONSUMED_MESSAGES = "messaging.client.consumed.messages";
  /** Timer: how long each delivery attempt's handler ran, by outcome ({@value #ERROR_TYPE}). */
  public static final String PROCESS_DURATION = "messaging.process.duration";
  /** Gauge: delivery attempts whose handler is running now. */
  public static final String ACTIVE = "relaybus.process.active";
  /** Counter: failed attempts after which another attempt is scheduled. */
  public static final String RETRIES = "relaybus.retries";
  /** Counter: events stored as dead letters, by {@value #REASON}. */
  public static final String DEAD_LETTERS = "relaybus.dead.letters";
  /** Counter: events given up on and dropped (the group keeps no dead letters), by reason. */
  public static final String DROPPED = "relaybus.dropped";

  /** Tag: the transport's name ({@code memory}, {@code postgres}, {@code kafka}, ...). */
  public static final String SYSTEM = "messaging.system";
  /** Tag: the topic. */
  public static final String DESTINATION = "messaging.destination.name";
  /** Tag: the consumer group. */
  public static final String CONSUMER_GROUP = "messaging.consumer.group.name";
  /** Tag: {@code publish} or {@code process}. */
  public static final String OPERATION = "messaging.operation.name";
  /** Tag: the class name of the failure, or {@value #NO_ERROR}. */
  public static final String ERROR_TYPE = "error.type";
  /** Tag: why an event was given up on, a {@link DeadLetterReason} name. */
  public static final String REASON = "relaybus.dead_letter.reason";
  /** The {@value #ERROR_TYPE} of a success. */
  public static final String NO_ERROR = "none";

  private static final Scope NO_SCOPE = () -> { };

  private final MeterRegistry registry;
  private final Clock clock;
  private final Tags commonTags;
  /** system, then topic, then its publish meters. */
  private final Map<String, Map<String, PublishMeters>> publishers = new ConcurrentHashMap<>();
  /** system, then topic, then group, then its consumer meters. */
  private final Map<String, Map<String, Map<String, ConsumerMeters>>> consumers =
      new ConcurrentHashMap<>();

  /**
   * Records into a registry.
   *
   * @param registry where the meters are registered
   */
  public RelaybusMetrics(MeterRegistry registry) {
    this(registry, Tags.empty());
  }

  /**
   * Records into a registry, with tags of its own on every meter (for example to tell two buses
   * of one application apart).
   *
   * @param registry where the meters are registered
   * @param tags added to every meter; their keys must not be one of this class's tag keys
   * @throws IllegalArgumentException when a tag key is one this class sets itself
   */
  public RelaybusMetrics(MeterRegistry registry, Iterable<Tag> tags) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = registry.config().clock();
    this.commonTags = Tags.of(Objects.requireNonNull(tags, "tags"));
    for (Tag t : commonTags) {
      if (List.of(SYSTEM, DESTINATION, CONSUMER_GROUP, OPERATION, ERROR_TYPE, REASON)
          .contains(t.getKey())) {
        throw new IllegalArgumentException("Tag '" + t.getKey() + "' is set by RelaybusMetrics "
            + "itself; choose another key");
      }
    }
  }

  @Override
  public PublishObservation publishing(String system, String topic, List<Event> events) {
    return new Publishing(publishMeters(system, topic), events, clock.monotonicTime());
  }

  @Override
  public AttemptObservation attempting(String system, String topic, String group,
      Delivery delivery) {
    ConsumerMeters meters = consumerMeters(system, topic, group);
    meters.consumed.increment();
    meters.active.incrementAndGet();
    return new Attempting(meters, clock.monotonicTime());
  }

  @Override
  public void gaveUp(String system, String topic, String group, Event event,
      DeadLetterReason reason, int attempts, boolean stored) {
    ConsumerMeters meters = consumerMeters(system, topic, group);
    if (stored) {
      meters.deadLetters.get(reason).increment();
    } else {
      meters.dropped.computeIfAbsent(reason, r -> Counter.builder(DROPPED)
          .description("Events given up on and dropped: the group keeps no dead letters")
          .tags(meters.tags).tag(REASON, r.name()).register(registry))
          .increment();
    }
  }

  private PublishMeters publishMeters(String system, String topic) {
    Map<String, PublishMeters> bySystem = lookup(publishers, system,
        s -> new ConcurrentHashMap<>());
    return lookup(bySystem, topic, t -> new PublishMeters(
        commonTags.and(SYSTEM, system, DESTINATION, t, OPERATION, "publish")));
  }

  private ConsumerMeters consumerMeters(String system, String topic, String group) {
    Map<String, Map<String, ConsumerMeters>> bySystem = lookup(consumers, system,
        s -> new ConcurrentHashMap<>());
    Map<String, ConsumerMeters> byTopic = lookup(bySystem, topic,
        t -> new ConcurrentHashMap<>());
    return lookup(byTopic, group, g -> new ConsumerMeters(commonTags.and(SYSTEM, system,
        DESTINATION, topic, CONSUMER_GROUP, g)));
  }

  /** A get first: {@code computeIfAbsent} may lock even when the key is present. */
  private static <K, V> V lookup(Map<K, V> map, K key, Function<K, V> create) {
    V v = map.get(key);
    return v != null ? v : map.computeIfAbsent(key, create);
  }

  private static String errorType(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getName();
  }

  @Override
  public String toString() {
    return "RelaybusMetrics{" + registry.getClass().getSimpleName() + "}";
  }

  /** The meters of publishing to one topic. */
  private final class PublishMeters {
    private final Tags tags;
    private final Counter sent;
    private final Timer duration;
    /** By error type: a failure's meters are registered at its first occurrence. */
    private final Map<String, Counter> sentFailed = new ConcurrentHashMap<>();
    private final Map<String, Timer> durationFailed = new ConcurrentHashMap<>();

    PublishMeters(Tags tags) {
      this.tags = tags;
      this.sent = sentCounter(NO_ERROR);
      this.duration = durationTimer(NO_ERROR);
    }

    Counter sentCounter(String errorType) {
      return Counter.builder(SENT_MESSAGES)
          .description("Events handed to the transport to publish")
          .tags(tags).tag(ERROR_TYPE, errorType).register(registry);
    }

    Timer durationTimer(String errorType) {
      return Timer.builder(OPERATION_DURATION)
          .description("How long a publish took until the transport accepted or refused it")
          .tags(tags).tag(ERROR_TYPE, errorType).register(registry);
    }

    void record(int events, long nanos, Throwable failure) {
      if (failure == null) {
        sent.increment(events);
        duration.record(nanos, TimeUnit.NANOSECONDS);
      } else {
        String type = errorType(failure);
        lookup(sentFailed, type, this::sentCounter).increment(events);
        lookup(durationFailed, type, this::durationTimer).record(nanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** The meters of one group on one topic. */
  private final class ConsumerMeters {
    private final Tags tags;
    private final Counter consumed;
    private final Timer processed;
    private final Map<String, Timer> failed = new ConcurrentHashMap<>();
    private final Counter retries;
    private final AtomicInteger active = new AtomicInteger();
    private final Map<DeadLetterReason, Counter> deadLetters =
        new EnumMap<>(DeadLetterReason.class);
    private final Map<DeadLetterReason, Counter> dropped = new ConcurrentHashMap<>();

    ConsumerMeters(Tags tags) {
      this.tags = tags;
      this.consumed = Counter.builder(CONSUMED_MESSAGES)
          .description("Events delivered to a handler, once per attempt")
          .tags(tags).tag(OPERATION, "process").register(registry);
      this.processed = processTimer(NO_ERROR);
      this.retries = Counter.builder(RETRIES)
          .description("Failed delivery attempts after which another attempt is scheduled")
          .tags(tags).register(registry);
      Gauge.builder(ACTIVE, active, AtomicInteger::get)
          .description("Delivery attempts whose handler is running now")
          .tags(tags).strongReference(true).register(registry);
      // Registered at zero, so that a rate over them sees the first dead letter.
      for (DeadLetterReason reason : DeadLetterReason.values()) {
        deadLetters.put(reason, Counter.builder(DEAD_LETTERS)
            .description("Events stored as dead letters")
            .tags(tags).tag(REASON, reason.name()).register(registry));
      }
    }

    Timer processTimer(String errorType) {
      return Timer.builder(PROCESS_DURATION)
          .description("How long a delivery attempt's handler ran")
          .tags(tags).tag(OPERATION, "process").tag(ERROR_TYPE, errorType)
          .register(registry);
    }
  }

  private final class Publishing implements PublishObservation {
    private final PublishMeters meters;
    private final List<Event> events;
    private final long start;

    Publishing(PublishMeters meters, List<Event> events, long start) {
      this.meters = meters;
      this.events = events;
      this.start = start;
    }

    @Override
    public List<Event> events() {
      return events;
    }

    @Override
    public void completed(Throwable failure) {
      meters.record(events.size(), clock.monotonicTime() - start, failure);
    }
  }

  private final class Attempting implements AttemptObservation {
    private final ConsumerMeters meters;
    private final long start;

    Attempting(ConsumerMeters meters, long start) {
      this.meters = meters;
      this.start = start;
    }

    @Override
    public Scope enter() {
      return NO_SCOPE;
    }

    @Override
    public void ended(Throwable failure, Next next) {
      long nanos = clock.monotonicTime() - start;
      meters.active.decrementAndGet();
      Timer timer = failure == null ? meters.processed
          : lookup(meters.failed, errorType(failure), meters::processTimer);
      timer.record(nanos, TimeUnit.NANOSECONDS);
      if (next == Next.RETRY) {
        meters.retries.increment();
      }
    }
  }
}
