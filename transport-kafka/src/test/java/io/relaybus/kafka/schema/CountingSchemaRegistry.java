package io.relaybus.kafka.schema;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real registry wrapped to count {@link #register} calls per subject and schema (tests only).
 */
public final class CountingSchemaRegistry implements SchemaRegistry {
  private final SchemaRegistry delegate;
  private final Map<String, AtomicInteger> registers = new ConcurrentHashMap<>();

  /**
   * Wraps a registry.
   *
   * @param delegate the registry that answers
   */
  public CountingSchemaRegistry(SchemaRegistry delegate) {
    this.delegate = delegate;
  }

  private static String key(String subject, Schema schema) {
    return subject + " " + schema.type() + " " + schema.text();
  }

  /**
   * How often {@link #register} was called with this subject and schema.
   *
   * @param subject the subject
   * @param schema the schema
   * @return the count, failed calls included
   */
  public int registers(String subject, Schema schema) {
    AtomicInteger n = registers.get(key(subject, schema));
    return n == null ? 0 : n.get();
  }

  /**
   * How often {@link #register} was called in all.
   *
   * @return the count, failed calls included
   */
  public int registers() {
    return registers.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public int register(String subject, Schema schema) {
    registers.computeIfAbsent(key(subject, schema), k -> new AtomicInteger()).incrementAndGet();
    return delegate.register(subject, schema);
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
    return delegate.deleteSubject(subject);
  }
}
