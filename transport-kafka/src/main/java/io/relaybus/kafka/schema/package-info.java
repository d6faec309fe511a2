/**
 * Schemas for the Kafka transport, the API an application uses: the {@link
 * io.relaybus.kafka.schema.SchemaRegistry} contract with a REST client for Confluent-compatible
 * registries ({@link io.relaybus.kafka.schema.ConfluentSchemaRegistryClient}) and an in-memory
 * registry ({@link io.relaybus.kafka.schema.InMemorySchemaRegistry}), schemas and compatibility
 * levels, payload validation ({@link io.relaybus.kafka.schema.JsonSchemaValidator}), a
 * consumer's narrower {@link io.relaybus.kafka.schema.ReaderSchema}, and the Confluent wire
 * format ({@link io.relaybus.kafka.schema.WireFormat}). The JSON Schema compatibility rules live
 * in the package-private {@code JsonSchemaCompatibility}, which both registries and reader
 * schemas apply; the transport's publish and consume steps are in the unexported
 * {@code io.relaybus.kafka.schema.internal}.
 *
 * <p>Every exception thrown here is unchecked and extends {@link io.relaybus.RelaybusException};
 * registry failures extend {@link io.relaybus.kafka.schema.SchemaRegistryException} and name the
 * subject, id or version involved.
 */
package io.relaybus.kafka.schema;
