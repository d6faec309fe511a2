package io.relaybus.kafka.schema;

/**
 * The subject does not exist (registry error code 40401).
 */
public class SubjectNotFoundException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was not found or refused, naming the subject
   * @param subject the subject involved, or null
   */
  public SubjectNotFoundException(String message, String subject) {
    super(message, 404, 40401, subject, null);
  }
}
