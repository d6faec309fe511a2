package io.relaybus.kafka.schema;

/**
 * The subject exists but the requested version does not (registry error code 40402).
 */
public class VersionNotFoundException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was not found or refused, naming the subject
   * @param subject the subject involved, or null
   */
  public VersionNotFoundException(String message, String subject) {
    super(message, 404, 40402, subject, null);
  }
}
