package io.relaybus.webhook;

import java.util.List;
import java.util.Optional;

/**
 * The runtime API of the sender's endpoints, from
 * {@code bus.unwrap(WebhookTransport.class).endpoints()}. Changes are stored in the outbox, so
 * with the JDBC outbox they reach every sender process on the same database. Thread-safe.
 * Once the bus is closed, every method throws {@link io.relaybus.BusClosedException}.
 */
public interface WebhookEndpoints {

  /**
   * Adds an endpoint, or replaces the one of the same name (its state and pending deliveries
   * are kept). Events published afterwards to its topics are delivered to it.
   *
   * @param endpoint the endpoint
   * @throws IllegalArgumentException when the name belongs to a consumer group route
   * @throws io.relaybus.webhook.net.BlockedEndpointException when the SSRF guard refuses the
   *     URL (a private, loopback or link-local IP literal or {@code localhost} not allowed by
   *     {@code relaybus.webhook.ssrf.*}); host names are checked again at every connect
   */
  void add(WebhookEndpoint endpoint);

  /**
   * Removes an endpoint and drops its pending deliveries (its dead letters stay).
   *
   * @param name the endpoint name
   * @return {@code true} when it existed
   */
  boolean remove(String name);

  /**
   * Lists the configured endpoints (consumer group routes are not listed).
   *
   * @return the endpoints with their state, sorted by name
   */
  List<EndpointStatus> list();

  /**
   * Looks one endpoint up.
   *
   * @param name the endpoint name
   * @return its status, if it exists
   */
  Optional<EndpointStatus> get(String name);

  /**
   * Enables an endpoint (also one disabled by a {@code 410 Gone}): its kept deliveries are sent.
   *
   * @param name the endpoint name
   * @throws IllegalArgumentException when no such endpoint exists
   */
  void enable(String name);

  /**
   * Disables an endpoint: nothing is sent to it, deliveries are kept.
   *
   * @param name the endpoint name
   * @throws IllegalArgumentException when no such endpoint exists
   */
  void disable(String name);

  /**
   * The recorded attempts to an endpoint, oldest first.
   *
   * @param name the endpoint name
   * @param limit the most returned
   * @return the attempts
   */
  List<DeliveryAttempt> attempts(String name, int limit);
}
