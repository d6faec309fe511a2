package io.relaybus.micrometer;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.relaybus.BusClosedException;
import io.relaybus.Capability;
import io.relaybus.EventBus;
import io.relaybus.ops.EndpointStatus;
import io.relaybus.ops.GroupLag;
import io.relaybus.ops.Operations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges of a bus's stored state, read through {@link EventBus#operations()}: the lag of each
 * consumer group (depth and age of the oldest unfinished event) and, on a transport that
 * declares {@link Capability#WEBHOOK_ENDPOINTS}, each webhook endpoint's state.
 *
 * <pre>{@code
 * try (RelaybusOperationsMetrics gauges = RelaybusOperationsMetrics.builder(bus)
 *     .refreshInterval(Duration.ofSeconds(30))
 *     .build()) {
 *   gauges.bindTo(registry);
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Bounded cost.</b> A scrape never queries the transport: the gauges show values cached
 * by one refresh, which runs on bind and then on a daemon thread once per {@link
 * Builder#refreshInterval(Duration) refresh interval} (30 s by default). A refresh costs {@link
 * Operations#topics()} and one {@link Operations#groups(String)} per topic while discovering,
 * one {@link Operations#lag(String, String)} per group (each one query or broker round trip,
 * never a scan), and one {@link Operations#endpoints()}.
 *
 * <p><b>Which groups.</b> By default every group the transport stores a position for, on every
 * topic it knows ({@link Operations#groups(String)}): a group whose members all stopped is the
 * one whose lag matters most, and it is found although no member runs in this process. At most
 * {@link Builder#maxGroups(int) maxGroups} (100) are measured. {@link Builder#lagOf(String,
 * String)} names the groups instead, and turns discovery off. A group that is no longer listed
 * has its gauges removed.
 *
 * <p><b>Failures.</b> When a refresh cannot read a value (the server is unreachable) the gauge
 * shows {@code NaN} until a refresh succeeds, and the failure is logged once per streak; a
 * stale value would look like a healthy one. Once the bus is closed, refreshing stops and the
 * gauges are removed. Without {@link Capability#LAG} there are no lag gauges.
 *
 * <p>Thread-safe. Close it to stop refreshing and remove its gauges; idempotent.
 */
public final class RelaybusOperationsMetrics implements MeterBinder, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RelaybusOperationsMetrics.class);

  /** Gauge: events not yet finished by a group (acknowledged or dead-lettered). */
  public static final String LAG_DEPTH = "relaybus.lag.depth";
  /** Time gauge: how long ago the oldest event a group has not finished was published. */
  public static final String LAG_AGE = "relaybus.lag.age";
  /** Gauge: 1 when a webhook endpoint is enabled, 0 when disabled. */
  public static final String ENDPOINT_ENABLED = "relaybus.webhook.endpoint.enabled";
  /** Gauge: 1 for the circuit breaker's current {@value #BREAKER_STATE}, 0 for the others. */
  public static final String ENDPOINT_BREAKER = "relaybus.webhook.endpoint.breaker";
  /** Gauge: deliveries waiting for a webhook endpoint. */
  public static final String ENDPOINT_PENDING = "relaybus.webhook.endpoint.pending";
  /** Tag: the webhook endpoint's name. */
  public static final String ENDPOINT = "relaybus.webhook.endpoint";
  /** Tag: a circuit breaker state, {@code closed}, {@code open} or {@code half-open}. */
  public static final String BREAKER_STATE = "state";

  private static final List<String> BREAKER_STATES = List.of("closed", "open", "half-open");

  private final EventBus bus;
  private final Duration refreshInterval;
  private final Map<String, Set<String>> named;
  private final int maxGroups;
  private final Tags commonTags;

  private final Object lock = new Object();
  private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
  /** "topic\0group" to its cell; guarded by lock. */
  private final Map<String, Cell> lags = new LinkedHashMap<>();
  /** Endpoint name to its cell; guarded by lock. */
  private final Map<String, Cell> endpoints = new LinkedHashMap<>();
  private ScheduledExecutorService refresher; // guarded by lock
  private boolean closed; // guarded by lock
  private boolean lagFailing; // guarded by lock
  private boolean endpointsFailing; // guarded by lock
  private boolean warnedMaxGroups; // guarded by lock

  /**
   * Gauges of a bus with the defaults: every group discovered, refreshed every 30 s.
   *
   * @param bus the bus
   */
  public RelaybusOperationsMetrics(EventBus bus) {
    this(builder(bus));
  }

  private RelaybusOperationsMetrics(Builder b) {
    this.bus = b.bus;
    this.refreshInterval = b.refreshInterval;
    this.named = copy(b.named);
    this.maxGroups = b.maxGroups;
    this.commonTags = b.tags.and(RelaybusMetrics.SYSTEM, b.bus.transportName());
  }

  /**
   * Starts configuring gauges of a bus.
   *
   * @param bus the bus
   * @return a builder; not thread-safe
   */
  public static Builder builder(EventBus bus) {
    return new Builder(Objects.requireNonNull(bus, "bus"));
  }

  /**
   * Registers the gauges with a registry, reading the values once now, and starts the refresh
   * thread ({@code relaybus-micrometer-refresh}) if it is not running. May be called with
   * several registries.
   *
   * @param registry the registry
   * @throws IllegalStateException when closed
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("RelaybusOperationsMetrics of " + bus + " is closed");
      }
      registries.add(registry);
      for (Cell c : lags.values()) {
        c.register(registry);
      }
      for (Cell c : endpoints.values()) {
        c.register(registry);
      }
      if (refresher == null) {
        refresh();
        if (closed) {
          return; // the bus was closed: nothing to refresh
        }
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "relaybus-micrometer-refresh");
          t.setDaemon(true);
          return t;
        });
        long millis = refreshInterval.toMillis();
        refresher.scheduleWithFixedDelay(this::refreshQuietly, millis, millis,
            TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * The refresh interval: how stale a gauge may be, and how often the transport is asked.
   *
   * @return the interval
   */
  public Duration refreshInterval() {
    return refreshInterval;
  }

  /**
   * Stops refreshing and removes the gauges from every registry. Idempotent.
   */
  @Override
  public void close() {
    ScheduledExecutorService stop;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      stop = refresher;
      removeAll();
    }
    if (stop != null) {
      stop.shutdownNow();
    }
  }

  private void refreshQuietly() {
    try {
      synchronized (lock) {
        if (!closed) {
          refresh();
        }
      }
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again; keep refreshing.
      LOG.warn("Refreshing the Relaybus gauges of {} failed", bus, e);
    }
  }

  /** Reads every value once; guarded by lock. */
  private void refresh() {
    if (bus.isClosed()) {
      stopForClosedBus();
      return;
    }
    try {
      Operations ops = bus.operations();
      if (bus.capabilities().has(Capability.LAG)) {
        refreshLags(ops);
      }
      if (bus.capabilities().has(Capability.WEBHOOK_ENDPOINTS)) {
        refreshEndpoints(ops);
      }
    } catch (BusClosedException e) {
      stopForClosedBus();
    }
  }

  private void refreshLags(Operations ops) {
    Map<String, Set<String>> groups;
    try {
      groups = named != null ? named : discover(ops);
    } catch (BusClosedException e) {
      throw e;
    } catch (RuntimeException e) {
      lagFailed("discovering the groups", e);
      lags.values().forEach(Cell::unknown);
      return;
    }
    Set<String> seen = new LinkedHashSet<>();
    boolean failed = false;
    for (Map.Entry<String, Set<String>> topic : groups.entrySet()) {
      for (String group : topic.getValue()) {
        String key = topic.getKey() + '\0' + group;
        seen.add(key);
        Cell cell = lags.computeIfAbsent(key, k -> lagCell(topic.getKey(), group));
        try {
          GroupLag lag = ops.lag(topic.getKey(), group);
          cell.set(0, lag.depth());
          cell.set(1, lag.age().toNanos() / 1e9);
        } catch (BusClosedException e) {
          throw e;
        } catch (RuntimeException e) {
          failed = true;
          cell.unknown();
          lagFailed("measuring the lag of topic '" + topic.getKey() + "' group '" + group + "'",
              e);
        }
      }
    }
    removeUnlisted(lags, seen);
    if (!failed && lagFailing) {
      lagFailing = false;
      LOG.info("Relaybus lag gauges of {} read again", bus);
    }
  }

  private Map<String, Set<String>> discover(Operations ops) {
    Map<String, Set<String>> groups = new LinkedHashMap<>();
    int count = 0;
    for (String topic : ops.topics()) {
      for (String group : ops.groups(topic)) {
        if (count == maxGroups) {
          if (!warnedMaxGroups) {
            warnedMaxGroups = true;
            LOG.warn("{} has more than {} consumer groups; lag gauges show the first {} (topic "
                + "and group order). Name the groups to watch with "
                + "RelaybusOperationsMetrics.Builder.lagOf or raise maxGroups", bus, maxGroups,
                maxGroups);
          }
          return groups;
        }
        groups.computeIfAbsent(topic, t -> new LinkedHashSet<>()).add(group);
        count++;
      }
    }
    return groups;
  }

  private void refreshEndpoints(Operations ops) {
    List<EndpointStatus> list;
    try {
      list = ops.endpoints();
    } catch (BusClosedException e) {
      throw e;
    } catch (RuntimeException e) {
      if (!endpointsFailing) {
        endpointsFailing = true;
        LOG.warn("Cannot read the webhook endpoints of {}; their gauges show NaN until it "
            + "succeeds", bus, e);
      }
      endpoints.values().forEach(Cell::unknown);
      return;
    }
    endpointsFailing = false;
    Set<String> seen = new LinkedHashSet<>();
    for (EndpointStatus s : list) {
      seen.add(s.name());
      Cell cell = endpoints.computeIfAbsent(s.name(), this::endpointCell);
      cell.set(0, s.enabled() ? 1 : 0);
      cell.set(1, s.pending());
      for (int i = 0; i < BREAKER_STATES.size(); i++) {
        cell.set(2 + i, BREAKER_STATES.get(i).equals(s.breaker()) ? 1 : 0);
      }
    }
    removeUnlisted(endpoints, seen);
  }

  private void lagFailed(String what, RuntimeException e) {
    if (!lagFailing) {
      lagFailing = true;
      LOG.warn("Failed {} of {}; the lag gauges show NaN until a refresh succeeds", what, bus, e);
    }
  }

  private void removeUnlisted(Map<String, Cell> cells, Set<String> seen) {
    cells.entrySet().removeIf(e -> {
      if (seen.contains(e.getKey())) {
        return false;
      }
      e.getValue().remove();
      return true;
    });
  }

  private void stopForClosedBus() {
    if (!closed) {
      closed = true;
      removeAll();
      if (refresher != null) {
        refresher.shutdown();
      }
    }
  }

  private void removeAll() {
    lags.values().forEach(Cell::remove);
    lags.clear();
    endpoints.values().forEach(Cell::remove);
    endpoints.clear();
  }

  private Cell lagCell(String topic, String group) {
    Tags tags = commonTags.and(RelaybusMetrics.DESTINATION, topic,
        RelaybusMetrics.CONSUMER_GROUP, group);
    Cell cell = new Cell(2);
    cell.define(r -> Gauge.builder(LAG_DEPTH, cell, c -> c.get(0))
        .description("Events a consumer group has not finished, at the last refresh")
        .tags(tags).strongReference(true).register(r));
    cell.define(r -> TimeGauge.builder(LAG_AGE, cell, TimeUnit.SECONDS, c -> c.get(1))
        .description("How long ago the oldest event a consumer group has not finished was "
            + "published, at the last refresh")
        .tags(tags).strongReference(true).register(r));
    registries.forEach(cell::register);
    return cell;
  }

  private Cell endpointCell(String name) {
    Tags tags = commonTags.and(ENDPOINT, name);
    Cell cell = new Cell(2 + BREAKER_STATES.size());
    cell.define(r -> Gauge.builder(ENDPOINT_ENABLED, cell, c -> c.get(0))
        .description("1 when the webhook endpoint is enabled, 0 when disabled")
        .tags(tags).strongReference(true).register(r));
    cell.define(r -> Gauge.builder(ENDPOINT_PENDING, cell, c -> c.get(1))
        .description("Deliveries waiting for the webhook endpoint")
        .tags(tags).strongReference(true).register(r));
    for (int i = 0; i < BREAKER_STATES.size(); i++) {
      int index = 2 + i;
      cell.define(r -> Gauge.builder(ENDPOINT_BREAKER, cell, c -> c.get(index))
          .description("1 for the circuit breaker's current state, 0 for the others")
          .tags(tags).tag(BREAKER_STATE, BREAKER_STATES.get(index - 2))
          .strongReference(true).register(r));
    }
    registries.forEach(cell::register);
    return cell;
  }

  private static Map<String, Set<String>> copy(Map<String, Set<String>> named) {
    if (named.isEmpty()) {
      return null;
    }
    Map<String, Set<String>> copy = new LinkedHashMap<>();
    named.forEach((t, g) -> copy.put(t, Set.copyOf(g)));
    return copy;
  }

  @Override
  public String toString() {
    return "RelaybusOperationsMetrics{" + bus + ", refreshInterval=" + refreshInterval + "}";
  }

  /** The cached values of one group or endpoint, and its gauges in every registry. */
  private static final class Cell {
    /** Doubles as raw bits: written by the refresh, read by scrapes on other threads. */
    private final AtomicLongArray values;
    private final List<Function<MeterRegistry, Meter>> definitions = new ArrayList<>();
    private final List<Meter> meters = new ArrayList<>();
    private final List<MeterRegistry> registeredIn = new ArrayList<>();

    Cell(int size) {
      values = new AtomicLongArray(size);
      unknown();
    }

    double get(int index) {
      return Double.longBitsToDouble(values.get(index));
    }

    void set(int index, double value) {
      values.set(index, Double.doubleToRawLongBits(value));
    }

    void define(Function<MeterRegistry, Meter> definition) {
      definitions.add(definition);
    }

    void register(MeterRegistry registry) {
      for (Function<MeterRegistry, Meter> d : definitions) {
        meters.add(d.apply(registry));
        registeredIn.add(registry);
      }
    }

    void unknown() {
      for (int i = 0; i < values.length(); i++) {
        set(i, Double.NaN);
      }
    }

    void remove() {
      for (int i = 0; i < meters.size(); i++) {
        registeredIn.get(i).remove(meters.get(i));
      }
      meters.clear();
      registeredIn.clear();
    }
  }

  /** Configures {@link RelaybusOperationsMetrics}. Not thread-safe. */
  public static final class Builder {
    private final EventBus bus;
    private Duration refreshInterval = Duration.ofSeconds(30);
    private final Map<String, Set<String>> named = new LinkedHashMap<>();
    private int maxGroups = 100;
    private Tags tags = Tags.empty();

    private Builder(EventBus bus) {
      this.bus = bus;
    }

    /**
     * How often the values are read from the transport, and so how stale a gauge may be: 30 s
     * by default; about the scrape interval is right.
     *
     * @param interval at least 100 ms
     * @return this builder
     * @throws IllegalArgumentException when shorter than 100 ms
     */
    public Builder refreshInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.compareTo(Duration.ofMillis(100)) < 0) {
        throw new IllegalArgumentException("refreshInterval=" + interval
            + " is too short: it must be at least 100 ms");
      }
      this.refreshInterval = interval;
      return this;
    }

    /**
     * Measures the lag of these groups only, instead of every group discovered. May be called
     * for several topics.
     *
     * @param topic the topic
     * @param group a group of the topic
     * @return this builder
     */
    public Builder lagOf(String topic, String group) {
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(group, "group");
      named.computeIfAbsent(topic, t -> new LinkedHashSet<>()).add(group);
      return this;
    }

    /**
     * The most groups discovered whose lag is measured (100 by default); beyond it the rest
     * are left out, with a warning. Not used with {@link #lagOf(String, String)}.
     *
     * @param maxGroups at least 1
     * @return this builder
     * @throws IllegalArgumentException when below 1
     */
    public Builder maxGroups(int maxGroups) {
      if (maxGroups < 1) {
        throw new IllegalArgumentException("maxGroups=" + maxGroups + " must be at least 1");
      }
      this.maxGroups = maxGroups;
      return this;
    }

    /**
     * Tags added to every gauge, as in {@link RelaybusMetrics#RelaybusMetrics(MeterRegistry,
     * Iterable)}.
     *
     * @param tags the tags
     * @return this builder
     */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
      return this;
    }

    /**
     * Creates the gauges; nothing is read until {@link #bindTo(MeterRegistry)}.
     *
     * @return the gauges
     */
    public RelaybusOperationsMetrics build() {
      return new RelaybusOperationsMetrics(this);
    }
  }
}
