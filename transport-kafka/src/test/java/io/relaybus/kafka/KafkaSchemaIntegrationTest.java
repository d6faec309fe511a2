package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.schema.InMemorySchemaRegistry;
import io.relaybus.kafka.schema.InvalidPayloadException;
import io.relaybus.kafka.schema.Schema;
import io.relaybus.kafka.schema.SchemaRegistryException;
import io.relaybus.kafka.schema.WireFormat;
import io.relaybus.kafka.testing.KafkaBroker;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Schemas on the Kafka path: publish validates and frames with the schema id (invalid or
 * registry down: nothing sent); consume unframes and validates (bad frame or invalid payload:
 * dead letter).
 */
class KafkaSchemaIntegrationTest {
  private static final Schema ORDER = Schema.json("""
      {"type": "object",
       "properties": {"id": {"type": "string"}, "quantity": {"type": "integer"}},
       "required": ["id", "quantity"]}
      """);
  private static final byte[] VALID = "{\"id\":\"o-1\",\"quantity\":2}"
      .getBytes(StandardCharsets.UTF_8);
  private static final byte[] INVALID = "{\"id\":\"o-2\"}".getBytes(StandardCharsets.UTF_8);

  private final KafkaBroker broker = KafkaBroker.shared();

  private static String topic(String hint) {
    return hint + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  private EventBus bus(InMemorySchemaRegistry registry, Map<String, String> extra) {
    Map<String, String> config = new HashMap<>(Map.of(
        "relaybus.kafka.schema.validate-on-produce", "true",
        "relaybus.kafka.schema.validate-on-consume", "true",
        "relaybus.kafka.partitions", "1"));
    config.putAll(extra);
    EventBus.Builder b = EventBus.builder().properties(broker.busConfig(config));
    if (registry != null) {
      b.provider(KafkaTransportProvider.withSchemaRegistry(registry));
    }
    return b.build();
  }

  private static Event order(byte[] json) {
    return Event.builder().source("urn:shop").type("order.created")
        .dataContentType("application/json").data(json).build();
  }

  private List<ConsumerRecord<byte[], byte[]>> raw(String topic) {
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers());
    List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        c.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  @Test
  void publishFramesWithTheSchemaIdAndConsumersGetThePlainJson() {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    String topic = topic("schema-ok");
    List<Event> received = new CopyOnWriteArrayList<>();
    try (EventBus bus = bus(registry, Map.of())) {
      bus.unwrap(KafkaTransport.class).useSchema(topic, ORDER);
      bus.subscribe(topic, SubscribeOptions.group(topic + "-g"), d -> received.add(d.event()));
      Event sent = order(VALID);
      bus.publish(topic, sent).join();

      int id = registry.latest(topic + "-value").id();
      byte[] value = raw(topic).get(0).value();
      assertThat(value[0]).as("magic byte").isZero();
      assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).as("schema id").isEqualTo(id);
      assertThat(WireFormat.decode(value).payloadBytes()).isEqualTo(VALID);

      await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == 1);
      assertThat(received.get(0)).isEqualTo(sent);
      assertThat(received.get(0).data()).isEqualTo(VALID);
    }
  }

  @Test
  void invalidPayloadFailsThePublishAndNothingOfTheBatchIsSent() {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    String topic = topic("schema-invalid");
    try (EventBus bus = bus(registry, Map.of())) {
      bus.unwrap(KafkaTransport.class).useSchema(topic, ORDER);
      bus.publish(topic, order(VALID)).join();
      assertThatThrownBy(() -> bus.publishAll(topic, List.of(order(VALID), order(INVALID),
          order(VALID))).join())
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(InvalidPayloadException.class)
          .hasMessageContaining(topic + "-value").hasMessageContaining("quantity");
      assertThat(raw(topic)).as("records on the topic").hasSize(1);
    }
  }

  @Test
  void withoutADeclaredSchemaTheSubjectsLatestSchemaIsUsed() {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    String topic = topic("schema-latest");
    try (EventBus bus = bus(registry, Map.of())) {
      assertThatThrownBy(() -> bus.publish(topic, order(VALID)).join())
          .hasMessageContaining(topic + "-value").hasMessageContaining("no schema");
      int id = registry.register(topic + "-value", ORDER);
      bus.publish(topic, order(VALID)).join();
      assertThat(WireFormat.decode(raw(topic).get(0).value()).schemaId()).isEqualTo(id);
      assertThatThrownBy(() -> bus.publish(topic, order(INVALID)).join())
          .hasCauseInstanceOf(InvalidPayloadException.class);
    }
  }

  @Test
  void badFramesAndInvalidPayloadsAreDeadLetteredAndTheGroupContinues() throws Exception {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    String topic = topic("schema-consume");
    List<String> handled = new CopyOnWriteArrayList<>();
    try (EventBus bus = bus(registry, Map.of())) {
      KafkaTransport kafka = bus.unwrap(KafkaTransport.class);
      kafka.useSchema(topic, ORDER);
      int id = registry.register(topic + "-value", ORDER);
      bus.subscribe(topic, SubscribeOptions.group(topic + "-g"), d -> handled.add(d.event().id()));
      Event unframed = order(VALID);
      Event invalid = order(INVALID);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        // a producer that skipped framing, and one that framed a payload the schema refuses
        producer.send(EventRecords.toRecord(topic, unframed, null, SchemaFraming.NONE)).get();
        ProducerRecord<byte[], byte[]> r = EventRecords.toRecord(topic, invalid, null,
            SchemaFraming.NONE);
        producer.send(new ProducerRecord<>(topic, null, r.key(), WireFormat.encode(id, INVALID),
            r.headers())).get();
      }
      Event good = order(VALID);
      bus.publish(topic, good).join();

      await().atMost(Duration.ofSeconds(60)).until(() -> handled.contains(good.id()));
      await().atMost(Duration.ofSeconds(60)).until(() ->
          bus.deadLetters().count(topic, topic + "-g") == 2);
      List<DeadLetter> dls = bus.deadLetters().list(topic, topic + "-g", 10);
      assertThat(dls).extracting(DeadLetter::reason).containsOnly(DeadLetterReason.UNDECODABLE);
      assertThat(dls).extracting(d -> d.event().id())
          .containsExactlyInAnyOrder(unframed.id(), invalid.id());
      assertThat(dls).anySatisfy(d -> assertThat(d.lastError()).contains("InvalidFrameException"));
      assertThat(dls).anySatisfy(d -> assertThat(d.lastError())
          .contains("UnreadablePayloadException").contains("quantity"));
      // The bus decided these dead letters: it counts the attempt it gave up at, the first.
      assertThat(dls).extracting(DeadLetter::attempts).containsOnly(1);
      assertThat(handled).containsExactly(good.id());
    }
  }

  @Test
  void unreadableRecordsGoThroughTheBusWhichDropsThemWhenDeadLettersAreOff() throws Exception {
    InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    String topic = topic("schema-nodl");
    String group = topic + "-g";
    List<String> handled = new CopyOnWriteArrayList<>();
    try (EventBus bus = bus(registry, Map.of())) {
      KafkaTransport kafka = bus.unwrap(KafkaTransport.class);
      kafka.useSchema(topic, ORDER);
      bus.subscribe(topic, SubscribeOptions.builder().group(group).deadLetters(false).build(),
          d -> handled.add(d.event().id()));
      // One key: the bus hands the later event over only once it is done with the earlier one.
      Event unframed = Event.builder().source("urn:shop").type("order.created").key("o-1")
          .dataContentType("application/json").data(VALID).build();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        producer.send(EventRecords.toRecord(topic, unframed, null, SchemaFraming.NONE)).get();
      }
      Event good = Event.builder().source("urn:shop").type("order.created").key("o-1")
          .dataContentType("application/json").data(VALID).build();
      bus.publish(topic, good).join();

      await().atMost(Duration.ofSeconds(60)).until(() -> handled.contains(good.id()));
      // Only the bus knows that this subscription turned dead letters off: it drops the
      // unreadable record, and no dead letter is stored.
      assertThat(bus.deadLetters().count(topic, group)).isZero();
      assertThat(handled).containsExactly(good.id());
    }
  }

  @Test
  void unreachableRegistryFailsThePublishWithAClearErrorAndNothingIsSent() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + closedPort;
    String topic = topic("schema-down");
    try (EventBus bus = bus(null, Map.of("relaybus.kafka.schema-registry.url", url))) {
      bus.unwrap(KafkaTransport.class).useSchema(topic, ORDER);
      assertThatThrownBy(() -> bus.publishAll(topic, List.of(order(VALID), order(VALID))).join())
          .hasCauseInstanceOf(SchemaRegistryException.class)
          .hasMessageContaining("127.0.0.1:" + closedPort);
      assertThat(raw(topic)).as("records on the topic").isEmpty();
    }
  }
}
