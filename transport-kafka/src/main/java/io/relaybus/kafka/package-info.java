/**
 * The Apache Kafka transport ({@code relaybus.transport=kafka}): keyed partitions, consumer
 * groups with commit-after-handling, dead-letter topics, explicit partition increases and a
 * partition-count advisor. Configuration: {@link io.relaybus.kafka.KafkaSettings}; guide:
 * {@code docs/kafka.md}.
 *
 * <p>Where the mechanisms are. Configuration: {@code KafkaSettings} (the transport's own keys)
 * and {@code KafkaClientProperties} (Kafka client and topic properties passed through).
 * Publishing: {@code KafkaTransport} (the shared producer),
 * {@code EventRecords} (event to record and back, CloudEvents binary mode; records of other
 * producers, with {@code io.relaybus.spi.CloudEventsJson} for structured mode) and
 * {@code SchemaFraming} (schema-id framing and validation). Topics: {@code TopicAdmin}. One
 * group member per subscription: {@code KafkaSubscription} (its poll thread: poll, hand
 * records to the bus, pause), {@code PartitionRebalance} (assignments, revokes, lost
 * partitions), {@code AssignedPartition} with its {@code PartitionBuffer} (fetched records
 * not yet handed out) and its {@code PositionTracker} of submitted messages,
 * {@code OffsetCommitter} (the offset after the finished prefix, with the attempts made on the
 * next event as commit metadata), {@code PollWakeups} (when the poll thread wakes),
 * {@code KafkaInboundMessage} (one record handed to the bus) and {@code DeadLetterWriter}
 * (stores the dead letters the bus decides, retrying while the commit waits). Dead-letter
 * topics: {@code KafkaDeadLetters}.
 */
package io.relaybus.kafka;
