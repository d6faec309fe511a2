package io.relaybus.kafka.schema;

import io.relaybus.EncodingException;
import java.util.List;

/**
 * A payload about to be published does not match its schema, so nothing was sent. The message
 * names the subject and lists each violation with its JSON path.
 */
public class InvalidPayloadException extends EncodingException {
  private static final long serialVersionUID = 1L;

  private final String subject;
  private final List<JsonSchemaValidator.Violation> violations;

  /**
   * Creates the exception.
   *
   * @param subject the subject the payload was published under
   * @param violations why the payload does not match, not empty
   */
  public InvalidPayloadException(String subject, List<JsonSchemaValidator.Violation> violations) {
    super(JsonSchemaValidator.describe("Payload for subject '" + subject
        + "' does not match its schema; nothing was sent", violations), null);
    this.subject = subject;
    this.violations = List.copyOf(violations);
  }

  /**
   * The subject the payload was published under.
   *
   * @return the subject
   */
  public String subject() {
    return subject;
  }

  /**
   * The violations, each with its JSON path.
   *
   * @return an immutable, non-empty list
   */
  public List<JsonSchemaValidator.Violation> violations() {
    return violations;
  }
}
