package io.relaybus.spring.boot.internal;

import io.relaybus.RetryPolicy;
import io.relaybus.spi.Settings;
import java.time.Duration;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The retry policy of a listener that sets {@code maxAttempts}: that many attempts, with the
 * backoff the bus is configured with ({@code relaybus.retry.*}), so one annotation attribute
 * does not silently replace the rest of the application's retry settings.
 */
final class ListenerRetry {

  private ListenerRetry() {}

  /**
   * The policies for the bus's settings, read as the core reads them (already validated by it).
   *
   * @param settings the bus's settings
   * @return max attempts to policy
   */
  static IntFunction<RetryPolicy> from(Map<String, String> settings) {
    Settings.Reader r = Settings.of(settings).reader();
    RetryPolicy library = RetryPolicy.ofDefaults();
    Duration initial = r.duration("relaybus.retry.initial-delay", library.initialDelay(),
        Duration.ZERO, Duration.ofDays(1));
    Duration max = r.duration("relaybus.retry.max-delay", library.maxDelay(), Duration.ZERO,
        Duration.ofDays(1));
    double multiplier = r.decimal("relaybus.retry.multiplier", library.multiplier(), 1.0, 100.0);
    double jitter = r.decimal("relaybus.retry.jitter", library.jitter(), 0.0, 1.0);
    return attempts -> RetryPolicy.builder().maxAttempts(attempts)
        .backoff(initial, max, multiplier).jitter(jitter).build();
  }
}
