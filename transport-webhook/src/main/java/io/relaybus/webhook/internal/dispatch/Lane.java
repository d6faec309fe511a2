package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.EndpointState;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import io.relaybus.webhook.internal.outbox.Route;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route's sending state: its slots (concurrency, per member for a group), circuit breaker,
 * rate limit and HTTP client with the route's timeouts. The dispatcher thread asks it to claim
 * what the route may take now and start those requests; an HTTP thread that finished one takes
 * the route's next delivery for the same slot where that is safe.
 *
 * <p>With a durable outbox an unordered endpoint is claimed <em>ahead</em> of its free slots,
 * up to {@code min(batch, 8 x concurrency)} deliveries in one transaction, topped up when half
 * are used; those are this sender's (leases renewed) until sent, and given back at close.
 */
final class Lane {

  private static final Logger LOG = LoggerFactory.getLogger(Lane.class);

  volatile Route route;
  final AtomicInteger inFlight;
  final Map<String, AtomicInteger> memberInFlight;
  final CircuitBreaker breaker;
  final RateLimiter limiter;
  final OkHttpClient client;
  /**
   * Deliveries claimed ahead of free slots (durable outbox, unordered endpoint): leased and
   * renewed like requests in flight, sent as slots free, released at close.
   */
  final Queue<OutboxDelivery> ahead;

  private final OutboxDispatcher dispatcher;
  private final Outbox outbox;
  private final DispatcherConfig config;
  private final InFlightLeases leases;
  private final AttemptSender sender;
  private final AttemptOutcomes outcomes;
  private final OutcomeRecorder recorder;
  /** Whether the outbox is durable: claims are transactions, successes recorded in batches. */
  private final boolean durable;

  Lane(LaneContext ctx, Route route, Lane previous) {
    this.dispatcher = ctx.dispatcher();
    this.outbox = ctx.outbox();
    this.config = ctx.config();
    this.leases = ctx.leases();
    this.sender = ctx.sender();
    this.outcomes = ctx.outcomes();
    this.recorder = ctx.recorder();
    this.durable = outbox.durable();
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
    this.client = client(ctx, route);
  }

  /** The HTTP client of a route: the endpoints' (SSRF guard) or the groups', its timeouts. */
  static OkHttpClient client(LaneContext ctx, Route route) {
    Duration timeout = route.timeout(ctx.config().groupTimeout());
    OkHttpClient base = route.isGroup() ? ctx.groupClient() : ctx.endpointClient();
    return base.newBuilder().callTimeout(timeout).readTimeout(timeout).writeTimeout(timeout)
        .build();
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
      if (permitted > 0) {
        breaker.probeNotSent();
      }
      return false;
    }
    List<OutboxDelivery> claimed = recorder.claim(r.name(), tokens, r.ordered(), r.isGroup(),
        leases.lease());
    limiter.giveBack(tokens - claimed.size());
    if (claimed.isEmpty()) {
      breaker.probeNotSent();
    }
    for (OutboxDelivery d : claimed) {
      if (!leases.add(d.id())) {
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
   * transaction, and claiming only for the slots free now would make it one per few deliveries.
   * Not for ordered endpoints (one delivery at a time) nor groups (one per key, member
   * chosen per request).
   */
  private boolean claimsAhead(Route r) {
    return durable && !r.isGroup() && !r.ordered();
  }

  /** How many deliveries a claiming-ahead route keeps claimed and not yet started. */
  private int aheadTarget(Route r) {
    return Math.max(1, Math.min(config.batch(), 8 * r.concurrency()));
  }

  /**
   * Tops the claimed-ahead deliveries up once they fell to half the target (one claim for
   * many deliveries, with the successes waiting to be recorded; not while the breaker is not
   * closed, so a failing endpoint's deliveries stay claimable by others), then starts as many
   * as the free slots, breaker and rate limit allow.
   */
  private boolean claimAheadAndSend(Route r, int wanted) {
    int target = aheadTarget(r);
    int held = ahead.size();
    boolean closed = breaker.state() == CircuitBreaker.State.CLOSED;
    if (held <= target / 2 && closed) {
      for (OutboxDelivery d : recorder.claim(r.name(), target - held, false, false,
          leases.lease())) {
        if (leases.add(d.id())) {
          ahead.add(d);
        } else {
          LOG.warn("Delivery {} to {} was claimed again while its request runs; not re-sent",
              d.id(), r);
        }
      }
    }
    if (wanted <= 0) {
      return false;
    }
    if (ahead.isEmpty()) {
      if (!closed) {
        probe(r);
      }
      return false;
    }
    int permitted = breaker.permits(Math.min(wanted, ahead.size()));
    int tokens = limiter.acquire(permitted);
    int started = 0;
    OutboxDelivery d;
    while (started < tokens && (d = ahead.poll()) != null) {
      send(r, d);
      started++;
    }
    limiter.giveBack(tokens - started);
    if (permitted > 0 && started == 0) {
      breaker.probeNotSent();
    }
    return started > 0 && started == wanted;
  }

  /**
   * Claims and sends the probe of a breaker that is not closed once nothing is claimed ahead
   * (nothing is claimed ahead while it is not closed, so that a failing endpoint's deliveries
   * stay claimable by other senders): one delivery, when the breaker grants its probe.
   */
  private void probe(Route r) {
    if (breaker.permits(1) < 1) {
      return;
    }
    if (limiter.acquire(1) < 1) {
      breaker.probeNotSent();
      return;
    }
    List<OutboxDelivery> claimed = recorder.claim(r.name(), 1, false, false, leases.lease());
    // A claim of packed events takes the pack's others with the probe: this sender's now.
    for (OutboxDelivery d : claimed.subList(Math.min(1, claimed.size()), claimed.size())) {
      if (leases.add(d.id())) {
        ahead.add(d);
      }
    }
    if (claimed.isEmpty() || !leases.add(claimed.get(0).id())) {
      limiter.giveBack(1);
      breaker.probeNotSent();
      return;
    }
    send(r, claimed.get(0));
  }

  /** Gives the leases of the claimed-ahead deliveries back (at close): claimable at once. */
  void releaseAhead() {
    List<Long> ids = new ArrayList<>();
    OutboxDelivery d;
    while ((d = ahead.poll()) != null) {
      ids.add(d.id());
      leases.remove(d.id());
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

  /** Forgets the claimed-ahead deliveries of a route that is gone, and its deliveries with it. */
  void dropAhead() {
    OutboxDelivery d;
    while ((d = ahead.poll()) != null) {
      leases.remove(d.id());
    }
  }

  private AtomicInteger memberCount(String url) {
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
      outcomes.noMember(d);
      return;
    }
    inFlight.incrementAndGet();
    memberCount(url).incrementAndGet();
    try {
      client.dispatcher().executorService().execute(() -> call(r, d, url));
    } catch (RejectedExecutionException e) { // the client is shutting down
      try {
        outcomes.completed(this, r, d, Instant.now(), System.nanoTime(), null, e);
      } finally {
        release(url);
      }
    }
  }

  /**
   * Runs deliveries on an HTTP thread that holds one of the route's slots: makes the attempt,
   * then takes the route's next delivery for the same slot and thread (memory outbox: claims
   * it; durable outbox: one claimed ahead), so a busy route does not wait for the dispatcher
   * thread to wake up and hand a freed slot to another thread. The slot is given back, and the
   * dispatcher woken, when there is none.
   */
  private void call(Route r, OutboxDelivery first, String url) {
    OutboxDelivery d = first;
    try {
      while (d != null) {
        sender.attempt(this, r, d, url);
        d = nextForSlot(r);
      }
    } finally {
      release(url);
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
    if ((durable && !fromAhead) || r.isGroup() || !dispatcher.refillsSlots(this, r.name())
        || current.state() != EndpointState.ENABLED
        || recorder.writesWaiting() || (fromAhead && ahead.isEmpty())
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
        dispatcher.wake(); // the dispatcher records the successes so far and claims more
      }
      return next;
    }
    List<OutboxDelivery> claimed = outbox.claim(current.name(), 1, current.ordered(), false,
        leases.lease());
    if (claimed.isEmpty()) {
      limiter.giveBack(1);
      return null;
    }
    OutboxDelivery next = claimed.get(0);
    if (!leases.add(next.id())) {
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
    dispatcher.wake();
  }
}
