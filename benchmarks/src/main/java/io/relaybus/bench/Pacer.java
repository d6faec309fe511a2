package io.relaybus.bench;

import java.util.concurrent.locks.LockSupport;

/**
 * A fixed-rate schedule of intended send times, start + i / rate. The publisher waits for each
 * intended time but never for a missed one: when it falls behind (a slow publish, a GC pause)
 * it sends at once, and latency is measured from the intended time, so the stall counts
 * against every event it delayed (no coordinated omission).
 *
 * <p>Parking overshoots by the OS timer slack (about 90 us at the median on a small VM), which
 * then shows in every latency. With a spin window the pacer parks only until that long before
 * the intended time and spins the rest: precise sends, at the price of a busy core.
 */
final class Pacer {
  private final long startNanos;
  private final double periodNanos;
  private final long spinNanos;
  private long index;

  Pacer(long startNanos, int ratePerSecond, long spinNanos) {
    if (ratePerSecond < 1) {
      throw new IllegalArgumentException("rate must be >= 1, got " + ratePerSecond);
    }
    this.startNanos = startNanos;
    this.periodNanos = 1_000_000_000d / ratePerSecond;
    this.spinNanos = Math.max(0, spinNanos);
  }

  /**
   * Waits until the next intended send time, unless it has passed, and returns it.
   *
   * @return the intended send time, in {@link System#nanoTime()} terms
   */
  long awaitNext() {
    long intended = startNanos + Math.round(index++ * periodNanos);
    long wait;
    while ((wait = intended - System.nanoTime()) > spinNanos) {
      LockSupport.parkNanos(wait - spinNanos);
    }
    while (intended - System.nanoTime() > 0) {
      Thread.onSpinWait();
    }
    return intended;
  }
}
