package io.relaybus.kafka.schema;

/** Small JSON Schemas shared by the schema tests. */
final class TestSchemas {

  private TestSchemas() {}

  /** An order with a required id and name; closed content model. */
  static final Schema ORDER_V1 = Schema.json("""
      {"type": "object",
       "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
       "required": ["id", "name"],
       "additionalProperties": false}
      """);

  /** V1 plus an optional integer quantity; closed. */
  static final Schema ORDER_V2_OPTIONAL_QUANTITY = Schema.json("""
      {"type": "object",
       "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                      "quantity": {"type": "integer"}},
       "required": ["id", "name"],
       "additionalProperties": false}
      """);

  /** V1 plus a required quantity without default; closed. */
  static final Schema ORDER_V2_REQUIRED_QUANTITY = Schema.json("""
      {"type": "object",
       "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                      "quantity": {"type": "integer"}},
       "required": ["id", "name", "quantity"],
       "additionalProperties": false}
      """);

  /** V1 without the required name; closed. */
  static final Schema ORDER_V2_NAME_REMOVED = Schema.json("""
      {"type": "object",
       "properties": {"id": {"type": "string"}},
       "required": ["id"],
       "additionalProperties": false}
      """);

  /** V1 with id changed from string to integer. */
  static final Schema ORDER_V2_ID_INTEGER = Schema.json("""
      {"type": "object",
       "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
       "required": ["id", "name"],
       "additionalProperties": false}
      """);

  /** Something unrelated: other properties, other types, open content. */
  static final Schema UNRELATED = Schema.json("""
      {"$schema": "http://json-schema.org/draft-07/schema#",
       "type": "object",
       "properties": {"flags": {"type": "array", "items": {"type": "boolean"}}},
       "required": ["flags"]}
      """);

  /** Not even JSON. */
  static final Schema MALFORMED = Schema.json("{\"type\": \"object\"");
}
