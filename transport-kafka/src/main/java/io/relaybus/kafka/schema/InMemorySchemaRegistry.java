package io.relaybus.kafka.schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A schema registry in memory, behaving like a Confluent-compatible REST registry: ids are global
 * and start at 1, the same schema under two subjects keeps its id, versions count 1..n per
 * subject, registering is idempotent, JSON schemas are checked against their meta-schema and
 * against the subject's compatibility level before registering, and failures throw the same
 * exceptions (with the same error codes) as {@link ConfluentSchemaRegistryClient}.
 *
 * <p>For tests and for embedded use where producers and consumers share one JVM. Only JSON
 * schemas are analysed; Avro and Protobuf text is stored and returned untouched, with only a
 * change of schema type counted as incompatible. The global level starts at BACKWARD, as in
 * Confluent's registry.
 *
 * <p>Thread-safe: writes are serialised, {@link #schemaById(int)} does not lock.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {

  private final JsonSchemaValidator validator;
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
  private final Map<String, Integer> idsByContent = new HashMap<>();
  private final Map<String, List<Stored>> subjects = new TreeMap<>();
  private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
  private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;
  private int nextId = 1;

  private record Stored(RegisteredSchema registered, String content) {}

  /** Creates an empty registry with its own validator. */
  public InMemorySchemaRegistry() {
    this(new JsonSchemaValidator());
  }

  /**
   * Creates an empty registry sharing a validator (and its compiled-schema cache).
   *
   * @param validator the validator used to check JSON schemas
   */
  public InMemorySchemaRegistry(JsonSchemaValidator validator) {
    this.validator = Objects.requireNonNull(validator, "validator");
  }

  @Override
  public int register(String subject, Schema schema) {
    requireSubject(subject);
    Objects.requireNonNull(schema, "schema");
    String content = content(schema, subject);
    synchronized (this) {
      List<Stored> versions = subjects.getOrDefault(subject, List.of());
      for (Stored stored : versions) {
        if (stored.content().equals(content)) {
          return stored.registered().id();
        }
      }
      CompatibilityLevel level = compatibility(subject);
      List<String> reasons = JsonSchemaCompatibility.check(level, schema, registered(versions));
      if (!reasons.isEmpty()) {
        throw new IncompatibleSchemaException(subject, level, reasons, 409);
      }
      Integer id = idsByContent.get(content);
      if (id == null) {
        id = nextId++;
        idsByContent.put(content, id);
        schemasById.put(id, schema);
      }
      int version = versions.isEmpty() ? 1
          : versions.get(versions.size() - 1).registered().version() + 1;
      List<Stored> updated = new ArrayList<>(versions);
      updated.add(new Stored(new RegisteredSchema(subject, id, version, schemasById.get(id)),
          content));
      subjects.put(subject, updated);
      return id;
    }
  }

  @Override
  public Schema schemaById(int id) {
    Schema schema = schemasById.get(id);
    if (schema == null) {
      throw new SchemaNotFoundException("Schema id " + id + " not found", null);
    }
    return schema;
  }

  @Override
  public synchronized RegisteredSchema latest(String subject) {
    List<Stored> versions = existing(subject);
    return versions.get(versions.size() - 1).registered();
  }

  @Override
  public synchronized RegisteredSchema version(String subject, int version) {
    for (Stored stored : existing(subject)) {
      if (stored.registered().version() == version) {
        return stored.registered();
      }
    }
    throw new VersionNotFoundException("Version " + version + " not found under subject '"
        + subject + "'", subject);
  }

  @Override
  public synchronized List<Integer> versions(String subject) {
    List<Integer> versions = new ArrayList<>();
    for (Stored stored : existing(subject)) {
      versions.add(stored.registered().version());
    }
    return List.copyOf(versions);
  }

  @Override
  public synchronized List<String> subjects() {
    return List.copyOf(subjects.keySet());
  }

  @Override
  public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
    requireSubject(subject);
    String content = content(schema, subject);
    synchronized (this) {
      for (Stored stored : subjects.getOrDefault(subject, List.of())) {
        if (stored.content().equals(content)) {
          return Optional.of(stored.registered());
        }
      }
      return Optional.empty();
    }
  }

  @Override
  public CompatibilityResult testCompatibility(String subject, Schema schema) {
    requireSubject(subject);
    content(schema, subject);
    synchronized (this) {
      List<Stored> versions = subjects.getOrDefault(subject, List.of());
      return CompatibilityResult.of(JsonSchemaCompatibility.check(compatibility(subject), schema,
          registered(versions)));
    }
  }

  @Override
  public synchronized CompatibilityLevel compatibility() {
    return globalLevel;
  }

  @Override
  public synchronized void setCompatibility(CompatibilityLevel level) {
    globalLevel = Objects.requireNonNull(level, "level");
  }

  @Override
  public synchronized CompatibilityLevel compatibility(String subject) {
    requireSubject(subject);
    return subjectLevels.getOrDefault(subject, globalLevel);
  }

  @Override
  public synchronized void setCompatibility(String subject, CompatibilityLevel level) {
    requireSubject(subject);
    subjectLevels.put(subject, Objects.requireNonNull(level, "level"));
  }

  @Override
  public synchronized List<Integer> deleteSubject(String subject) {
    List<Integer> deleted = versions(subject);
    subjects.remove(subject);
    return deleted;
  }

  private List<Stored> existing(String subject) {
    requireSubject(subject);
    List<Stored> versions = subjects.get(subject);
    if (versions == null) {
      throw new SubjectNotFoundException("Subject '" + subject + "' not found", subject);
    }
    return versions;
  }

  private static List<RegisteredSchema> registered(List<Stored> versions) {
    List<RegisteredSchema> result = new ArrayList<>(versions.size());
    for (Stored stored : versions) {
      result.add(stored.registered());
    }
    return result;
  }

  /** The identity registries dedupe by: JSON by parsed content, other types by exact text. */
  private String content(Schema schema, String subject) {
    Objects.requireNonNull(schema, "schema");
    if (schema.type() == SchemaType.JSON) {
      validator.check(schema, subject);
      return "JSON:" + JsonSchemaDocuments.parse(schema.text(), subject);
    }
    return schema.type() + ":" + schema.text();
  }

  static void requireSubject(String subject) {
    Objects.requireNonNull(subject, "subject");
    if (subject.isBlank()) {
      throw new IllegalArgumentException("subject must not be blank");
    }
  }
}
