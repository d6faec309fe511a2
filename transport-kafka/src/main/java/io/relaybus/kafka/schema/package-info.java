/**
 * Schemas for the Kafka transport: the Confluent wire format ({@link
 * io.relaybus.kafka.schema.WireFormat}), the {@link io.relaybus.kafka.schema.SchemaRegistry}
 * contract with a REST client for Confluent-compatible registries ({@link
 * io.relaybus.kafka.schema.ConfluentSchemaRegistryClient}) and an in-memory registry ({@link
 * io.relaybus.kafka.schema.InMemorySchemaRegistry}), JSON Schema compatibility rules ({@link
 * io.relaybus.kafka.schema.JsonSchemaCompatibility}) and payload validation ({@link
 * io.relaybus.kafka.schema.JsonSchemaValidator}). {@link io.relaybus.kafka.schema.JsonSchemaFrames}
 * puts them together for the publish and consume paths.
 *
 * <p>Every exception thrown here is unchecked and extends {@link io.relaybus.RelaybusException};
 * registry failures extend {@link io.relaybus.kafka.schema.SchemaRegistryException} and name the
 * subject, id or version involved.
 */
package io.relaybus.kafka.schema;
