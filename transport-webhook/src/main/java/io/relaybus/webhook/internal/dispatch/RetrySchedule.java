package io.relaybus.webhook.internal.dispatch;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When each attempt of a delivery is made: the n-th entry is the wait before attempt n (the first
 * is usually zero), so the schedule's length is the number of attempts. Each wait is spread by
 * a random jitter of ±{@code jitter} so that many failed deliveries do not retry in lock step.
 *
 * @param delays the wait before each attempt, at least one
 * @param jitter the spread, from 0 to 1
 */
public record RetrySchedule(List<Duration> delays, double jitter) {

  /** Standard Webhooks' schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
  public static final List<Duration> STANDARD = List.of(Duration.ZERO, Duration.ofSeconds(5),
      Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5),
      Duration.ofHours(10), Duration.ofHours(10));

  /**
   * Validates.
   *
   * @param delays the delays
   * @param jitter the jitter
   */
  public RetrySchedule {
    delays = List.copyOf(delays);
    if (delays.isEmpty()) {
      throw new IllegalArgumentException("a retry schedule needs at least one entry");
    }
    if (jitter < 0 || jitter > 1) {
      throw new IllegalArgumentException("jitter must be from 0 to 1, not " + jitter);
    }
  }

  /**
   * The number of attempts before a delivery is dead-lettered.
   *
   * @return the schedule's length
   */
  public int maxAttempts() {
    return delays.size();
  }

  /**
   * The wait after {@code failedAttempts} failed attempts, with jitter.
   *
   * @param failedAttempts from 1 to {@link #maxAttempts()} - 1
   * @return the wait
   */
  public Duration delayAfter(int failedAttempts) {
    Duration base = delays.get(Math.min(failedAttempts, delays.size() - 1));
    if (jitter == 0 || base.isZero()) {
      return base;
    }
    double factor = 1 + ThreadLocalRandom.current().nextDouble(-jitter, jitter);
    return Duration.ofNanos((long) (base.toNanos() * factor));
  }
}
