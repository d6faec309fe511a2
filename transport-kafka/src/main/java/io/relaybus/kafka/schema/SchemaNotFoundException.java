package io.relaybus.kafka.schema;

/**
 * No schema has the requested id, or the schema is not registered under the subject (registry error code 40403).
 */
public class SchemaNotFoundException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was not found or refused, naming the subject
   * @param subject the subject involved, or null
   */
  public SchemaNotFoundException(String message, String subject) {
    super(message, 404, 40403, subject, null);
  }
}
