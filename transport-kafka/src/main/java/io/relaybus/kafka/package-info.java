/**
 * The Apache Kafka transport ({@code relaybus.transport=kafka}): keyed partitions, consumer
 * groups with commit-after-handling, dead-letter topics, explicit partition increases and a
 * partition-count advisor. Configuration: {@link io.relaybus.kafka.KafkaSettings}; guide:
 * {@code docs/kafka.md}.
 */
package io.relaybus.kafka;
