package io.relaybus.bench;

import io.relaybus.kafka.schema.CompatibilityLevel;
import io.relaybus.kafka.schema.CompatibilityResult;
import io.relaybus.kafka.schema.RegisteredSchema;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.SchemaRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory registry with {@link #register} answers cached per subject and schema, as
 * {@code ConfluentSchemaRegistryClient} caches them. The transport registers the schema on every
 * publish ({@code JsonSchemaFrames.encode}); {@code InMemorySchemaRegistry.register} parses and
 * canonicalises the schema text on each call, which a production (REST) registry client does
 * not, so without this cache the benchmark would measure the test registry, not the transport.
 */
final class CachingSchemaRegistry implements SchemaRegistry {
  private final SchemaRegistry delegate;
  private final Map<String, Map<Schema, Integer>> ids = new ConcurrentHashMap<>();

  CachingSchemaRegistry(SchemaRegistry delegate) {
    this.delegate = delegate;
  }

  @Override
  public int register(String subject, Schema schema) {
    return ids.computeIfAbsent(subject, s -> new ConcurrentHashMap<>())
        .computeIfAbsent(schema, s -> delegate.register(subject, s));
  }

  @Override
  public Schema schemaById(int id) {
    return delegate.schemaById(id);
  }

  @Override
  public RegisteredSchema latest(String subject) {
    return delegate.latest(subject);
  }

  @Override
  public RegisteredSchema version(String subject, int version) {
    return delegate.version(subject, version);
  }

  @Override
  public List<Integer> versions(String subject) {
    return delegate.versions(subject);
  }

  @Override
  public List<String> subjects() {
    return delegate.subjects();
  }

  @Override
  public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
    return delegate.lookup(subject, schema);
  }

  @Override
  public CompatibilityResult testCompatibility(String subject, Schema schema) {
    return delegate.testCompatibility(subject, schema);
  }

  @Override
  public CompatibilityLevel compatibility() {
    return delegate.compatibility();
  }

  @Override
  public void setCompatibility(CompatibilityLevel level) {
    delegate.setCompatibility(level);
  }

  @Override
  public CompatibilityLevel compatibility(String subject) {
    return delegate.compatibility(subject);
  }

  @Override
  public void setCompatibility(String subject, CompatibilityLevel level) {
    delegate.setCompatibility(subject, level);
  }

  @Override
  public List<Integer> deleteSubject(String subject) {
    ids.remove(subject);
    return delegate.deleteSubject(subject);
  }
}
