package io.relaybus.kafka.schema;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The schema a consumer declares for what it reads, usually narrower than the producer's: only the
 * properties it uses, with an open content model. It answers, once per writer schema, whether data
 * written with that schema can be read ({@link #canRead(int, Schema)}), and validates each payload
 * against the reader schema ({@link #validate(byte[])}).
 *
 * <p>Thread-safe; one instance per subscription.
 */
public final class ReaderSchema {

  private final Schema schema;
  private final JsonSchemaValidator validator;
  private final Map<Integer, CompatibilityResult> byWriterId = new ConcurrentHashMap<>();

  private ReaderSchema(Schema schema, JsonSchemaValidator validator) {
    this.schema = schema;
    this.validator = validator;
  }

  /**
   * Creates a reader schema, checking that it is a valid JSON Schema.
   *
   * @param schema the consumer's JSON Schema
   * @param validator the validator (and compiled-schema cache) to use
   * @return the reader schema
   * @throws InvalidSchemaException if the schema is not a valid JSON Schema
   * @throws IllegalArgumentException if the schema is not of type JSON
   */
  public static ReaderSchema of(Schema schema, JsonSchemaValidator validator) {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(validator, "validator");
    validator.check(schema);
    return new ReaderSchema(schema, validator);
  }

  /**
   * The consumer's schema.
   *
   * @return the schema
   */
  public Schema schema() {
    return schema;
  }

  /**
   * Whether every payload written with a writer schema is readable with this reader schema (the
   * compatibility rules of the registries, reader against writer); cached by schema id.
   *
   * @param writerId the writer schema's registry id, from the wire format
   * @param writer the writer schema, e.g. from {@link SchemaRegistry#schemaById(int)}
   * @return compatible, or the reasons with data paths
   */
  public CompatibilityResult canRead(int writerId, Schema writer) {
    Objects.requireNonNull(writer, "writer");
    return byWriterId.computeIfAbsent(writerId,
        id -> JsonSchemaCompatibility.canRead(schema, writer));
  }

  /**
   * Validates a payload against the reader schema.
   *
   * @param utf8Json the payload bytes (a wire-format frame's payload)
   * @return the violations, empty when the payload is readable
   */
  public List<JsonSchemaValidator.Violation> validate(byte[] utf8Json) {
    return validator.validate(schema, utf8Json);
  }
}
