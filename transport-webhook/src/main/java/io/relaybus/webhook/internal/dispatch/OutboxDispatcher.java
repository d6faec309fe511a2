package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox's deliveries. One thread claims due deliveries route by route, as many as
 * each route's {@link Lane} may take now (its free concurrency, circuit breaker and rate limit),
 * and hands each to a thread of the HTTP client's executor, where {@link AttemptSender} builds,
 * signs and runs the request and {@link AttemptOutcomes} records what its result means. The
 * claiming thread never waits on a request nor builds one, so a slow or dead endpoint holds
 * only its own concurrency slots and never delays another route, and building requests is not
 * a serial stage of the sender. Order is kept by what is claimed, not by when requests start:
 * an {@code ordered} endpoint has at most one delivery claimed, and a group at most one per
 * event key.
 *
 * <p>Each round the same thread first renews the leases of what this sender holds ({@link
 * InFlightLeases}, every third of the lease, so a request may outlast its lease while a dead
 * sender's claims return one lease after its last renewal), re-reads routes when they changed,
 * and retries the outcome writes that wait before it claims again. With a durable outbox the
 * successes since the last claim are recorded by the next claim's statement ({@link
 * OutcomeRecorder#claim}: one round trip for both), or alone when no claim came for a short
 * while.
 */
public final class OutboxDispatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxDispatcher.class);
  private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);
  /**
   * How often the outbox's row estimate is checked (a catalog lookup, rarely an analyze): until
   * a collapsed estimate is corrected, a claim's lookups by id may read a route's whole index.
   */
  private static final Duration ESTIMATE_EVERY = Duration.ofSeconds(1);

  private final Outbox outbox;
  private final DispatcherConfig config;
  private final OkHttpClient endpointClient;
  private final OkHttpClient groupClient;
  private final Thread thread;
  private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
  private final InFlightLeases leases;
  private final OutcomeRecorder recorder;
  private final AttemptSender sender;
  private final LaneContext laneContext;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signal = lock.newCondition();
  private volatile boolean wake;
  private volatile boolean refresh = true;
  private volatile boolean running = true;
  private volatile boolean cancelled;
  /** When the leases of what this sender holds are renewed next (dispatcher thread only). */
  private long nextRenew;

  /**
   * Creates a dispatcher; {@link #start()} starts it.
   *
   * @param outbox the outbox
   * @param config the settings
   * @param endpointClient the client for configured endpoints (with the SSRF guard)
   * @param groupClient the client for consumer-group members (loopback allowed)
   * @param requests builds requests
   * @param threads names the dispatcher thread
   */
  public OutboxDispatcher(Outbox outbox, DispatcherConfig config, OkHttpClient endpointClient,
      OkHttpClient groupClient, DeliveryRequests requests, ThreadFactory threads) {
    this.outbox = outbox;
    this.config = config;
    this.endpointClient = endpointClient;
    this.groupClient = groupClient;
    this.leases = new InFlightLeases(outbox, config.lease());
    this.recorder = new OutcomeRecorder(outbox, leases, this::wake);
    AttemptOutcomes outcomes = new AttemptOutcomes(this, outbox, config, leases, recorder);
    this.sender = new AttemptSender(this, requests, outcomes);
    this.laneContext = new LaneContext(this, outbox, config, leases, sender, outcomes, recorder,
        endpointClient, groupClient);
    this.thread = threads.newThread(this::run);
  }

  /**
   * Shortens the lease of this dispatcher's claims to at most {@code ttl}: a bus that is a group
   * member ties its claims to its membership, so when it dies, what it had claimed becomes
   * claimable when its membership expires, not a configured lease later.
   *
   * @param ttl the member TTL of this bus
   */
  public void limitLease(Duration ttl) {
    leases.limit(ttl);
  }

  /** Starts the dispatcher thread. */
  public void start() {
    thread.start();
  }

  /** Looks for due deliveries now (something was published). */
  public void wake() {
    wake = true;
    lock.lock();
    try {
      signal.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Re-reads routes now (one was added, removed or changed), then looks for deliveries. */
  public void refreshRoutes() {
    refresh = true;
    wake();
  }

  /**
   * The circuit breaker state of a route.
   *
   * @param route the route name
   * @return the name of the {@link CircuitBreaker.State}, {@code CLOSED} for an unknown route
   */
  public String breakerState(String route) {
    Lane lane = lanes.get(route);
    return (lane == null ? CircuitBreaker.State.CLOSED : lane.breaker.state()).name();
  }

  /**
   * The routes as this dispatcher last read them from the outbox (every {@code route-refresh}),
   * without reading the outbox now: for health checks that must answer while it is away.
   *
   * @return the routes
   */
  public List<Route> knownRoutes() {
    List<Route> out = new ArrayList<>();
    for (Lane lane : lanes.values()) {
      out.add(lane.route);
    }
    return out;
  }

  /**
   * Sends a delivery that is not in the outbox (a test event) to an endpoint now and waits for
   * the answer: the request built and signed as every delivery of the endpoint, sent with its
   * client (the SSRF guard, its timeout), whatever its state, circuit breaker and rate limit,
   * none of which it changes. The attempt is recorded among the endpoint's attempts.
   *
   * @param route the endpoint's route
   * @param delivery the delivery (its id is recorded as the attempt's)
   * @return the attempt: status, latency, error
   */
  public AttemptRecord sendTest(Route route, OutboxDelivery delivery) {
    if (route.isGroup()) {
      throw new IllegalArgumentException("Cannot send a test event to " + route
          + ": test events go to webhook endpoints");
    }
    Lane lane = lanes.get(route.name());
    OkHttpClient client = lane != null && sameSettings(lane.route, route) ? lane.client
        : Lane.client(laneContext, route);
    AttemptRecord attempt = sender.test(client, route, delivery);
    outbox.recordAttempt(route.name(), attempt);
    return attempt;
  }

  /**
   * Requests in flight to a route.
   *
   * @param route the route name
   * @return the count
   */
  public int inFlight(String route) {
    Lane lane = lanes.get(route);
    return lane == null ? 0 : lane.inFlight.get();
  }

  boolean running() {
    return running;
  }

  boolean cancelled() {
    return cancelled;
  }

  /** A check that must not hold delivery up: a failure is the next claim's to report. */
  private void correctRowEstimate() {
    try {
      outbox.writeOutStrayPacks();
      outbox.correctRowEstimate();
    } catch (RuntimeException e) {
      LOG.debug("Could not check the outbox's row estimate: {}", e.toString());
    }
  }

  /**
   * Whether an HTTP thread of {@code lane} may take the route's next delivery for its slot
   * itself: the dispatcher runs, routes are unchanged and the lane is still the route's.
   */
  boolean refillsSlots(Lane lane, String route) {
    return running && !cancelled && !refresh && lanes.get(route) == lane;
  }

  private void run() {
    long nextRefresh = 0;
    long nextPrune = System.nanoTime() + PRUNE_EVERY.toNanos();
    long nextEstimate = System.nanoTime() + ESTIMATE_EVERY.toNanos();
    nextRenew = System.nanoTime(); // nanoTime may be negative: never compare with 0
    while (running) {
      long waitNanos = config.pollInterval().toNanos();
      try {
        renewIfDue();
        waitNanos = Math.min(waitNanos, Math.max(0, nextRenew - System.nanoTime()));
        if (refresh || System.nanoTime() - nextRefresh >= 0) {
          refresh = false;
          syncLanes(outbox.routes());
          nextRefresh = System.nanoTime() + config.routeRefresh().toNanos();
        }
        if (System.nanoTime() - nextPrune >= 0) {
          nextPrune = System.nanoTime() + PRUNE_EVERY.toNanos();
          int pruned = outbox.prune(config.attemptRetention());
          LOG.debug("Pruned {} old attempt and member rows", pruned);
        }
        if (System.nanoTime() - nextEstimate >= 0) {
          nextEstimate = System.nanoTime() + ESTIMATE_EVERY.toNanos();
          correctRowEstimate();
        }
        wake = false;
        // Successes go with the round's claims; a batch the outbox refused before goes first,
        // so that claims wait while the outbox is away.
        if (!recorder.flushWrites()
            || (recorder.successesKept() && !recorder.flushSuccesses())) {
          throw outcomesWait();
        }
        boolean more = false;
        for (Lane lane : lanes.values()) {
          if (!running) {
            return;
          }
          renewIfDue();
          more |= lane.claimAndSend();
          long untilToken = lane.limiter.nanosUntilToken();
          if (untilToken > 0) {
            waitNanos = Math.min(waitNanos, untilToken);
          }
        }
        if (recorder.nanosUntilSuccessesDue() == 0 && !recorder.flushSuccesses()) {
          throw outcomesWait(); // no claim took them along in time
        }
        waitNanos = Math.min(waitNanos, recorder.nanosUntilSuccessesDue());
        if (more) {
          continue;
        }
      } catch (RuntimeException e) {
        LOG.warn("Webhook dispatcher round failed, retrying in {}: {}", config.pollInterval(),
            e.toString());
      }
      lock.lock();
      try {
        if (!wake && running) {
          signal.awaitNanos(Math.max(waitNanos, 1_000_000));
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  private IllegalStateException outcomesWait() {
    return new IllegalStateException(recorder.unrecorded()
        + " delivery outcomes wait for the outbox");
  }

  /**
   * Renews the leases of what this sender holds when a third of the lease has passed. Called
   * between the steps of a round, not only at its start: a round may be long (many routes, an
   * outbox that answers slowly), and a lease that runs out while this sender still holds the
   * delivery (a request in flight, a success not yet recorded) lets another sender claim and
   * send it again.
   */
  private void renewIfDue() {
    if (System.nanoTime() - nextRenew >= 0) {
      leases.renew();
      nextRenew = System.nanoTime() + leases.renewEveryNanos();
    }
  }

  private void syncLanes(List<Route> routes) {
    Map<String, Route> current = new ConcurrentHashMap<>();
    for (Route r : routes) {
      current.put(r.name(), r);
      lanes.compute(r.name(), (name, lane) -> {
        if (lane == null || !sameSettings(lane.route, r)) {
          return new Lane(laneContext, r, lane);
        }
        lane.route = r;
        return lane;
      });
    }
    lanes.entrySet().removeIf(e -> {
      if (current.containsKey(e.getKey())) {
        return false;
      }
      e.getValue().dropAhead();
      return true;
    });
  }

  private static boolean sameSettings(Route a, Route b) {
    return a.isGroup() ? b.isGroup() : a.endpoint().equals(b.endpoint());
  }

  /**
   * Stops claiming and waits up to {@code timeout} for requests in flight to finish; their
   * outcomes are recorded. Requests still running after that are cancelled; their deliveries
   * are sent again after their lease.
   *
   * @param timeout the longest wait
   */
  public void close(Duration timeout) {
    running = false;
    wake();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    long renewAt = System.nanoTime();
    while (System.nanoTime() < deadline && lanes.values().stream()
        .anyMatch(l -> l.inFlight.get() > 0)) {
      if (System.nanoTime() - renewAt >= 0) { // the requests still run: keep them ours
        leases.renew();
        renewAt = System.nanoTime() + leases.renewEveryNanos();
      }
      try {
        Thread.sleep(10); // short poll: callbacks of OkHttp threads decrement the counters
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    cancelled = true;
    for (Lane lane : lanes.values()) {
      lane.releaseAhead();
    }
    endpointClient.dispatcher().cancelAll();
    groupClient.dispatcher().cancelAll();
    boolean written = recorder.flushWrites();
    written &= recorder.flushSuccesses(); // both, even when the first fails
    if (!written) {
      LOG.warn("{} delivery outcomes could not be recorded at close; those deliveries are sent "
          + "again after their lease", recorder.unrecorded());
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }
}
