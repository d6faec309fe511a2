package io.relaybus.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Counts handled messages down to zero and remembers when the last one was handled. */
final class Completion {
  private final long expected;
  private final AtomicLong remaining;
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile long finishedNanos;

  Completion(long expected) {
    this.expected = expected;
    this.remaining = new AtomicLong(expected);
  }

  /** Called by a consumer for every handled message. */
  void handled() {
    if (remaining.decrementAndGet() == 0) {
      finishedNanos = System.nanoTime();
      done.countDown();
    }
  }

  /**
   * Waits for the last message.
   *
   * @return the {@link System#nanoTime()} at which the last message was handled
   * @throws BenchmarkException when the timeout passes first, with the count reached
   */
  long await(Duration timeout, String what) {
    try {
      if (!done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new BenchmarkException(what + ": " + (expected - remaining.get()) + " of "
            + expected + " events handled within " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchmarkException(what + ": interrupted", e);
    }
    return finishedNanos;
  }
}
