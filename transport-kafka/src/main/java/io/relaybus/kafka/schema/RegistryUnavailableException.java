package io.relaybus.kafka.schema;

/**
 * The registry could not be reached or did not answer in time: connection refused, DNS failure,
 * connect or request timeout, or an interrupted request. The message names the URL. Nothing was
 * registered as far as the client knows; retrying later is safe because registering is
 * idempotent.
 */
public class RegistryUnavailableException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the URL
   * @param subject the subject of the request, or null
   * @param cause the I/O failure
   */
  public RegistryUnavailableException(String message, String subject, Throwable cause) {
    super(message, 0, 0, subject, cause);
  }
}
