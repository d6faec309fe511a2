package io.relaybus.kafka.schema;

import io.relaybus.DecodingException;
import java.util.List;

/**
 * A consumed payload does not match the schema it is read with (the writer's schema, or the
 * consumer's {@link ReaderSchema}). It is a {@link DecodingException}: reading the same bytes again
 * cannot succeed, so the bus dead-letters the record with this message as the reason.
 */
public class UnreadablePayloadException extends DecodingException {
  private static final long serialVersionUID = 1L;

  private final int schemaId;
  private final List<JsonSchemaValidator.Violation> violations;

  /**
   * Creates the exception.
   *
   * @param schemaId the writer schema id from the frame
   * @param against which schema the payload was validated against, for the message
   * @param violations why the payload does not match, not empty
   */
  public UnreadablePayloadException(int schemaId, String against,
      List<JsonSchemaValidator.Violation> violations) {
    super(JsonSchemaValidator.describe("Payload written with schema id " + schemaId
        + " does not match " + against, violations), null);
    this.schemaId = schemaId;
    this.violations = List.copyOf(violations);
  }

  /**
   * The writer schema id from the frame.
   *
   * @return the id
   */
  public int schemaId() {
    return schemaId;
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
