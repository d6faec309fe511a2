package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.CloudEventSerializer;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.cloudevents.kafka.PartitionKeyExtensionInterceptor;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Records written by the official CloudEvents Java SDK, binary and structured, with and
 * without the partitioning extension, reach a Relaybus handler with every attribute, key and
 * data, and nothing is dead-lettered; Relaybus's own records read back with the same SDK.
 */
class KafkaCloudEventsInteropTest {
  private static final OffsetDateTime TIME =
      OffsetDateTime.of(2026, 12, 6, 8, 15, 30, 123_000_000, ZoneOffset.UTC);

  private static String topic() {
    return "ce-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  private static CloudEvent sdkEvent(String id, String partitionKey, String contentType,
      byte[] data) {
    CloudEventBuilder b = CloudEventBuilder.v1()
        .withId(id)
        .withSource(URI.create("urn:sdk:orders"))
        .withType("com.example.order.created")
        .withSubject("order-" + id)
        .withTime(TIME)
        .withDataSchema(URI.create("https://example.com/schemas/order.json"))
        .withDataContentType(contentType)
        .withData(data)
        .withExtension("tenant", "acme")
        .withExtension("traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    if (partitionKey != null) {
      // The CloudEvents partitioning extension (4.0.1 has no PartitioningExtension class).
      b.withExtension(PartitionKeyExtensionInterceptor.PARTITION_KEY_EXTENSION, partitionKey);
    }
    return b.build();
  }

  /** Sends with the SDK's serializer; no record key, so a key can only come from the event. */
  private static void sendWithSdk(String topic, Encoding encoding, List<CloudEvent> events) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers());
    config.put(CloudEventSerializer.ENCODING_CONFIG, encoding.name());
    config.put(CloudEventSerializer.EVENT_FORMAT_CONFIG, JsonFormat.CONTENT_TYPE);
    try (KafkaProducer<String, CloudEvent> producer = new KafkaProducer<>(config,
        new StringSerializer(), new CloudEventSerializer())) {
      for (CloudEvent e : events) {
        producer.send(new ProducerRecord<>(topic, e)).get();
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void assertReceived(Encoding encoding) {
    String topic = topic();
    byte[] json = "{\"order\":42,\"items\":[\"a\",\"b\"]}".getBytes(StandardCharsets.UTF_8);
    byte[] text = "plain text, not JSON".getBytes(StandardCharsets.UTF_8);
    byte[] binary = {0, 1, 2, (byte) 0xff, (byte) 0xfe};
    List<CloudEvent> sent = List.of(
        sdkEvent("e-1", null, "application/json", json),
        sdkEvent("e-2", "customer-7", "application/json", json),
        sdkEvent("e-3", "customer-8", "text/plain", text),
        sdkEvent("e-4", null, "application/octet-stream", binary));
    List<Event> received = new CopyOnWriteArrayList<>();
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "1")))) {
      bus.subscribe(topic, SubscribeOptions.builder().group("interop").build(),
          d -> received.add(d.event()));
      sendWithSdk(topic, encoding, sent);
      await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == sent.size()
          || bus.deadLetters().count(topic, "interop") > 0);
      assertThat(bus.deadLetters().list(topic, "interop", 10)).isEmpty();
    }
    for (int i = 0; i < sent.size(); i++) {
      CloudEvent s = sent.get(i);
      Event r = received.get(i);
      assertThat(r.id()).isEqualTo(s.getId());
      assertThat(r.source()).isEqualTo("urn:sdk:orders");
      assertThat(r.type()).isEqualTo("com.example.order.created");
      assertThat(r.subject()).contains("order-" + s.getId());
      assertThat(r.time()).isEqualTo(TIME.toInstant());
      assertThat(r.dataSchema()).contains("https://example.com/schemas/order.json");
      assertThat(r.dataContentType()).contains(s.getDataContentType());
      assertThat(r.headers()).containsExactlyInAnyOrderEntriesOf(Map.of("tenant", "acme",
          "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
      assertThat(r.key()).isEqualTo(Optional.ofNullable(
          (String) s.getExtension(PartitionKeyExtensionInterceptor.PARTITION_KEY_EXTENSION)));
      if (s.getDataContentType().equals("application/json")) {
        assertThat(r.dataAsText()).isEqualToIgnoringWhitespace(
            new String(json, StandardCharsets.UTF_8));
      } else {
        assertThat(r.data()).isEqualTo(s.getData().toBytes());
      }
    }
  }

  @Test
  void binaryModeRecordsOfTheSdkAreHandledWithEveryAttributeAndThePartitionKey() {
    assertReceived(Encoding.BINARY);
  }

  @Test
  void structuredModeRecordsOfTheSdkAreHandledWithEveryAttributeAndThePartitionKey() {
    assertReceived(Encoding.STRUCTURED);
  }

  @Test
  void binaryHeadersCeDatacontenttypeAndCePartitionkeyMapToTheEnvelope() {
    String topic = topic();
    List<Event> received = new CopyOnWriteArrayList<>();
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "1")));
        KafkaProducer<byte[], byte[]> raw = rawProducer()) {
      bus.subscribe(topic, SubscribeOptions.builder().group("raw").build(),
          d -> received.add(d.event()));
      ProducerRecord<byte[], byte[]> withoutKey = new ProducerRecord<>(topic, null,
          "{}".getBytes(StandardCharsets.UTF_8));
      ProducerRecord<byte[], byte[]> withKey = new ProducerRecord<>(topic,
          "record-key".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8));
      for (ProducerRecord<byte[], byte[]> r : List.of(withoutKey, withKey)) {
        EventRecords.put(r.headers(), "ce_specversion", "1.0");
        EventRecords.put(r.headers(), "ce_id", UUID.randomUUID().toString());
        EventRecords.put(r.headers(), "ce_source", "urn:raw");
        EventRecords.put(r.headers(), "ce_type", "raw");
        EventRecords.put(r.headers(), "ce_datacontenttype", "application/json");
        EventRecords.put(r.headers(), "ce_partitionkey", "header-key");
        raw.send(r).get();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == 2
          || bus.deadLetters().count(topic, "raw") > 0);
      assertThat(bus.deadLetters().list(topic, "raw", 10)).isEmpty();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(received).allSatisfy(e -> {
      assertThat(e.dataContentType()).contains("application/json");
      assertThat(e.headers()).isEmpty();
    });
    assertThat(received.get(0).key()).contains("header-key");
    assertThat(received.get(1).key()).contains("record-key");
  }

  @Test
  void relaybusRecordsReadBackWithTheSdkCarryEveryAttribute() throws Exception {
    String topic = topic();
    Event event = Event.builder().source("urn:relaybus").type("order.created")
        .subject("order-9").time(Instant.parse("2026-12-06T08:15:30.123456Z"))
        .dataSchema("https://example.com/schemas/order.json").key("customer-9")
        .header("tenant", "acme").json(Map.of("order", 9)).build();
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "1")))) {
      bus.publish(topic, event).join();
    }
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "sdk-reader",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new org.apache.kafka.common.serialization.StringDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return !records.isEmpty();
      });
    }
    CloudEvent read = KafkaMessageFactory.createReader(records.get(0)).toEvent();
    assertThat(read.getId()).isEqualTo(event.id());
    assertThat(read.getSpecVersion().toString()).isEqualTo("1.0");
    assertThat(read.getSource()).isEqualTo(URI.create("urn:relaybus"));
    assertThat(read.getType()).isEqualTo("order.created");
    assertThat(read.getSubject()).isEqualTo("order-9");
    assertThat(read.getTime().toInstant()).isEqualTo(event.time());
    assertThat(read.getDataSchema()).isEqualTo(URI.create("https://example.com/schemas/order.json"));
    assertThat(read.getDataContentType()).isEqualTo(event.dataContentType().orElseThrow());
    assertThat(read.getExtension("tenant")).isEqualTo("acme");
    assertThat(records.get(0).key()).isEqualTo("customer-9");
    assertThat(read.getData().toBytes()).isEqualTo(event.data());
  }

  private static KafkaProducer<byte[], byte[]> rawProducer() {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());
  }
}
