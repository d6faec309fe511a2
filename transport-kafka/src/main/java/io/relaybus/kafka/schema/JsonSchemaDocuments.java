package io.relaybus.kafka.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Parses JSON Schema text once, the same way for the registry, checker and validator. */
final class JsonSchemaDocuments {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonSchemaDocuments() {}

  /**
   * Parses schema text as a JSON Schema document: a JSON object or a boolean.
   *
   * @throws InvalidSchemaException naming the subject (may be null) and the parse error
   */
  static JsonNode parse(String text, String subject) {
    JsonNode node;
    try {
      node = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidSchemaException(where(subject) + "schema text is not valid JSON: "
          + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr(), subject, e);
    }
    if (node == null || !(node.isObject() || node.isBoolean())) {
      throw new InvalidSchemaException(where(subject) + "a JSON Schema must be a JSON object or"
          + " a boolean, got " + (node == null ? "nothing" : node.getNodeType()), subject, null);
    }
    return node;
  }

  static String where(String subject) {
    return subject == null ? "Invalid JSON Schema: " : "Invalid JSON Schema for subject '"
        + subject + "': ";
  }
}
