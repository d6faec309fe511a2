package io.relaybus.webhook.internal.dispatch;

import io.relaybus.webhook.internal.outbox.AttemptRecord;
import io.relaybus.webhook.internal.outbox.Outbox;
import io.relaybus.webhook.internal.outbox.OutboxDelivery;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes delivery outcomes to the outbox. Failures (and every outcome of the memory outbox) are
 * written at once; successes to a durable outbox are queued and written together by the
 * dispatcher thread at the start of its next round, one transaction for all that completed
 * since the last one, so a busy sender pays one commit per round instead of one per delivery.
 * A write that fails (outbox unreachable) is kept and retried every round,
 * in order, so no outcome is lost and no delivery waits for its lease.
 */
final class OutcomeRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);
  /** The most successful outcomes recorded in one outbox call. */
  private static final int MAX_SUCCESS_BATCH = 500;

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
          leases.remove(a.deliveryId());
        }
        unrecorded = List.of();
      }
    }
  }

  /** How many outcomes wait to be written. */
  int unrecorded() {
    synchronized (flushLock) {
      return pendingWrites.size() + unrecorded.size() + successes.size();
    }
  }
}
