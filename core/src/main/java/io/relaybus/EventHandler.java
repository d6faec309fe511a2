package io.relaybus;

/**
 * Handles deliveries of a subscription. Returning normally acknowledges the event; throwing
 * rejects it, and the subscription's {@link RetryPolicy} decides whether it is tried again or
 * dead-lettered. Called from the subscription's worker threads, up to its concurrency at once.
 */
@FunctionalInterface
public interface EventHandler {

  /**
   * Handles one delivery.
   *
   * @param delivery the event and its attempt
   * @throws Exception to reject the event
   */
  void handle(Delivery delivery) throws Exception;
}
