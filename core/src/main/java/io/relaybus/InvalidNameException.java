package io.relaybus;

/**
 * Thrown when a topic or group name breaks the naming rule {@code [A-Za-z0-9._-]{1,200}}, or
 * when a name a transport derives from them (such as a Kafka dead-letter topic) would break
 * that transport's limits. Names are checked before they reach SQL, a Kafka client or a URL.
 */
public class InvalidNameException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message explanation naming the kind of name, the (abbreviated) value and the rule
   */
  public InvalidNameException(String message) {
    super(message);
  }
}
