package io.relaybus.kafka.schema;

/**
 * The schema text is not a valid schema of its type: not JSON, not a JSON Schema, or refused by
 * the registry (registry error code 42201). Thrown both by registries and by the local {@link
 * JsonSchemaValidator} when it compiles a schema.
 */
public class InvalidSchemaException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong with the schema, naming the subject when there is one
   * @param subject the subject, or null for a schema checked outside a registry
   * @param cause the parser's or validator's failure, or null
   */
  public InvalidSchemaException(String message, String subject, Throwable cause) {
    super(message, 422, 42201, subject, cause);
  }
}
