package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.PublishReceipt;
import io.relaybus.kafka.schema.CountingSchemaRegistry;
import io.relaybus.kafka.schema.InMemorySchemaRegistry;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.testing.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Publishing with schemas registers each (subject, schema) once per transport, not once per
 * event: the id is cached after the first successful registration.
 */
class KafkaSchemaRegistrationTest {
  private static final Schema ORDER = Schema.json("""
      {"type": "object",
       "properties": {"id": {"type": "string"}, "quantity": {"type": "integer"}},
       "required": ["id", "quantity"]}
      """);

  @Test
  void aThousandPublishesRegisterEachSubjectsSchemaOnce() {
    CountingSchemaRegistry registry = new CountingSchemaRegistry(new InMemorySchemaRegistry());
    String topic = "schema-once-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (EventBus bus = EventBus.builder().properties(KafkaBroker.shared().busConfig(Map.of(
            "relaybus.kafka.schema.validate-on-produce", "true",
            "relaybus.kafka.schema.subject-strategy", "topic-record",
            "relaybus.kafka.partitions", "1")))
        .provider(KafkaTransportProvider.withSchemaRegistry(registry)).build()) {
      bus.unwrap(KafkaTransport.class).useSchema(topic, ORDER);
      List<CompletableFuture<?>> sends = new ArrayList<>();
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        Event e = order(i % 2 == 0 ? "order.created" : "order.paid", i);
        if (i < 500) {
          sends.add(bus.publish(topic, e));
        } else {
          batch.add(e);
          if (batch.size() == 50) {
            sends.add(bus.publishAll(topic, List.copyOf(batch)));
            batch.clear();
          }
        }
      }
      int stored = 0;
      for (CompletableFuture<?> f : sends) {
        Object r = f.join();
        stored += r instanceof List<?> l ? l.size() : r instanceof PublishReceipt ? 1 : 0;
      }
      assertThat(stored).isEqualTo(1_000);
    }
    assertThat(registry.registers(topic + "-order.created", ORDER)).isEqualTo(1);
    assertThat(registry.registers(topic + "-order.paid", ORDER)).isEqualTo(1);
    assertThat(registry.registers()).isEqualTo(2);
  }

  private static Event order(String type, int i) {
    return Event.builder().source("urn:shop").type(type).dataContentType("application/json")
        .data(("{\"id\":\"o-" + i + "\",\"quantity\":" + i + "}")
            .getBytes(StandardCharsets.UTF_8)).build();
  }
}
