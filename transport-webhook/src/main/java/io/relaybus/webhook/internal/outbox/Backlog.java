package io.relaybus.webhook.internal.outbox;

import java.time.Duration;
import java.time.Instant;

/**
 * The pending deliveries of one route for one topic.
 *
 * @param depth how many
 * @param oldest when the oldest was written to the outbox (published, or replayed), or
 *     {@code null} when there is none
 * @param now the store's time when it was read, so the age does not depend on this process's
 *     clock
 */
public record Backlog(long depth, Instant oldest, Instant now) {

  /**
   * How long the oldest delivery has waited.
   *
   * @return the age, {@link Duration#ZERO} when none waits
   */
  public Duration age() {
    if (oldest == null || oldest.isAfter(now)) {
      return Duration.ZERO;
    }
    return Duration.between(oldest, now);
  }
}
