package io.relaybus.webhook;

import io.relaybus.ops.Health;
import io.relaybus.spi.HealthGrace;
import io.relaybus.webhook.internal.dispatch.OutboxDispatcher;
import io.relaybus.webhook.internal.member.MemberReceiver;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.Route;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The webhook transport's health components, kept current by a periodic check so that asking
 * for the health never waits on the outbox:
 * <ul>
 *   <li>{@code webhook.outbox}: the storage answers a query (the memory outbox always does:
 *       it is this JVM's memory). A check runs
 *       every quarter of the grace period (at least every 5 s, at most every 250 ms); a check
 *       that fails, or has not answered within its period (at least 1 s: a pool waiting for a
 *       lost server blocks), makes it degraded, and down once checks failed for the grace period.
 *   <li>{@code webhook.endpoint.<name>}, one per configured endpoint, from the dispatcher's own
 *       view (routes as last read, its breakers): degraded while the circuit breaker is open or
 *       half-open, and down once it has not closed for the grace period (nothing reaches the
 *       endpoint); degraded, never down, while the endpoint is disabled (through the API, in
 *       configuration or by a {@code 410 Gone}): an operator's decision or the receiver's, with
 *       its deliveries kept, not a fault the bus could recover from.
 *   <li>{@code webhook.receiver}, once this bus subscribed: its members' heartbeats ({@link
 *       MemberReceiver#health()}).
 *   <li>{@code webhook.listen}, with the JDBC outbox unless {@code jdbc.poll-only}: the LISTEN
 *       connection that learns of deliveries other connections commit. Degraded while it is
 *       lost, never down: those deliveries are still found every poll-interval.
 * </ul>
 */
final class WebhookHealth implements AutoCloseable {

  private static final Duration MIN_PERIOD = Duration.ofMillis(250);
  private static final Duration MAX_PERIOD = Duration.ofSeconds(5);
  private static final Duration MIN_CHECK_TIMEOUT = Duration.ofSeconds(1);

  private final Outbox outbox;
  private final OutboxDispatcher dispatcher;
  private final Supplier<MemberReceiver> receiver;
  private final Duration gracePeriod;
  private final int breakerThreshold;
  private final Duration checkTimeout;
  /** The storage check (always passing for the memory outbox: nothing to reach). */
  private final HealthGrace storage;
  /** The LISTEN connection's component, or {@code null} when there is none. */
  private final HealthGrace listen;
  private final Map<String, EndpointHealth> endpoints = new TreeMap<>(); // guarded by this
  private final ScheduledExecutorService ticker;
  private final ExecutorService checker;
  private CompletableFuture<Void> check; // only the ticker thread touches it

  WebhookHealth(Outbox outbox, OutboxDispatcher dispatcher, Supplier<MemberReceiver> receiver,
      HealthGrace listen, Duration gracePeriod, int breakerThreshold, ThreadFactory threads) {
    this.outbox = outbox;
    this.listen = listen;
    this.dispatcher = dispatcher;
    this.receiver = receiver;
    this.gracePeriod = gracePeriod;
    this.breakerThreshold = breakerThreshold;
    Duration period = checkPeriod(gracePeriod);
    this.checkTimeout = period.compareTo(MIN_CHECK_TIMEOUT) < 0 ? MIN_CHECK_TIMEOUT : period;
    this.storage = new HealthGrace("webhook.outbox", gracePeriod, Clock.systemUTC());
    this.ticker = Executors.newSingleThreadScheduledExecutor(threads);
    this.checker = Executors.newSingleThreadExecutor(threads);
    ticker.scheduleWithFixedDelay(this::tick, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * How often a component is checked: a quarter of the grace period, at least every 5 s and at
   * most every 250 ms.
   */
  static Duration checkPeriod(Duration gracePeriod) {
    Duration period = gracePeriod.dividedBy(4);
    return period.compareTo(MIN_PERIOD) < 0 ? MIN_PERIOD
        : period.compareTo(MAX_PERIOD) > 0 ? MAX_PERIOD : period;
  }

  /**
   * The component of a LISTEN connection: degraded while it is lost, never down.
   *
   * @return a new component
   */
  static HealthGrace listenComponent() {
    return new HealthGrace("webhook.listen", ChronoUnit.FOREVER.getDuration(),
        Clock.systemUTC());
  }

  private void tick() {
    refreshEndpoints();
    checkStorage();
  }

  private void checkStorage() {
    if (check == null || check.isDone()) {
      check = CompletableFuture.runAsync(outbox::check, checker);
    }
    try {
      check.get(checkTimeout.toMillis(), TimeUnit.MILLISECONDS);
      storage.passed();
    } catch (TimeoutException e) {
      storage.failed("the outbox did not answer a check within " + checkTimeout.toMillis()
          + " ms");
    } catch (ExecutionException e) {
      storage.failed("the outbox cannot be reached: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    }
  }

  private synchronized void refreshEndpoints() {
    Set<String> seen = new HashSet<>();
    for (Route r : dispatcher.knownRoutes()) {
      if (!r.isGroup()) {
        seen.add(r.name());
        endpoints.computeIfAbsent(r.name(), EndpointHealth::new).update(r,
            dispatcher.breakerState(r.name()));
      }
    }
    endpoints.keySet().retainAll(seen);
  }

  /** The components now: storage, each endpoint by name, the receiver. */
  Health health() {
    List<Health.Component> components = new ArrayList<>();
    components.add(storage.component());
    synchronized (this) {
      refreshEndpoints();
      for (EndpointHealth e : endpoints.values()) {
        components.add(e.component());
      }
    }
    MemberReceiver r = receiver.get();
    if (r != null) {
      components.add(r.health());
    }
    if (listen != null) {
      components.add(listen.component());
    }
    return Health.of(components);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    checker.shutdownNow();
  }

  /** One endpoint: its breaker (down after the grace period) or its being disabled (never). */
  private final class EndpointHealth {
    private final HealthGrace breaker;
    private final HealthGrace disabled;
    private boolean isDisabled;

    EndpointHealth(String name) {
      String component = "webhook.endpoint." + name;
      this.breaker = new HealthGrace(component, gracePeriod, Clock.systemUTC());
      this.disabled = new HealthGrace(component, ChronoUnit.FOREVER.getDuration(),
          Clock.systemUTC());
    }

    void update(Route r, String breakerState) {
      isDisabled = r.state() != EndpointState.ENABLED;
      if (isDisabled) {
        disabled.failed("disabled (" + (r.stateReason() == null ? r.state().name()
            : r.stateReason()) + "): its deliveries are kept, not sent, until it is enabled");
        breaker.passed();
        return;
      }
      disabled.passed();
      switch (breakerState) {
        case "OPEN" -> breaker.failed("circuit breaker open after " + breakerThreshold
            + " consecutive failed attempts: nothing is sent until a probe succeeds");
        case "HALF_OPEN" -> breaker.failed("circuit breaker half-open: a probe request decides "
            + "whether it closes");
        default -> breaker.passed();
      }
    }

    Health.Component component() {
      return isDisabled ? disabled.component() : breaker.component();
    }
  }
}
