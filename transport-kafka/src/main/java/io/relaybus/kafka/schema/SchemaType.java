package io.relaybus.kafka.schema;

/**
 * The schema languages a Confluent-compatible registry knows. Relaybus validates and checks
 * compatibility of {@link #JSON} schemas; {@link #AVRO} and {@link #PROTOBUF} schema text is
 * carried through untouched when a registry returns it.
 */
public enum SchemaType {
  /** JSON Schema (the registry API's {@code "JSON"}). */
  JSON,
  /** Apache Avro (the registry API's default when {@code schemaType} is absent). */
  AVRO,
  /** Protocol Buffers. */
  PROTOBUF;

  /**
   * Parses the registry API's {@code schemaType} field, where an absent value means Avro.
   *
   * @param value the field value, or null when absent
   * @return the type
   * @throws IllegalArgumentException if the value is not {@code JSON}, {@code AVRO} or {@code
   *     PROTOBUF}
   */
  public static SchemaType fromRegistryField(String value) {
    if (value == null || value.isEmpty()) {
      return AVRO;
    }
    try {
      return valueOf(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Unknown schemaType '" + value
          + "'; expected JSON, AVRO or PROTOBUF", e);
    }
  }
}
