package io.relaybus.spi;

/** The transport's side of one group member. */
public interface TransportSubscription {

  /**
   * Stops handing messages to the sink. After this returns, the transport submits nothing
   * more. Messages already submitted are still acked, dead-lettered or released through their
   * own methods.
   */
  void stopFetching();

  /**
   * Releases the member's resources (connections, threads) after the bus has finished every
   * submitted message. Idempotent.
   */
  void close();
}
