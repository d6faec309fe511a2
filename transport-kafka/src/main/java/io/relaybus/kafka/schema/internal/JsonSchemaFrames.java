package io.relaybus.kafka.schema.internal;

import io.relaybus.kafka.schema.IncompatibleSchemaException;
import io.relaybus.kafka.schema.InvalidFrameException;
import io.relaybus.kafka.schema.InvalidPayloadException;
import io.relaybus.kafka.schema.InvalidSchemaException;
import io.relaybus.kafka.schema.JsonSchemaValidator;
import io.relaybus.kafka.schema.ReaderSchema;
import io.relaybus.kafka.schema.RegistryUnavailableException;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.SchemaNotFoundException;
import io.relaybus.kafka.schema.SchemaRegistry;
import io.relaybus.kafka.schema.SchemaRegistryException;
import io.relaybus.kafka.schema.SchemaType;
import io.relaybus.kafka.schema.UnreadablePayloadException;
import io.relaybus.kafka.schema.WireFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The schema steps of the Kafka publish and consume paths, in one place: on publish, register the
 * schema (once, cached), validate the JSON payload and frame it with the schema id; on consume,
 * unframe, resolve the writer schema by id (cached) and validate the payload against it or
 * against the consumer's narrower {@link ReaderSchema}.
 *
 * <p>Publish failures happen before anything is sent. Consume failures that retrying cannot fix
 * are {@link io.relaybus.DecodingException}s ({@link InvalidFrameException}, {@link
 * UnreadablePayloadException}), which the bus dead-letters; registry failures are {@link
 * SchemaRegistryException}s ({@link RegistryUnavailableException} is worth retrying).
 *
 * <p>Not API: the transport's own steps, in a package its module does not export. Thread-safe.
 */
public final class JsonSchemaFrames {

  private final SchemaRegistry registry;
  private final JsonSchemaValidator validator;
  /**
   * Ids of the schemas this instance registered, per subject and schema. Registering is
   * idempotent and an id never changes, so nothing is ever evicted; a registration that failed
   * leaves no entry and is tried again on the next publish. Bounded by the (subject, schema)
   * pairs the application publishes with.
   */
  private final Map<Registration, Integer> registered = new ConcurrentHashMap<>();

  /** A cache key: the subject and the schema registered under it. */
  private record Registration(String subject, Schema schema) {}

  /**
   * Creates the frames helper.
   *
   * @param registry where schemas are registered and resolved
   * @param validator validates payloads (share one per application for its cache)
   */
  public JsonSchemaFrames(SchemaRegistry registry, JsonSchemaValidator validator) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.validator = Objects.requireNonNull(validator, "validator");
  }

  /**
   * A consumed frame: the writer's schema id and schema, and the payload.
   *
   * @param schemaId the writer schema id
   * @param writerSchema the writer schema, as the registry returned it
   * @param payload the JSON payload bytes (a copy, owned by the caller)
   */
  public record Decoded(int schemaId, Schema writerSchema, byte[] payload) {
    /**
     * Validates the components.
     *
     * @param schemaId the id
     * @param writerSchema the schema, not null
     * @param payload the payload, not null
     */
    public Decoded {
      Objects.requireNonNull(writerSchema, "writerSchema");
      Objects.requireNonNull(payload, "payload");
    }
  }

  /**
   * Registers the schema under the subject (the first time only: the id is cached per subject
   * and schema by this instance, and a failed registration is tried again next time), validates
   * the payload and returns the wire-format frame.
   *
   * @param subject the subject, e.g. {@code order-created-value}
   * @param schema the producer's JSON schema
   * @param json the payload, UTF-8 JSON
   * @return the frame to send as the record value
   * @throws InvalidPayloadException if the payload does not match the schema
   * @throws IncompatibleSchemaException if the schema breaks the subject's compatibility level
   * @throws InvalidSchemaException if the schema is not a valid JSON Schema
   * @throws RegistryUnavailableException if the registry cannot be reached
   */
  public byte[] encode(String subject, Schema schema, byte[] json) {
    Objects.requireNonNull(json, "json");
    int id = register(subject, schema);
    List<JsonSchemaValidator.Violation> violations = validator.validate(schema, json);
    if (!violations.isEmpty()) {
      throw new InvalidPayloadException(subject, violations);
    }
    return WireFormat.encode(id, json);
  }

  /**
   * The schema's id under the subject: the registry is asked the first time only (it parses,
   * canonicalises and checks compatibility, or makes an HTTP call), later publishes cost a map
   * lookup. Not {@code computeIfAbsent}: a slow registry call must not block other subjects.
   */
  private int register(String subject, Schema schema) {
    Registration key = new Registration(Objects.requireNonNull(subject, "subject"),
        Objects.requireNonNull(schema, "schema"));
    Integer known = registered.get(key);
    if (known != null) {
      return known;
    }
    int id = registry.register(subject, schema); // throws: nothing cached, nothing framed
    registered.putIfAbsent(key, id);
    return id;
  }

  /**
   * Unframes a record value and validates its payload against the writer's schema.
   *
   * @param frame the record value
   * @return the schema id, writer schema and payload
   * @throws InvalidFrameException if the bytes are not a wire-format frame
   * @throws UnreadablePayloadException if the payload does not match the writer's schema
   * @throws SchemaNotFoundException if the registry does not know the id
   * @throws RegistryUnavailableException if the registry cannot be reached
   */
  public Decoded decode(byte[] frame) {
    return decode(frame, null);
  }

  /**
   * Unframes a record value and validates its payload against the consumer's reader schema
   * instead of the writer's (a narrower schema reads payloads with more properties).
   *
   * @param frame the record value
   * @param reader the consumer's schema, or null to validate against the writer's
   * @return the schema id, writer schema and payload
   * @throws InvalidFrameException if the bytes are not a wire-format frame
   * @throws UnreadablePayloadException if the payload does not match the schema it is read with
   * @throws SchemaNotFoundException if the registry does not know the id
   * @throws RegistryUnavailableException if the registry cannot be reached
   */
  public Decoded decode(byte[] frame, ReaderSchema reader) {
    WireFormat.Frame decoded = WireFormat.decode(frame);
    Schema writer = registry.schemaById(decoded.schemaId());
    byte[] payload = decoded.payloadBytes();
    List<JsonSchemaValidator.Violation> violations;
    String against;
    if (reader != null) {
      violations = reader.validate(payload);
      against = "the consumer's reader schema";
    } else if (writer.type() == SchemaType.JSON) {
      violations = validator.validate(writer, payload);
      against = "its writer schema";
    } else {
      throw new UnreadablePayloadException(decoded.schemaId(), "a JSON schema: the writer schema"
          + " is " + writer.type(), List.of(new JsonSchemaValidator.Violation("$", "schemaType",
          "$: schema id " + decoded.schemaId() + " is a " + writer.type() + " schema; this"
          + " consumer reads JSON Schema payloads only")));
    }
    if (!violations.isEmpty()) {
      throw new UnreadablePayloadException(decoded.schemaId(), against, violations);
    }
    return new Decoded(decoded.schemaId(), writer, payload);
  }
}
