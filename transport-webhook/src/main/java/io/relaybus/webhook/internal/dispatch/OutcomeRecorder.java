package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes delivery outcomes to the outbox. Failures (and every outcome of the memory outbox) are
 * written at once; successes to a durable outbox are queued and written together by the
 * dispatcher thread with its next claim ({@link #claim}: one statement for the outcomes and
 * the claim), or alone once the oldest has waited {@link #SUCCESS_LINGER_NANOS} without a claim
 * to go with — so a busy sender pays one round trip for many outcomes and its next claim
 * instead of one per delivery. A write that fails (outbox unreachable) is kept and retried every
 * round, in order, so no outcome is lost and no delivery waits for its lease.
 */
final class OutcomeRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);
  /** The most successful outcomes recorded in one outbox call. */
  private static final int MAX_SUCCESS_BATCH = 500;
  /**
   * How long successes may wait for a claim to be recorded with before they are written alone:
   * short against any lease (they stay leased and renewed meanwhile) and against what an
   * operator sees as pending, long against the time between two claims of a busy route.
   */
  static final long SUCCESS_LINGER_NANOS = 20_000_000L;
  private static final long NONE = Long.MIN_VALUE;

  private final Outbox outbox;
  private final InFlightLeases leases;
  private final Runnable wake;
  private final Queue<Runnable> pendingWrites = new ConcurrentLinkedQueue<>();
  /** Successful outcomes not yet recorded: recorded together once per round. */
  private final Queue<AttemptRecord> successes = new ConcurrentLinkedQueue<>();
  /** Guards {@link #unrecorded} and keeps outcome writes in order between two flushing threads. */
  private final Object flushLock = new Object();
  /** A batch of successes whose write failed (outbox unreachable): written again first. */
  private List<AttemptRecord> unrecorded = List.of();
  /**
   * When the oldest queued success was queued ({@link System#nanoTime()}), or {@link #NONE}:
   * set by the thread that queues into an empty queue, cleared by the one that empties it.
   */
  private volatile long oldestQueued = NONE;

  OutcomeRecorder(Outbox outbox, InFlightLeases leases, Runnable wake) {
    this.outbox = outbox;
    this.leases = leases;
    this.wake = wake;
  }

  /**
   * Records an outcome in the outbox, or keeps the write for the next round when the outbox is
   * unreachable (database restarting) or earlier writes still wait.
   *
   * <p>The delivery stops counting as this sender's first: the write releases its lease, and
   * may make it due at once (a released group delivery, {@code Retry-After: 0}, a zero retry
   * wait), so the next claim may rightly take it again. Were it still marked in flight, that
   * claim would only lease it again and skip it as "still being sent", leaving it unsent for a
   * whole lease.
   */
  void write(OutboxDelivery d, Runnable outboxWrite) {
    leases.remove(d.id());
    if (!pendingWrites.isEmpty()) {
      pendingWrites.add(outboxWrite);
      wake.run();
      return;
    }
    try {
      outboxWrite.run();
    } catch (RuntimeException e) {
      LOG.warn("Could not record a delivery outcome, retrying it: {}", e.toString());
      pendingWrites.add(outboxWrite);
    }
  }

  /**
   * Queues a success for the next round; the delivery stays this sender's (renewed, never
   * re-sent) until it is recorded.
   */
  void queueSuccess(AttemptRecord success) {
    successes.add(success);
    if (oldestQueued == NONE) {
      oldestQueued = System.nanoTime();
    }
  }

  /**
   * Nanoseconds until the queued successes must be written without a claim (0: now), or
   * {@link Long#MAX_VALUE} when none is queued.
   */
  long nanosUntilSuccessesDue() {
    long oldest = oldestQueued;
    if (oldest == NONE) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, oldest + SUCCESS_LINGER_NANOS - System.nanoTime());
  }

  /** Whether a batch of successes could not be written last time (outbox unreachable). */
  boolean successesKept() {
    synchronized (flushLock) {
      return !unrecorded.isEmpty();
    }
  }

  /**
   * Claims for the dispatcher thread, recording the queued successes in the same outbox call
   * ({@link Outbox#succeededAndClaim}); when the call fails, they are kept and written again
   * first, like a failed {@link #flushSuccesses}. The successes of a route must be recorded
   * before its next claim (an ordered route's next delivery, a key's next event, follow them),
   * and they are: a success is queued before its slot is given back.
   */
  List<OutboxDelivery> claim(String route, int max, boolean ordered, boolean byKey,
      Duration lease) {
    synchronized (flushLock) {
      List<AttemptRecord> batch = nextBatch();
      while (!successes.isEmpty()) { // more than one call takes: the full batches alone first
        outbox.succeeded(batch);
        recorded(batch);
        batch = nextBatch();
      }
      List<OutboxDelivery> claimed = outbox.succeededAndClaim(batch, route, max, ordered, byKey,
          lease);
      recorded(batch);
      return claimed;
    }
  }

  /** Whether kept writes wait for the outbox. */
  boolean writesWaiting() {
    return !pendingWrites.isEmpty();
  }

  /** Retries kept outcome writes, in order; true when none is left. */
  boolean flushWrites() {
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
  boolean flushSuccesses() {
    synchronized (flushLock) {
      while (true) { // ends: new successes need free slots, which only the dispatcher fills
        List<AttemptRecord> batch = nextBatch();
        if (batch.isEmpty()) {
          return true;
        }
        try {
          outbox.succeeded(batch);
        } catch (RuntimeException e) {
          LOG.debug("Could not record {} successful deliveries, retrying them: {}",
              batch.size() + successes.size(), e.toString());
          return false;
        }
        recorded(batch);
      }
    }
  }

  /**
   * The batch to write next (under {@link #flushLock}): the kept one, or up to {@link
   * #MAX_SUCCESS_BATCH} queued successes, kept until {@link #recorded}.
   */
  private List<AttemptRecord> nextBatch() {
    if (unrecorded.isEmpty()) {
      List<AttemptRecord> batch = new ArrayList<>();
      AttemptRecord a;
      while (batch.size() < MAX_SUCCESS_BATCH && (a = successes.poll()) != null) {
        batch.add(a);
      }
      if (successes.isEmpty()) {
        oldestQueued = NONE;
        if (!successes.isEmpty()) { // queued meanwhile, perhaps after its thread saw a time
          oldestQueued = System.nanoTime();
        }
      }
      unrecorded = batch;
    }
    return unrecorded;
  }

  /** The batch was written: its deliveries are no longer this sender's (under the lock). */
  private void recorded(List<AttemptRecord> batch) {
    for (AttemptRecord a : batch) {
      leases.remove(a.deliveryId());
    }
    unrecorded = List.of();
  }

  /** How many outcomes wait to be written. */
  int unrecorded() {
    synchronized (flushLock) {
      return pendingWrites.size() + unrecorded.size() + successes.size();
    }
  }
}
