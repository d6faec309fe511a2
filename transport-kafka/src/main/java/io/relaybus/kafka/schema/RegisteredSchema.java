package io.relaybus.kafka.schema;

import java.util.Objects;

/**
 * A schema as registered under a subject: its global id, its version inside the subject, and the
 * schema itself. Immutable.
 *
 * @param subject the subject, e.g. {@code order-created-value}
 * @param id the registry-wide id written into the wire format; the same schema registered under
 *     two subjects has one id
 * @param version the version inside the subject, counting from 1
 * @param schema the schema
 */
public record RegisteredSchema(String subject, int id, int version, Schema schema) {

  /**
   * Validates the components.
   *
   * @param subject the subject, not null
   * @param id the schema id
   * @param version the version, at least 1
   * @param schema the schema, not null
   */
  public RegisteredSchema {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(schema, "schema");
    if (version < 1) {
      throw new IllegalArgumentException("version must be at least 1, was " + version);
    }
  }
}
