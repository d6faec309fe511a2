package io.relaybus.webhook.internal.dispatch;

import io.relaybus.DeadLetterReason;
import io.relaybus.webhook.EndpointState;
import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import io.relaybus.webhook.payload.WebhookPayloads;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox's deliveries. One thread claims due deliveries route by route, as many as each
 * route may take now (its free concurrency, circuit breaker and rate limit), and hands each to
 * a thread of the HTTP client's executor, which builds and signs the request, runs it and
 * records the outcome. The claiming thread never waits on a request nor builds one, so a slow
 * or dead endpoint holds only its own concurrency slots and never delays another route, and
 * building requests is not a serial stage of the sender. Order is kept by what is claimed, not
 * by when requests start: an {@code ordered} endpoint has at most one delivery claimed, and a
 * group at most one per event key. The same thread renews the leases of the requests in flight
 * every third of the lease, so a request may outlast its lease while a dead sender's claims
 * return one lease after its last renewal.
 *
 * <p>With a durable outbox, successful outcomes are collected and recorded together by the
 * claiming thread at the start of its next round, before it claims again: one transaction for
 * all that completed since the last round, so a busy sender pays one commit per round instead
 * of one per delivery (a separate recording thread measured slower: it wrote each success
 * alone). Failures are recorded at once, as are all outcomes in the memory outbox (cheap
 * there). A delivery counts as this sender's, and its lease is renewed, until its outcome is
 * recorded; an outcome that cannot be written (database away) is kept and written again,
 * never dropped.
 *
 * <p>Slots are refilled without the claiming thread where that is safe: an HTTP thread that
 * recorded an outcome takes the route's next delivery for its slot itself (memory outbox: a
 * claim of one; durable outbox: see below) instead of waking the claiming thread to hand the
 * slot to another thread. With a durable outbox an unordered endpoint is claimed
 * <em>ahead</em> of its free slots, up to {@code min(batch, 8 x concurrency)} deliveries in one
 * transaction, topped up when half are used; those deliveries are this sender's (leases
 * renewed) until sent, and their leases are given back at close.
 *
 * <p>Outcomes: 2xx succeeds; 410 marks the endpoint {@link EndpointState#GONE} and keeps its
 * deliveries; 429 and 503 wait for {@code Retry-After} (capped) when given; anything else —
 * other statuses including 3xx (redirects are never followed), timeouts, resets — waits for the
 * retry schedule, and after its last attempt the delivery becomes a dead letter of the endpoint.
 * Deliveries to consumer groups are never dead-lettered here: the receiving bus decides, and
 * transport failures to them retry with the schedule's waits capped at the poll interval.
 */
public final class OutboxDispatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxDispatcher.class);
  private static final int MAX_ERROR = 500;
  private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);
  /** The most successful outcomes recorded in one outbox call. */
  private static final int MAX_SUCCESS_BATCH = 500;

  private final Outbox outbox;
  private final DispatcherConfig config;
  private final OkHttpClient endpointClient;
  private final OkHttpClient groupClient;
  private final DeliveryRequests requests;
  private final Thread thread;
  /** Whether successes are queued and recorded in batches (a durable outbox). */
  private final boolean batchSuccesses;
  private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
  /** Deliveries whose requests this dispatcher has started and not yet finished. */
  private final Set<Long> inFlightIds = ConcurrentHashMap.newKeySet();
  private volatile Duration lease;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signal = lock.newCondition();
  private volatile boolean wake;
  private volatile boolean refresh = true;
  private volatile boolean running = true;
  private volatile boolean cancelled;
  private final Queue<Runnable> pendingWrites = new ConcurrentLinkedQueue<>();
  /** Successful outcomes not yet recorded: recorded together once per round. */
  private final Queue<AttemptRecord> successes = new ConcurrentLinkedQueue<>();
  /** Guards {@link #unrecorded} and keeps outcome writes in order between two flushing threads. */
  private final Object flushLock = new Object();
  /** A batch of successes whose write failed (outbox unreachable): written again first. */
  private List<AttemptRecord> unrecorded = List.of();

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
    this.requests = requests;
    this.lease = config.lease();
    this.thread = threads.newThread(this::run);
    this.batchSuccesses = outbox.durable();
  }

  /**
   * Shortens the lease of this dispatcher's claims to at most {@code ttl}: a bus that is a group
   * member ties its claims to its membership, so when it dies, what it had claimed becomes
   * claimable when its membership expires, not a configured lease later.
   *
   * @param ttl the member TTL of this bus
   */
  public void limitLease(Duration ttl) {
    if (ttl.compareTo(lease) < 0) {
      lease = ttl;
    }
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
   * Requests in flight to a route.
   *
   * @param route the route name
   * @return the count
   */
  public int inFlight(String route) {
    Lane lane = lanes.get(route);
    return lane == null ? 0 : lane.inFlight.get();
  }

  private void run() {
    long nextRefresh = 0;
    long nextPrune = System.nanoTime() + PRUNE_EVERY.toNanos();
    long nextRenew = System.nanoTime(); // nanoTime may be negative: never compare with 0
    while (running) {
      long waitNanos = config.pollInterval().toNanos();
      try {
        long renewEvery = renewEvery();
        if (System.nanoTime() - nextRenew >= 0) {
          renewLeases();
          nextRenew = System.nanoTime() + renewEvery;
        }
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
        wake = false;
        if (!flushWrites() || !flushSuccesses()) {
          throw new IllegalStateException(unrecordedOutcomes()
              + " delivery outcomes wait for the outbox");
        }
        boolean more = false;
        for (Lane lane : lanes.values()) {
          if (!running) {
            return;
          }
          more |= lane.claimAndSend();
          long untilToken = lane.limiter.nanosUntilToken();
          if (untilToken > 0) {
            waitNanos = Math.min(waitNanos, untilToken);
          }
        }
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

  private long renewEvery() {
    return Math.max(10_000_000L, lease.toNanos() / 3);
  }

  /**
   * Extends the leases of the requests in flight. A sender's claims thus live as long as the
   * sender does, whatever the call timeout, and come back one lease after it dies.
   */
  private void renewLeases() {
    if (inFlightIds.isEmpty()) {
      return;
    }
    try {
      outbox.renew(List.copyOf(inFlightIds), lease);
    } catch (RuntimeException e) {
      LOG.warn("Could not renew the leases of {} requests in flight (retried in {} ms): {}",
          inFlightIds.size(), renewEvery() / 1_000_000, e.toString());
    }
  }

  private void syncLanes(List<Route> routes) {
    Map<String, Route> current = new ConcurrentHashMap<>();
    for (Route r : routes) {
      current.put(r.name(), r);
      lanes.compute(r.name(), (name, lane) -> {
        if (lane == null || !sameSettings(lane.route, r)) {
          return new Lane(r, lane);
        }
        lane.route = r;
        return lane;
      });
    }
    lanes.entrySet().removeIf(e -> {
      if (current.containsKey(e.getKey())) {
        return false;
      }
      OutboxDelivery d; // the route is gone, and its deliveries with it
      while ((d = e.getValue().ahead.poll()) != null) {
        inFlightIds.remove(d.id());
      }
      return true;
    });
  }

  private static boolean sameSettings(Route a, Route b) {
    return a.isGroup() ? b.isGroup() : a.endpoint().equals(b.endpoint());
  }

  /** One route's sending state. */
  private final class Lane {
    volatile Route route;
    final AtomicInteger inFlight;
    final Map<String, AtomicInteger> memberInFlight;
    final CircuitBreaker breaker;
    final RateLimiter limiter;
    final OkHttpClient client;
    final Duration timeout;
    /**
     * Deliveries claimed ahead of free slots (durable outbox, unordered endpoint): leased and
     * renewed like requests in flight, sent as slots free, released at close.
     */
    final Queue<OutboxDelivery> ahead;

    Lane(Route route, Lane previous) {
      this.route = route;
      this.ahead = previous == null ? new ConcurrentLinkedQueue<>() : previous.ahead;
      if (previous != null && !claimsAhead(route)) {
        previous.releaseAhead(); // now ordered: what was claimed ahead goes back to the outbox
      }
      this.inFlight = previous == null ? new AtomicInteger() : previous.inFlight;
      this.memberInFlight = previous == null ? new ConcurrentHashMap<>() : previous.memberInFlight;
      this.breaker = route.isGroup() ? new CircuitBreaker(0, Duration.ZERO)
          : new CircuitBreaker(config.breakerThreshold(), config.breakerOpenFor());
      this.limiter = new RateLimiter(route.isGroup() ? 0 : route.endpoint().rateLimit());
      this.timeout = route.timeout(config.groupTimeout());
      OkHttpClient base = route.isGroup() ? groupClient : endpointClient;
      this.client = base.newBuilder().callTimeout(timeout).readTimeout(timeout)
          .writeTimeout(timeout).build();
    }

    /** Claims and starts what the route may take now; true when it took a full batch. */
    boolean claimAndSend() {
      Route r = route;
      if (r.state() != EndpointState.ENABLED) {
        return false;
      }
      int free = r.concurrency() - inFlight.get();
      if (r.isGroup()) {
        free = 0;
        for (Route.Member m : r.members()) {
          free += Math.max(0, m.capacity() - memberCount(m.url()).get());
        }
      }
      int wanted = Math.min(free, config.batch());
      if (claimsAhead(r)) {
        return claimAheadAndSend(r, wanted);
      }
      if (wanted <= 0) {
        return false;
      }
      int permitted = breaker.permits(wanted);
      int tokens = limiter.acquire(permitted);
      if (tokens <= 0) {
        return false;
      }
      List<OutboxDelivery> claimed = outbox.claim(r.name(), tokens, r.ordered(), r.isGroup(),
          lease);
      limiter.giveBack(tokens - claimed.size());
      for (OutboxDelivery d : claimed) {
        if (!inFlightIds.add(d.id())) {
          // Its lease ran out while its request still runs here (renewal was late): this claim
          // only renewed it. Never send a delivery twice from one process.
          LOG.warn("Delivery {} to {} was claimed again while its request runs; not re-sent",
              d.id(), r);
          continue;
        }
        send(r, d);
      }
      return claimed.size() == tokens && tokens == wanted && !claimed.isEmpty();
    }

    /**
     * Whether this route claims ahead of its free slots: with a durable outbox a claim is a
     * transaction, and claiming only for the slots free now made it one per few deliveries.
     * Not for ordered endpoints (one delivery at a time) nor groups (one per key, member
     * chosen per request).
     */
    private boolean claimsAhead(Route r) {
      return batchSuccesses && !r.isGroup() && !r.ordered();
    }

    /** How many deliveries a claiming-ahead route keeps claimed and not yet started. */
    private int aheadTarget(Route r) {
      return Math.max(1, Math.min(config.batch(), 8 * r.concurrency()));
    }

    /**
     * Tops the claimed-ahead deliveries up once they fell to half the target (one claim for
     * many deliveries; not while the breaker is not closed, so a failing endpoint's deliveries
     * stay claimable by others), then starts as many as the free slots, breaker and rate limit
     * allow.
     */
    private boolean claimAheadAndSend(Route r, int wanted) {
      int target = aheadTarget(r);
      int held = ahead.size();
      if (held <= target / 2 && breaker.state() == CircuitBreaker.State.CLOSED) {
        for (OutboxDelivery d : outbox.claim(r.name(), target - held, false, false, lease)) {
          if (inFlightIds.add(d.id())) {
            ahead.add(d);
          } else {
            LOG.warn("Delivery {} to {} was claimed again while its request runs; not re-sent",
                d.id(), r);
          }
        }
      }
      if (wanted <= 0 || ahead.isEmpty()) {
        return false;
      }
      int tokens = limiter.acquire(breaker.permits(Math.min(wanted, ahead.size())));
      int started = 0;
      OutboxDelivery d;
      while (started < tokens && (d = ahead.poll()) != null) {
        send(r, d);
        started++;
      }
      limiter.giveBack(tokens - started);
      return started > 0 && started == wanted;
    }

    /** Gives the leases of the claimed-ahead deliveries back (at close): claimable at once. */
    void releaseAhead() {
      List<Long> ids = new ArrayList<>();
      OutboxDelivery d;
      while ((d = ahead.poll()) != null) {
        ids.add(d.id());
        inFlightIds.remove(d.id());
      }
      if (!ids.isEmpty()) {
        try {
          outbox.renew(ids, Duration.ZERO);
        } catch (RuntimeException e) {
          LOG.warn("Could not release {} deliveries claimed ahead; they are sent again after "
              + "their lease: {}", ids.size(), e.toString());
        }
      }
    }

    AtomicInteger memberCount(String url) {
      return memberInFlight.computeIfAbsent(url, u -> new AtomicInteger());
    }

    private String pickUrl(Route r) {
      if (!r.isGroup()) {
        return r.endpoint().url().toString();
      }
      String best = null;
      int bestFree = Integer.MIN_VALUE;
      for (Route.Member m : r.members()) {
        int f = m.capacity() - memberCount(m.url()).get();
        if (f > bestFree) {
          bestFree = f;
          best = m.url();
        }
      }
      return best;
    }

    private void send(Route r, OutboxDelivery d) {
      String url = pickUrl(r);
      if (url == null) { // the last member left between claim and send
        AttemptRecord none = record(d, Instant.now(), 0, 0, "no live member");
        try {
          write(d, () -> outbox.failed(none, Instant.now().plus(config.pollInterval()),
              d.handlerAttempt(), false));
        } finally {
          inFlightIds.remove(d.id());
        }
        return;
      }
      inFlight.incrementAndGet();
      memberCount(url).incrementAndGet();
      try {
        client.dispatcher().executorService().execute(() -> call(r, d, url));
      } catch (RejectedExecutionException e) { // the client is shutting down
        try {
          completed(r, d, Instant.now(), System.nanoTime(), null, e);
        } finally {
          release(url);
        }
      }
    }

    /**
     * Runs deliveries on an HTTP thread that holds one of the route's slots: builds, signs and
     * runs the request, records its outcome, then takes the route's next delivery for the same
     * slot and thread (memory outbox: claims it; durable outbox: one claimed ahead), so a busy
     * route does not wait for the dispatcher thread to wake up and hand a freed slot to another
     * thread. The slot is given back, and the dispatcher woken, when there is none.
     */
    private void call(Route r, OutboxDelivery first, String url) {
      OutboxDelivery d = first;
      try {
        while (d != null) {
          attempt(r, d, url);
          d = nextForSlot(r);
        }
      } finally {
        release(url);
      }
    }

    /** Builds, signs and runs one request, then records its outcome. */
    private void attempt(Route r, OutboxDelivery d, String url) {
      Instant started = Instant.now();
      long t0 = System.nanoTime();
      if (cancelled) {
        completed(r, d, started, t0, null, new IOException("Canceled"));
        return;
      }
      Request request;
      try {
        request = requests.build(r, d, url);
      } catch (RuntimeException e) {
        LOG.warn("Cannot build the request of delivery {} to {}: {}", d.id(), r, e.toString());
        completed(r, d, started, t0, null, e);
        return;
      }
      Response response;
      try {
        response = client.newCall(request).execute();
      } catch (IOException | RuntimeException e) {
        completed(r, d, started, t0, null, e);
        return;
      }
      try (response) {
        completed(r, d, started, t0, response, null);
      }
    }

    /**
     * The next delivery for the slot this thread holds, or {@code null}: claimed here from the
     * memory outbox, or taken from those claimed ahead for a durable one (whose claim is a
     * transaction, made by the dispatcher thread for many deliveries). Only for a configured
     * endpoint (a group's member is chosen by free capacity per request), this lane still
     * current (routes unchanged), no outcome waiting to be written and the breaker closed
     * (probes after an open breaker are the dispatcher thread's); the rate limiter is asked as
     * the dispatcher thread asks it.
     */
    private OutboxDelivery nextForSlot(Route r) {
      Route current = route;
      boolean fromAhead = claimsAhead(current);
      if ((batchSuccesses && !fromAhead) || r.isGroup() || !running || cancelled || refresh
          || lanes.get(r.name()) != this || current.state() != EndpointState.ENABLED
          || !pendingWrites.isEmpty() || (fromAhead && ahead.isEmpty())
          || breaker.state() != CircuitBreaker.State.CLOSED) {
        return null;
      }
      if (limiter.acquire(1) < 1) {
        return null;
      }
      if (fromAhead) {
        OutboxDelivery next = ahead.poll();
        if (next == null) {
          limiter.giveBack(1);
        }
        if (ahead.size() <= aheadTarget(current) / 2) {
          wake(); // the dispatcher records the successes so far and claims more
        }
        return next;
      }
      List<OutboxDelivery> claimed = outbox.claim(current.name(), 1, current.ordered(), false,
          lease);
      if (claimed.isEmpty()) {
        limiter.giveBack(1);
        return null;
      }
      OutboxDelivery next = claimed.get(0);
      if (!inFlightIds.add(next.id())) {
        LOG.warn("Delivery {} to {} was claimed again while its request runs; not re-sent",
            next.id(), current);
        return null;
      }
      return next;
    }

    /** Gives a slot back and lets the dispatcher fill it. */
    private void release(String url) {
      inFlight.decrementAndGet();
      memberCount(url).decrementAndGet();
      wake();
    }

    private void completed(Route r, OutboxDelivery d, Instant started, long t0,
        Response response, Exception failure) {
      boolean queued = false;
      try {
        queued = outcome(r, d, started, System.nanoTime() - t0, response, failure);
      } catch (RuntimeException e) {
        // The lease expires and the delivery is sent again: at-least-once, never lost.
        LOG.warn("Could not record the outcome of delivery {} to {} (it will be sent again "
            + "after its lease): {}", d.id(), r, e.toString());
      } finally {
        if (!queued) { // a queued success stays ours (renewed, never re-sent) until recorded
          inFlightIds.remove(d.id());
        }
      }
    }

    /** Records or queues the outcome; true when it is a success queued for the next round. */
    private boolean outcome(Route r, OutboxDelivery d, Instant started, long nanos,
        Response response, Exception failure) {
      int attempt = d.attempts() + 1;
      Instant now = Instant.now();
      if (response == null && !running) {
        // Cancelled by close(): not the endpoint's fault, so not counted; sent again soon.
        AttemptRecord cancelled = record(d, started, nanos, 0, "cancelled by close: " + failure);
        write(d, () -> outbox.failed(cancelled, now, d.handlerAttempt(), false));
        return false;
      }
      if (response == null) {
        AttemptRecord rec = record(d, started, nanos, 0, failure.toString());
        breakerFailure(r);
        // A group member that died after taking the request may have run the handler: that
        // counts as an attempt (docs/semantics.md). A refused connection never reached it.
        int next = r.isGroup() && !(failure instanceof java.net.ConnectException)
            ? d.handlerAttempt() + 1 : d.handlerAttempt();
        retryOrDeadLetter(r, d, rec, null, next);
        return false;
      }
      int code = response.code();
      if (code >= 200 && code < 300) {
        breaker.success();
        AttemptRecord ok = new AttemptRecord(d.id(), attempt, started, Duration.ofNanos(nanos),
            code, null, d.event().id(), WebhookPayloads.webhookId(d.topic(), d.event()));
        if (!batchSuccesses) {
          write(d, () -> outbox.succeeded(ok));
          return false;
        }
        successes.add(ok); // recorded next round; completed() wakes the dispatcher
        return true;
      }
      String error = "HTTP " + code + (response.message().isEmpty() ? ""
          : " " + response.message());
      if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        error += " (redirect to " + response.header("Location", "?") + " not followed)";
      }
      AttemptRecord rec = record(d, started, nanos, code, error);
      if (r.isGroup() && response.header(DeliveryRequests.RELEASE_HEADER) != null) {
        int next = parseInt(response.header(DeliveryRequests.NEXT_ATTEMPT_HEADER),
            d.handlerAttempt());
        write(d, () -> outbox.failed(rec, now, next, false));
        return false;
      }
      if (code == 410 && !r.isGroup()) {
        LOG.warn("Endpoint '{}' answered 410 Gone: it is disabled, its deliveries are kept; "
            + "enable it through the API to resume", r.name());
        write(d, () -> outbox.setState(r.name(), EndpointState.GONE, "410 Gone at " + now));
        write(d, () -> outbox.failed(rec, now, d.handlerAttempt(), false));
        refreshRoutes();
        return false;
      }
      breakerFailure(r);
      Duration retryAfter = null;
      if (code == 429 || code == 503) {
        Optional<Duration> ra = RetryAfter.parse(response.header("Retry-After"), now,
            config.retryAfterCap());
        retryAfter = ra.orElse(null);
      }
      retryOrDeadLetter(r, d, rec, retryAfter, d.handlerAttempt());
      return false;
    }

    private void breakerFailure(Route r) {
      if (breaker.failure()) {
        LOG.warn("Circuit breaker of {} opened after {} consecutive failures; probing again in "
            + "{}", r, config.breakerThreshold(), config.breakerOpenFor());
      }
    }

    private void retryOrDeadLetter(Route r, OutboxDelivery d, AttemptRecord rec,
        Duration retryAfter, int nextHandlerAttempt) {
      int attempts = d.attempts() + 1;
      RetrySchedule schedule = config.schedule();
      if (!r.isGroup() && attempts >= schedule.maxAttempts()) {
        LOG.warn("Delivery of event {} to {} failed {} times, last: {}; moved to the dead "
            + "letters", d.event().id(), r, attempts, rec.error());
        write(d, () -> outbox.deadLetterDelivery(rec, d, r.name(),
            DeadLetterReason.RETRIES_EXHAUSTED, attempts, rec.error()));
        return;
      }
      Duration wait = retryAfter != null ? retryAfter : schedule.delayAfter(attempts);
      if (r.isGroup() && wait.compareTo(config.pollInterval()) > 0) {
        wait = config.pollInterval();
      }
      LOG.debug("Delivery {} to {} failed ({}), attempt {} again in {}", d.id(), r, rec.error(),
          attempts + 1, wait);
      Instant due = Instant.now().plus(wait);
      write(d, () -> outbox.failed(rec, due, nextHandlerAttempt, true));
    }
  }

  /**
   * Records an outcome in the outbox; when the outbox is unreachable (database restarting) the
   * write is kept and retried every round, in order, so the delivery neither waits for its lease
   * nor loses its outcome.
   *
   * <p>The delivery stops counting as this sender's request first: the write releases its
   * lease, and may make it due at once (a released group delivery, {@code Retry-After: 0}, a
   * zero retry wait), so the next claim may rightly take it again. Were it still marked in
   * flight, that claim would only lease it again and skip it as "still being sent", leaving
   * it unsent for a whole lease.
   */
  private void write(OutboxDelivery d, Runnable outboxWrite) {
    inFlightIds.remove(d.id());
    if (!pendingWrites.isEmpty()) {
      pendingWrites.add(outboxWrite);
      wake();
      return;
    }
    try {
      outboxWrite.run();
    } catch (RuntimeException e) {
      LOG.warn("Could not record a delivery outcome, retrying it: {}", e.toString());
      pendingWrites.add(outboxWrite);
    }
  }

  /** Retries kept outcome writes, in order; true when none is left. */
  private boolean flushWrites() {
    synchronized (flushLock) {
      Runnable w;
      while ((w = pendingWrites.peek()) != null) {
        try {
          w.run();
        } catch (RuntimeException e) {
          return false;
        }
        pendingWrites.poll();
      }
      return true;
    }
  }

  /**
   * Records the queued successes, up to {@link #MAX_SUCCESS_BATCH} per outbox call; true when
   * none is left. A batch that cannot be written is kept and written again first, so no
   * outcome is lost while the outbox is away.
   */
  private boolean flushSuccesses() {
    synchronized (flushLock) {
      while (true) { // ends: new successes need free slots, which only the dispatcher fills
        if (unrecorded.isEmpty()) {
          List<AttemptRecord> batch = new ArrayList<>();
          AttemptRecord a;
          while (batch.size() < MAX_SUCCESS_BATCH && (a = successes.poll()) != null) {
            batch.add(a);
          }
          if (batch.isEmpty()) {
            return true;
          }
          unrecorded = batch;
        }
        try {
          outbox.succeeded(unrecorded);
        } catch (RuntimeException e) {
          LOG.debug("Could not record {} successful deliveries, retrying them: {}",
              unrecorded.size() + successes.size(), e.toString());
          return false;
        }
        for (AttemptRecord a : unrecorded) {
          inFlightIds.remove(a.deliveryId());
        }
        unrecorded = List.of();
      }
    }
  }

  private int unrecordedOutcomes() {
    synchronized (flushLock) {
      return pendingWrites.size() + unrecorded.size() + successes.size();
    }
  }

  private static AttemptRecord record(OutboxDelivery d, Instant started, long nanos, int status,
      String error) {
    String e = error;
    if (e != null && e.length() > MAX_ERROR) {
      e = e.substring(0, MAX_ERROR);
    }
    return new AttemptRecord(d.id(), d.attempts() + 1, started, Duration.ofNanos(nanos), status,
        e, d.event().id(), WebhookPayloads.webhookId(d.topic(), d.event()));
  }

  private static int parseInt(String v, int fallback) {
    try {
      return v == null ? fallback : Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
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
    long nextRenew = System.nanoTime();
    while (System.nanoTime() < deadline && lanes.values().stream()
        .anyMatch(l -> l.inFlight.get() > 0)) {
      if (System.nanoTime() - nextRenew >= 0) { // the requests still run: keep them ours
        renewLeases();
        nextRenew = System.nanoTime() + renewEvery();
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
    boolean written = flushWrites();
    written &= flushSuccesses(); // both, even when the first fails
    if (!written) {
      LOG.warn("{} delivery outcomes could not be recorded at close; those deliveries are sent "
          + "again after their lease", unrecordedOutcomes());
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }
}
