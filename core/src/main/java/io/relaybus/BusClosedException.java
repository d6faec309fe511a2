package io.relaybus;

/** Thrown when publishing or subscribing on an {@link EventBus} that has been closed. */
public class BusClosedException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message explanation naming the operation and the transport
   */
  public BusClosedException(String message) {
    super(message);
  }
}
