package io.relaybus.webhook.internal.dispatch;

import java.time.Duration;

/**
 * One endpoint's circuit breaker: after {@code threshold} consecutive failed attempts it opens
 * and no request is sent for {@code openFor}; then one probe request is let through
 * (half-open): its success closes the breaker, its failure opens it again. Thread-safe.
 */
final class CircuitBreaker {

  /** The breaker's state. */
  enum State {
    /** Requests flow. */
    CLOSED,
    /** No requests until the open period ends. */
    OPEN,
    /** One probe request is in flight. */
    HALF_OPEN
  }

  private final int threshold;
  private final long openForNanos;
  private State state = State.CLOSED;
  private int failures;
  private long openUntil;
  private long opened;

  /**
   * Creates a closed breaker.
   *
   * @param threshold consecutive failures that open it; 0 disables the breaker
   * @param openFor how long it stays open before a probe
   */
  CircuitBreaker(int threshold, Duration openFor) {
    this.threshold = threshold;
    this.openForNanos = openFor.toNanos();
  }

  /**
   * How many requests may start now; moves an expired open breaker to half-open and grants its
   * one probe.
   *
   * @param wanted how many the caller would start
   * @return from 0 to {@code wanted}
   */
  synchronized int permits(int wanted) {
    if (threshold == 0 || state == State.CLOSED) {
      return wanted;
    }
    if (state == State.OPEN && System.nanoTime() - openUntil >= 0) {
      state = State.HALF_OPEN;
      return Math.min(1, wanted);
    }
    return 0;
  }

  /**
   * The probe {@link #permits} granted was not sent (nothing was due, or the rate limit said
   * no): the breaker is open again with its open period over, so the next call grants the probe
   * again. Without this a half-open breaker with no probe in flight would refuse every request.
   * Call it only after a call of {@link #permits} that granted a request.
   */
  synchronized void probeNotSent() {
    if (state == State.HALF_OPEN) {
      state = State.OPEN;
    }
  }

  /** A request succeeded. */
  synchronized void success() {
    failures = 0;
    state = State.CLOSED;
  }

  /**
   * A request failed.
   *
   * @return {@code true} when this failure opened the breaker
   */
  synchronized boolean failure() {
    if (threshold == 0) {
      return false;
    }
    failures++;
    if (state == State.HALF_OPEN || (state == State.CLOSED && failures >= threshold)) {
      state = State.OPEN;
      openUntil = System.nanoTime() + openForNanos;
      opened++;
      return true;
    }
    return false;
  }

  /**
   * The current state.
   *
   * @return the state
   */
  synchronized State state() {
    return state;
  }

  /**
   * How often the breaker opened.
   *
   * @return the count
   */
  synchronized long timesOpened() {
    return opened;
  }
}
