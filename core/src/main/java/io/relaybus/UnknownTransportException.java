package io.relaybus;

/**
 * Thrown by {@link EventBus#create} when {@code relaybus.transport} names a transport that is
 * not on the classpath. The message names the transport it was most likely meant to be
 * ({@code postgress}: {@code postgres}), lists the transports that are on the classpath, and
 * names the artifact that provides the requested one when Relaybus knows it.
 */
public class UnknownTransportException extends ConfigurationException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the full explanation, naming the transport and the available ones
   */
  public UnknownTransportException(String message) {
    super(message);
  }
}
