package io.relaybus.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Decides which of one subscription's failures are logged in full: the first {@code burst} of
 * each interval; the rest are counted, and {@link #takeSuppressed()} hands over how many there
 * were and the last of them, for one summary line per interval.
 *
 * <p>Intervals are fixed windows counted from construction. Only failures call this class, and
 * none of them waits for another: within the burst a failure costs a clock read and one
 * compare-and-set on a single word; past it, a read and a {@link LongAdder} increment, so a
 * flood of failures on many handler threads does not contend.
 */
final class FailureLogLimiter {

  /** What to do with one failure. */
  enum Decision {
    /** Log it in full. */
    LOG,
    /**
     * The first failure of this window past the burst: counted; the caller arranges for the
     * window's summary, {@link #nanosUntilWindowEnd()} from now.
     */
    SUPPRESS_FIRST,
    /** Counted for the window's summary. */
    SUPPRESS
  }

  /** Failures not logged in full since the last summary, and the last of them. */
  record Suppressed(long count, Throwable last) {}

  /** The low bits of {@link #state} count the window's failures, up to {@code burst + 1}. */
  private static final int COUNT_BITS = 16;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

  private final int burst;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final long origin;
  /** Window number in the high bits, failures seen in it (capped at burst + 1) in the low. */
  private final AtomicLong state = new AtomicLong();
  private final LongAdder suppressed = new LongAdder();
  private volatile Throwable lastSuppressed;

  /**
   * Creates a limiter.
   *
   * @param burst failures logged in full per interval, 1 to 65,534
   * @param interval the window length, positive
   * @param nanoClock a monotonic clock in nanoseconds, as {@link System#nanoTime()}
   */
  FailureLogLimiter(int burst, Duration interval, LongSupplier nanoClock) {
    if (burst < 1 || burst >= COUNT_MASK) {
      throw new IllegalArgumentException("burst must be 1 to " + (COUNT_MASK - 1) + ": " + burst);
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive: " + interval);
    }
    this.burst = burst;
    this.intervalNanos = interval.toNanos();
    this.nanoClock = nanoClock;
    this.origin = nanoClock.getAsLong();
  }

  /**
   * Counts one failure and says whether to log it in full.
   *
   * @param failure the failure, kept as the last one when it is not logged in full
   * @return the decision
   */
  Decision acquire(Throwable failure) {
    long window = windowAt(nanoClock.getAsLong());
    while (true) {
      long s = state.get();
      long current = s >>> COUNT_BITS;
      long count = s & COUNT_MASK;
      long next;
      if (window > current) {
        next = window << COUNT_BITS | 1;
      } else if (count > burst) {
        // Past the burst (a clock read a moment late counts in the window that has begun).
        record(failure);
        return Decision.SUPPRESS;
      } else {
        next = s + 1;
      }
      if (state.compareAndSet(s, next)) {
        if ((next & COUNT_MASK) <= burst) {
          return Decision.LOG;
        }
        record(failure);
        return Decision.SUPPRESS_FIRST;
      }
    }
  }

  private void record(Throwable failure) {
    lastSuppressed = failure;
    suppressed.increment();
  }

  /**
   * Hands over the failures not logged in full since the last call and starts counting anew.
   * A failure counted while this runs is in this summary or in the next, never lost.
   *
   * @return the count and the last of them, or {@code null} when there were none
   */
  Suppressed takeSuppressed() {
    Throwable last = lastSuppressed;
    long count = suppressed.sumThenReset();
    return count == 0 ? null : new Suppressed(count, last);
  }

  /**
   * Time left in the current window: when its summary is due.
   *
   * @return nanoseconds until the window ends, at least 1
   */
  long nanosUntilWindowEnd() {
    long elapsed = nanoClock.getAsLong() - origin;
    return Math.max(1, intervalNanos - Math.floorMod(elapsed, intervalNanos));
  }

  /** The window length. */
  Duration interval() {
    return Duration.ofNanos(intervalNanos);
  }

  private long windowAt(long nanos) {
    return Math.max(0, Math.floorDiv(nanos - origin, intervalNanos));
  }
}
