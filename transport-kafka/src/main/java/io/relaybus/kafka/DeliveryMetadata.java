package io.relaybus.kafka;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A delivery's {@code kafka.topic}, {@code kafka.partition} and {@code kafka.offset}, built
 * only when a handler looks at them (most never do).
 */
final class DeliveryMetadata extends AbstractMap<String, String> {
  private final ConsumerRecord<?, ?> record;
  private Map<String, String> entries;

  DeliveryMetadata(ConsumerRecord<?, ?> record) {
    this.record = record;
  }

  @Override
  public Set<Map.Entry<String, String>> entrySet() {
    Map<String, String> e = entries;
    if (e == null) {
      e = Map.of("kafka.topic", record.topic(),
          "kafka.partition", Integer.toString(record.partition()),
          "kafka.offset", Long.toString(record.offset()));
      entries = e; // immutable and built the same each time: a racing second build is fine
    }
    return e.entrySet();
  }
}
