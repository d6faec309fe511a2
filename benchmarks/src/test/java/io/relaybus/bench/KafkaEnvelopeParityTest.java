package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.relaybus.Event;
import io.relaybus.EventBus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The raw consumer that decodes the envelope in {@link KafkaConsumeBenchmark} (option
 * {@code --raw-envelope}) reads from a record the same attributes and data the Relaybus
 * subscriber gets, so the two sides of that comparison do the same job.
 */
class KafkaEnvelopeParityTest {

  @Test
  void theRawEnvelopeDecoderReadsWhatWasPublished() throws Exception {
    KafkaTarget target = new KafkaTarget();
    String topic = "bench-parity-" + System.nanoTime();
    Event sent = RelaybusSession.event(Payloads.json(Payloads.SIZE), System.nanoTime());
    try (EventBus bus = target.createBus(Map.of())) {
      bus.publish(topic, sent).join();
    }
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, target.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, topic);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    ConsumerRecord<byte[], byte[]> record = null;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (record == null && System.nanoTime() < deadline) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (!records.isEmpty()) {
          record = records.iterator().next();
        }
      }
    }
    assertThat(record).as("the published record").isNotNull();
    assertThat(record.value()[0]).as("schema frame's magic byte").isZero();

    KafkaConsumeBenchmark.Received received = KafkaConsumeBenchmark.Received.of(record);

    assertThat(received.id).isEqualTo(sent.id());
    assertThat(received.source).isEqualTo(sent.source());
    assertThat(received.type).isEqualTo(sent.type());
    assertThat(received.time).isEqualTo(sent.time());
    assertThat(received.contentType).isEqualTo(sent.dataContentType().orElseThrow());
    assertThat(received.data).isEqualTo(sent.data());
  }
}
