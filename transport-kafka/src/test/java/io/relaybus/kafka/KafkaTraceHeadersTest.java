package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The W3C trace context of an event travels as the plain {@code traceparent} and {@code
 * tracestate} record headers that Kafka tools and the OpenTelemetry Kafka instrumentation read,
 * besides the CloudEvents {@code ce_traceparent}; a record of another producer that carries only
 * the plain headers hands them to the event.
 */
class KafkaTraceHeadersTest {
  private static final String TRACEPARENT =
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String OTHER_TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private static String topic() {
    return "trace-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  }

  private static String text(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static ConsumerRecord<byte[], byte[]> received(ProducerRecord<byte[], byte[]> r) {
    return new ConsumerRecord<>(r.topic(), 0, 0L, 0L, TimestampType.CREATE_TIME, -1, -1,
        r.key(), r.value(), r.headers(), Optional.empty());
  }

  @Test
  void theEventsOwnContextWinsOverPlainHeadersAnotherInstrumentationReplaced() {
    Event e = Event.builder().source("urn:x").type("t").header("traceparent", TRACEPARENT)
        .header("tracestate", "vendor=1").build();
    ProducerRecord<byte[], byte[]> r = EventRecords.toRecord("t", e, null, SchemaFraming.NONE);
    assertThat(text(r.headers(), "traceparent")).isEqualTo(TRACEPARENT);
    assertThat(text(r.headers(), "tracestate")).isEqualTo("vendor=1");
    assertThat(text(r.headers(), "ce_traceparent")).isEqualTo(TRACEPARENT);

    // What a Kafka client instrumentation does to the record in the producing process.
    r.headers().remove("traceparent");
    r.headers().add("traceparent", OTHER_TRACEPARENT.getBytes(StandardCharsets.UTF_8));
    assertThat(EventRecords.toEvent(received(r), SchemaFraming.NONE)).isEqualTo(e);
  }

  @Test
  void anEventWithoutTraceContextGetsNoTraceHeaders() {
    Event e = Event.builder().source("urn:x").type("t").header("tenant", "acme").build();
    ProducerRecord<byte[], byte[]> r = EventRecords.toRecord("t", e, null, SchemaFraming.NONE);
    assertThat(r.headers().lastHeader("traceparent")).isNull();
    assertThat(r.headers().lastHeader("tracestate")).isNull();
  }

  @Test
  void aStructuredModeRecordWithOnlyPlainHeadersCarriesThemIntoTheEvent() {
    RecordHeaders headers = new RecordHeaders();
    headers.add("content-type", "application/cloudevents+json".getBytes(StandardCharsets.UTF_8));
    headers.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
    byte[] json = ("{\"specversion\":\"1.0\",\"id\":\"s-1\",\"source\":\"urn:other\","
        + "\"type\":\"t\"}").getBytes(StandardCharsets.UTF_8);
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("t", 0, 0L, 0L,
        TimestampType.CREATE_TIME, -1, -1, null, json, headers, Optional.empty());
    assertThat(EventRecords.toEvent(r, SchemaFraming.NONE).headers())
        .containsExactlyEntriesOf(Map.of("traceparent", TRACEPARENT));
  }

  @Test
  void aMalformedPlainTraceparentIsIgnoredAndTheRecordStillDecodes() {
    Event e = Event.builder().source("urn:x").type("t").build();
    ProducerRecord<byte[], byte[]> r = EventRecords.toRecord("t", e, null, SchemaFraming.NONE);
    r.headers().add("traceparent", "not\u0001a traceparent".getBytes(StandardCharsets.UTF_8));
    r.headers().add("tracestate", "x=1".getBytes(StandardCharsets.UTF_8));
    assertThat(EventRecords.toEvent(received(r), SchemaFraming.NONE)).isEqualTo(e);
  }

  @Test
  void aPlainKafkaConsumerReadsTheTraceHeaderInW3cFormat() {
    String topic = topic();
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "1")))) {
      bus.publish(topic, Event.builder().source("urn:x").type("t")
          .header("traceparent", TRACEPARENT).header("tracestate", "vendor=1").build()).join();
    }
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "plain-" + topic,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return !records.isEmpty();
      });
      String traceparent = text(records.get(0).headers(), "traceparent");
      assertThat(traceparent).isEqualTo(TRACEPARENT)
          .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
      assertThat(text(records.get(0).headers(), "tracestate")).isEqualTo("vendor=1");
    }
  }

  @Test
  void aRecordOfAnotherProducerWithATraceparentHeaderReachesTheHandlerWithIt() {
    String topic = topic();
    List<Event> received = new CopyOnWriteArrayList<>();
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "1")))) {
      bus.subscribe(topic, SubscribeOptions.builder().group("g").build(),
          d -> received.add(d.event()));
      RecordHeaders headers = new RecordHeaders();
      headers.add("ce_specversion", "1.0".getBytes(StandardCharsets.UTF_8));
      headers.add("ce_id", "p-1".getBytes(StandardCharsets.UTF_8));
      headers.add("ce_source", "urn:plain".getBytes(StandardCharsets.UTF_8));
      headers.add("ce_type", "t".getBytes(StandardCharsets.UTF_8));
      headers.add("ce_time", Instant.now().toString().getBytes(StandardCharsets.UTF_8));
      headers.add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.shared().bootstrapServers()),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        producer.send(new ProducerRecord<byte[], byte[]>(topic, null, null, (byte[]) null,
            headers)).get();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> !received.isEmpty());
    }
    assertThat(received.get(0).headers()).containsExactlyEntriesOf(
        Map.of("traceparent", TRACEPARENT));
  }
}
