package io.relaybus.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What one measurement's {@link MessagingSession} works with.
 *
 * @param topic a topic (or queue) name used by this measurement only
 * @param payload the event data, the same bytes for every event and both sides
 * @param publishWindow how many publish futures may be outstanding before the publisher joins
 *     them
 * @param timeout the bound of every wait inside the session
 * @param settings transport settings given with {@code --set}
 */
public record SessionSpec(String topic, byte[] payload, int publishWindow, Duration timeout,
    Map<String, String> settings) {

  /**
   * Validates the components.
   *
   * @param topic the topic
   * @param payload the payload
   * @param publishWindow the window, at least 1
   * @param timeout the timeout
   * @param settings the settings
   */
  public SessionSpec {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(timeout, "timeout");
    settings = Map.copyOf(Objects.requireNonNull(settings, "settings"));
    if (publishWindow < 1) {
      throw new IllegalArgumentException("publishWindow must be >= 1, got " + publishWindow);
    }
  }
}
