package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.BusClosedException;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.kafka.schema.JsonSchemaValidator;
import io.relaybus.kafka.schema.ReaderSchema;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.testing.KafkaBroker;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Kafka transport's own operations refuse a closed bus like the core API does. */
class KafkaClosedBusTest {
  private static final Schema ORDER = Schema.json("""
      {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}""");

  @Test
  @DisplayName("partition and schema operations on a closed bus throw BusClosedException naming "
      + "the topic")
  void closedBusRefusesTransportOperations() {
    String topic = "closed-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of()));
    KafkaTransport kafka = bus.unwrap(KafkaTransport.class);
    bus.publish(topic, Event.builder().source("urn:test").type("t").key("k").build()).join();
    ReaderSchema reader = ReaderSchema.of(ORDER, new JsonSchemaValidator());
    bus.close();

    assertThatThrownBy(() -> kafka.partitionCount(topic)).isInstanceOf(BusClosedException.class)
        .hasMessage("Cannot count the partitions of topic '" + topic
            + "': the kafka event bus is closed");
    assertThatThrownBy(() -> kafka.increasePartitions(topic, 4))
        .isInstanceOf(BusClosedException.class)
        .hasMessage("Cannot increase the partitions of topic '" + topic
            + "': the kafka event bus is closed");
    assertThatThrownBy(() -> kafka.useSchema(topic, ORDER)).isInstanceOf(BusClosedException.class)
        .hasMessage("Cannot declare the schema of topic '" + topic
            + "': the kafka event bus is closed");
    assertThatThrownBy(() -> kafka.readWith(topic, reader)).isInstanceOf(BusClosedException.class)
        .hasMessage("Cannot declare the reader schema of topic '" + topic
            + "': the kafka event bus is closed");
  }
}
