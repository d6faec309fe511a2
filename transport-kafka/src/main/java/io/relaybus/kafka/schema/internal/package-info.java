/**
 * Not API (the module does not export it): {@link
 * io.relaybus.kafka.schema.internal.JsonSchemaFrames}, the schema steps the Kafka transport
 * runs on publish (register, validate, frame) and on consume (unframe, resolve the writer
 * schema, validate).
 */
package io.relaybus.kafka.schema.internal;
