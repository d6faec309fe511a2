package io.relaybus.kafka.schema;

import java.util.Objects;

/**
 * A schema's type and text, as sent to and returned by a registry. Immutable.
 *
 * <p>Two schemas are equal when type and text are equal character for character; registries
 * compare JSON schemas by their parsed content, so re-registering the same JSON with different
 * whitespace still yields the same id.
 *
 * @param type the schema language
 * @param text the schema text (for JSON Schema, a JSON document)
 */
public record Schema(SchemaType type, String text) {

  /**
   * Validates the components.
   *
   * @param type the schema language, not null
   * @param text the schema text, not null, not blank
   */
  public Schema {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(text, "text");
    if (text.isBlank()) {
      throw new IllegalArgumentException("schema text must not be blank");
    }
  }

  /**
   * Creates a JSON Schema.
   *
   * @param text the JSON Schema document
   * @return the schema
   */
  public static Schema json(String text) {
    return new Schema(SchemaType.JSON, text);
  }

  /**
   * Shows the type and the text's length, not the text, to keep log lines short.
   *
   * @return a short description
   */
  @Override
  public String toString() {
    return "Schema[" + type + ", " + text.length() + " chars]";
  }
}
