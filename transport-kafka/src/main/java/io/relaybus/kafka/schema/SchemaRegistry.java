package io.relaybus.kafka.schema;

import java.util.List;
import java.util.Optional;

/**
 * What the Kafka transport needs from a Confluent-compatible schema registry. Implementations:
 * {@link ConfluentSchemaRegistryClient} (REST; Confluent, Apicurio {@code /apis/ccompat/v7},
 * Karapace, Redpanda) and {@link InMemorySchemaRegistry} (tests and embedded use). Both behave
 * the same and throw the same exceptions; all are thread-safe.
 *
 * <p>Every method throws {@link RegistryUnavailableException} when a remote registry cannot be
 * reached, and a plain {@link SchemaRegistryException} (with HTTP status and error code) for any
 * failure without a more specific class.
 */
public interface SchemaRegistry {

  /**
   * Registers a schema under a subject after checking it against the subject's compatibility
   * level, or returns the id it already has. Idempotent: registering the same schema again
   * returns the same id and creates no new version; the same schema under another subject keeps
   * its id.
   *
   * @param subject the subject, e.g. {@code order-created-value}
   * @param schema the schema
   * @return the registry-wide schema id to write into the wire format
   * @throws IncompatibleSchemaException if the schema breaks the subject's compatibility level
   * @throws InvalidSchemaException if the schema text is not a valid schema
   */
  int register(String subject, Schema schema);

  /**
   * Finds a schema by its id. Clients cache the answer: ids never change meaning.
   *
   * @param id the id from a wire-format frame
   * @return the schema
   * @throws SchemaNotFoundException if no schema has that id
   */
  Schema schemaById(int id);

  /**
   * The latest version registered under a subject.
   *
   * @param subject the subject
   * @return the latest version
   * @throws SubjectNotFoundException if the subject does not exist
   */
  RegisteredSchema latest(String subject);

  /**
   * One version of a subject.
   *
   * @param subject the subject
   * @param version the version, from 1
   * @return that version
   * @throws SubjectNotFoundException if the subject does not exist
   * @throws VersionNotFoundException if the subject has no such version
   */
  RegisteredSchema version(String subject, int version);

  /**
   * The versions registered under a subject.
   *
   * @param subject the subject
   * @return the versions in ascending order, not empty
   * @throws SubjectNotFoundException if the subject does not exist
   */
  List<Integer> versions(String subject);

  /**
   * The subjects that exist.
   *
   * @return the subject names, sorted
   */
  List<String> subjects();

  /**
   * Whether a schema is registered under a subject, and as which version.
   *
   * @param subject the subject
   * @param schema the schema to look for (JSON compared by content, not whitespace)
   * @return the registered version, or empty when the subject does not exist or does not hold
   *     the schema
   */
  Optional<RegisteredSchema> lookup(String subject, Schema schema);

  /**
   * Checks a schema against the subject's compatibility level without registering it. A subject
   * with no versions accepts any valid schema.
   *
   * @param subject the subject
   * @param schema the candidate schema
   * @return compatible or not, with reasons where the registry gives them
   * @throws InvalidSchemaException if the schema text is not a valid schema
   */
  CompatibilityResult testCompatibility(String subject, Schema schema);

  /**
   * The global compatibility level, used by subjects without their own.
   *
   * @return the level
   */
  CompatibilityLevel compatibility();

  /**
   * Sets the global compatibility level.
   *
   * @param level the new level
   */
  void setCompatibility(CompatibilityLevel level);

  /**
   * The level that applies to a subject: its own if set, else the global one.
   *
   * @param subject the subject
   * @return the effective level
   */
  CompatibilityLevel compatibility(String subject);

  /**
   * Sets a subject's own compatibility level (the subject need not exist yet).
   *
   * @param subject the subject
   * @param level the new level
   */
  void setCompatibility(String subject, CompatibilityLevel level);

  /**
   * Deletes a subject and all its versions, permanently. Schema ids stay resolvable while any
   * other subject uses them (a REST registry may keep them resolvable longer).
   *
   * @param subject the subject
   * @return the versions that were deleted
   * @throws SubjectNotFoundException if the subject does not exist
   */
  List<Integer> deleteSubject(String subject);
}
