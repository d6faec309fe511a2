package io.relaybus;

import java.time.Duration;

/**
 * A running subscription: one member of a consumer group. Close it to leave the group.
 */
public interface Subscription extends AutoCloseable {

  /**
   * The subscribed topic.
   *
   * @return the topic
   */
  String topic();

  /**
   * The consumer group this member belongs to.
   *
   * @return the group
   */
  String group();

  /**
   * The effective options, every setting filled.
   *
   * @return the options
   */
  SubscribeOptions options();

  /**
   * How many events this member holds fetched but unfinished: running, queued, or waiting for a
   * retry. Never above {@link SubscribeOptions#maxInFlight()}.
   *
   * @return the in-flight count
   */
  int inFlight();

  /**
   * Tells whether {@link #close()} has been called.
   *
   * @return {@code true} once closing started
   */
  boolean isClosed();

  /**
   * Closes with the options' close timeout; see {@link #close(Duration)}.
   */
  @Override
  void close();

  /**
   * Leaves the group gracefully: stops fetching, releases queued events and events waiting for
   * a retry back to the group without handling them, waits up to {@code timeout} for running
   * handlers and records their results, then releases the transport's resources. Handlers still
   * running at the timeout are interrupted and their events are redelivered. No handler
   * invocation starts after this method begins. Idempotent and safe from any thread,
   * including a handler of this subscription (then it does not wait for itself).
   *
   * @param timeout how long to wait for running handlers
   */
  void close(Duration timeout);
}
