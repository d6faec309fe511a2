package io.relaybus.kafka;

import io.relaybus.spi.MessageSink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When the poll thread of a member wakes up. It sleeps while the bus has no room for a refill
 * batch and wakes when a batch of room is free, not for every freed slot: woken per slot, it
 * refilled one record at a time, a thread hand-off per event, while with a quarter of the window
 * free the handlers still have three quarters queued. Failed attempts, dead letters, releases,
 * stop and close wake it at once ({@link #signal()}); a revoke waiting for in-flight events is
 * woken by every outcome.
 */
final class PollWakeups {
  private final MessageSink sink;
  /** Free slots the poll thread waits for before refilling (a quarter of maxInFlight). */
  private final int refillBatch;
  private final Object lock = new Object();
  /** Bumped by every signal that must wake the poll thread at once. */
  private final AtomicLong progress = new AtomicLong();
  /** Slots the sink has freed (one per finished message), for batched refills. */
  private final AtomicLong freed = new AtomicLong();
  /**
   * While the poll thread waits for capacity: the {@link #freed} count at which it wants to be
   * woken; {@code Long.MAX_VALUE} otherwise.
   */
  private volatile long wakeAt = Long.MAX_VALUE;
  /** A revoke waits for in-flight events: every outcome wakes it. */
  private volatile boolean revoking;
  private volatile boolean closing;

  PollWakeups(MessageSink sink, int refillBatch) {
    this.sink = sink;
    this.refillBatch = refillBatch;
    // The bus frees a message's capacity only after its ack/deadLetter/release returned.
    sink.onCapacity(this::slotFreed);
  }

  int refillBatch() {
    return refillBatch;
  }

  /** The progress count, to pass to {@link #awaitCapacity} after looking at the state. */
  long progress() {
    return progress.get();
  }

  boolean closing() {
    return closing;
  }

  /** The member closes: every wait ends now. */
  void close() {
    closing = true;
    signal();
  }

  /** Wakes the poll thread now (failed attempts, dead letters, releases, stop, close). */
  void signal() {
    progress.incrementAndGet();
    wakeUp();
  }

  /** An outcome was recorded: only a waiting revoke needs to know at once. */
  void outcomeRecorded() {
    if (revoking) {
      wakeUp();
    }
  }

  /** The sink freed one slot: wakes the poll thread when its refill batch is complete. */
  private void slotFreed() {
    if (freed.incrementAndGet() >= wakeAt || revoking) {
      wakeUp();
    }
  }

  private void wakeUp() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  /**
   * Waits, while records are buffered, until the sink has room for a refill batch, a signal
   * moves the progress count past {@code seen}, or {@code max} passes.
   *
   * @param drainBlocked the last drain left a record that cannot be handed yet: retry it on
   *     timeout even when there is room
   * @return whether a refill batch of room is there (false: use whatever room there is)
   */
  boolean awaitCapacity(long seen, Duration max, boolean drainBlocked) {
    long freedBefore = freed.get(); // read before capacity: a slot freed in between wakes early
    int missing = refillBatch - sink.capacity();
    if (missing <= 0) {
      if (!drainBlocked) {
        return true; // handlers finished a batch while the poll thread committed: refill now
      }
      missing = 1; // a record waits for the registry: retry on timeout
    }
    wakeAt = freedBefore + missing;
    try {
      long deadline = System.nanoTime() + max.toNanos();
      synchronized (lock) {
        long remaining;
        while (progress.get() == seen && freed.get() < wakeAt && !closing
            && (remaining = deadline - System.nanoTime()) > 0) {
          try {
            TimeUnit.NANOSECONDS.timedWait(lock, remaining);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        }
        return freed.get() >= wakeAt && !drainBlocked;
      }
    } finally {
      wakeAt = Long.MAX_VALUE;
    }
  }

  /**
   * Waits until the bus is done with every submitted message of the partitions, or until
   * {@code deadlineNanos} ({@link System#nanoTime()}).
   */
  void awaitSettled(List<AssignedPartition> partitions, long deadlineNanos) {
    revoking = true;
    try {
      synchronized (lock) {
        long remaining;
        while (!allSettled(partitions) && (remaining = deadlineNanos - System.nanoTime()) > 0) {
          try {
            TimeUnit.NANOSECONDS.timedWait(lock, Math.min(remaining,
                TimeUnit.MILLISECONDS.toNanos(50)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    } finally {
      revoking = false;
    }
  }

  private static boolean allSettled(List<AssignedPartition> partitions) {
    for (AssignedPartition p : partitions) {
      if (!p.settled()) {
        return false;
      }
    }
    return true;
  }
}
