package io.relaybus.kafka.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates JSON payloads against JSON Schemas with the networknt validator. Compiled schemas are
 * cached by schema text, so validating many payloads against one schema compiles it once.
 *
 * <p>A schema without {@code $schema} is read as draft-07, the default of Confluent's JSON Schema
 * serializers; drafts 4, 6, 7, 2019-09 and 2020-12 are recognised through {@code $schema}. Schemas
 * are checked against their draft's meta-schema before use, so {@code {"type": "strnig"}} is an
 * {@link InvalidSchemaException}, not a validator that rejects everything.
 *
 * <p>Thread-safe; create one per application and share it.
 */
public final class JsonSchemaValidator {

  /** Beyond this many distinct schemas the cache is cleared rather than grown without bound. */
  private static final int MAX_CACHED_SCHEMAS = 1024;

  private static final SpecificationVersion DEFAULT_DIALECT = SpecificationVersion.DRAFT_7;

  // Paths as JSON paths ($.address.zip); $ref never fetches over the network: a schema from a
  // registry must not make every consumer call out to arbitrary URLs.
  private final com.networknt.schema.SchemaRegistry factory =
      com.networknt.schema.SchemaRegistry.withDefaultDialect(DEFAULT_DIALECT, builder -> builder
          .schemaRegistryConfig(SchemaRegistryConfig.builder().pathType(PathType.JSON_PATH)
              .build())
          .schemaLoader(loader -> loader.fetchRemoteResources(false)));
  private final Map<String, com.networknt.schema.Schema> compiled = new ConcurrentHashMap<>();
  private final Map<SpecificationVersion, com.networknt.schema.Schema> metaSchemas =
      new ConcurrentHashMap<>();

  /** Creates a validator with an empty cache. */
  public JsonSchemaValidator() {}

  /**
   * One reason a payload does not match a schema.
   *
   * @param path where in the payload, as a JSON path such as {@code $.address.zip}
   * @param keyword the schema keyword that failed, e.g. {@code required} or {@code type}
   * @param message a readable description including the path
   */
  public record Violation(String path, String keyword, String message) {
    /**
     * Validates the components.
     *
     * @param path the path, not null
     * @param keyword the keyword, not null
     * @param message the message, not null
     */
    public Violation {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(keyword, "keyword");
      Objects.requireNonNull(message, "message");
    }

    /**
     * The message, for logs and dead-letter reasons.
     *
     * @return the message
     */
    @Override
    public String toString() {
      return message;
    }
  }

  /**
   * Checks that a schema is a valid JSON Schema and compiles it into the cache.
   *
   * @param schema the schema, of type JSON
   * @throws InvalidSchemaException if the text is not JSON, breaks its draft's meta-schema, or the
   *     validator cannot compile it
   * @throws IllegalArgumentException if the schema is not of type JSON
   */
  public void check(Schema schema) {
    compile(schema, null);
  }

  /**
   * Checks that a schema is a valid JSON Schema, naming the subject in the exception.
   *
   * @param schema the schema, of type JSON
   * @param subject the subject it is registered under, for the message
   * @throws InvalidSchemaException as {@link #check(Schema)}
   */
  void check(Schema schema, String subject) {
    compile(schema, subject);
  }

  /**
   * Validates a parsed payload.
   *
   * @param schema the schema, of type JSON
   * @param payload the payload
   * @return the violations, empty when valid
   * @throws InvalidSchemaException if the schema is not a valid JSON Schema
   */
  public List<Violation> validate(Schema schema, JsonNode payload) {
    Objects.requireNonNull(payload, "payload");
    return violations(compile(schema, null).validate(payload));
  }

  /**
   * Validates a UTF-8 JSON payload, e.g. a wire-format frame's payload bytes.
   *
   * @param schema the schema, of type JSON
   * @param utf8Json the payload bytes
   * @return the violations, empty when valid; a single violation at {@code $} with keyword
   *     {@code json} when the bytes are not JSON
   * @throws InvalidSchemaException if the schema is not a valid JSON Schema
   */
  public List<Violation> validate(Schema schema, byte[] utf8Json) {
    Objects.requireNonNull(utf8Json, "utf8Json");
    com.networknt.schema.Schema compiledSchema = compile(schema, null);
    JsonNode payload;
    try {
      payload = JsonSchemaDocuments.MAPPER.readTree(utf8Json);
    } catch (JsonProcessingException e) {
      return List.of(new Violation("$", "json", "$: payload is not valid JSON: "
          + e.getOriginalMessage()));
    } catch (IOException e) {
      return List.of(new Violation("$", "json", "$: payload is not readable: " + e.getMessage()));
    }
    if (payload == null || payload.isMissingNode()) {
      return List.of(new Violation("$", "json", "$: payload is empty"));
    }
    return violations(compiledSchema.validate(payload));
  }

  private com.networknt.schema.Schema compile(Schema schema, String subject) {
    Objects.requireNonNull(schema, "schema");
    if (schema.type() != SchemaType.JSON) {
      throw new IllegalArgumentException("JsonSchemaValidator validates JSON schemas only, got "
          + schema.type());
    }
    com.networknt.schema.Schema cached = compiled.get(schema.text());
    if (cached != null) {
      return cached;
    }
    JsonNode node = JsonSchemaDocuments.parse(schema.text(), subject);
    SpecificationVersion dialect = DEFAULT_DIALECT;
    JsonNode declared = node.path("$schema");
    if (declared.isTextual()) {
      dialect = SpecificationVersion.fromDialectId(declared.textValue()).orElseThrow(() ->
          new InvalidSchemaException(JsonSchemaDocuments.where(subject) + "unknown $schema '"
              + declared.textValue() + "'; supported: drafts 4, 6, 7, 2019-09 and 2020-12",
              subject, null));
    }
    List<Error> metaErrors = metaSchema(dialect).validate(node);
    if (!metaErrors.isEmpty()) {
      List<String> problems = new ArrayList<>();
      for (Error error : metaErrors) {
        problems.add(error.getInstanceLocation() + ": " + error.getMessage());
      }
      throw new InvalidSchemaException(JsonSchemaDocuments.where(subject) + "not a valid "
          + dialect + " schema: " + String.join("; ", problems), subject, null);
    }
    com.networknt.schema.Schema result;
    try {
      result = factory.getSchema(node);
      result.initializeValidators();
    } catch (SchemaException e) {
      throw new InvalidSchemaException(JsonSchemaDocuments.where(subject) + e.getMessage(),
          subject, e);
    }
    if (compiled.size() >= MAX_CACHED_SCHEMAS) {
      compiled.clear();
    }
    compiled.put(schema.text(), result);
    return result;
  }

  private com.networknt.schema.Schema metaSchema(SpecificationVersion dialect) {
    return metaSchemas.computeIfAbsent(dialect, d -> {
      com.networknt.schema.Schema meta = factory.getSchema(SchemaLocation.of(d.getDialectId()));
      meta.initializeValidators();
      return meta;
    });
  }

  private static List<Violation> violations(List<Error> errors) {
    if (errors.isEmpty()) {
      return List.of();
    }
    List<Violation> result = new ArrayList<>(errors.size());
    for (Error error : errors) {
      String path = String.valueOf(error.getInstanceLocation());
      String keyword = error.getKeyword() == null ? "" : error.getKeyword();
      result.add(new Violation(path, keyword, error.toString()));
    }
    return List.copyOf(result);
  }

  private static final int MAX_LISTED_VIOLATIONS = 10;

  /** A headline followed by the first violations' messages, one a line. */
  static String describe(String headline, List<JsonSchemaValidator.Violation> violations) {
    StringBuilder sb = new StringBuilder(headline).append(':');
    int listed = 0;
    for (JsonSchemaValidator.Violation violation : violations) {
      if (listed++ == MAX_LISTED_VIOLATIONS) {
        sb.append("\n  - ... and ").append(violations.size() - MAX_LISTED_VIOLATIONS)
            .append(" more");
        break;
      }
      sb.append("\n  - ").append(violation.message());
    }
    return sb.toString();
  }
}
