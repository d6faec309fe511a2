package io.relaybus.ops;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A webhook endpoint as an operator sees it.
 *
 * @param name the endpoint's name
 * @param url where it is delivered to
 * @param topics the topics it subscribes to
 * @param enabled whether deliveries are sent (a disabled endpoint keeps them pending)
 * @param breaker the circuit breaker's state: {@code closed}, {@code open} or {@code half-open}
 * @param pending deliveries waiting for it
 * @param recentAttempts its latest delivery attempts, newest first
 */
public record EndpointStatus(String name, String url, List<String> topics, boolean enabled,
    String breaker, long pending, List<Attempt> recentAttempts) {

  /**
   * One delivery attempt.
   *
   * @param eventId the event delivered
   * @param at when the attempt started
   * @param attempt its number for this event, from 1
   * @param status the HTTP status, or 0 when no response came
   * @param latencyMillis how long until the response or the failure
   * @param error what went wrong, empty for a 2xx response
   */
  public record Attempt(String eventId, Instant at, int attempt, int status,
      long latencyMillis, Optional<String> error) {

    /**
     * Validates the components.
     *
     * @param eventId the event
     * @param at the start
     * @param attempt the attempt number
     * @param status the status
     * @param latencyMillis the latency
     * @param error the error
     */
    public Attempt {
      Objects.requireNonNull(eventId, "eventId");
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(error, "error");
    }
  }

  /**
   * Validates the components.
   *
   * @param name the name
   * @param url the URL
   * @param topics the topics
   * @param enabled whether enabled
   * @param breaker the breaker state
   * @param pending the pending deliveries
   * @param recentAttempts the attempts
   */
  public EndpointStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(url, "url");
    topics = List.copyOf(topics);
    Objects.requireNonNull(breaker, "breaker");
    recentAttempts = List.copyOf(recentAttempts);
  }
}
