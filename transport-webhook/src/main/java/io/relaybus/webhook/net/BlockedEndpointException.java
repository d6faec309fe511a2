package io.relaybus.webhook.net;

import io.relaybus.RelaybusException;

/**
 * Thrown when a webhook endpoint URL is refused at registration: not {@code http}/{@code
 * https}, no host, or an IP literal in a category the {@link SsrfPolicy} refuses. Host names
 * are checked again on every connection ({@link SsrfGuardDns}).
 */
public final class BlockedEndpointException extends RelaybusException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is refused, naming the URL's host and the key that would allow it
   */
  public BlockedEndpointException(String message) {
    super(message);
  }
}
