package io.relaybus.bench;

/** Receives the stamp of each handled message, on a consumer thread. Must not throw. */
@FunctionalInterface
public interface StampListener {

  /**
   * Called once per handled message.
   *
   * @param stampNanos the stamp the publisher gave the message
   */
  void received(long stampNanos);
}
