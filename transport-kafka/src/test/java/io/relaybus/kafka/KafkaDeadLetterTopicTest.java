package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.DeadLetter;
import io.relaybus.DeadLetterReason;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Dead letters are ordinary Kafka records with headers other tools can read. */
class KafkaDeadLetterTopicTest {

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic,
      int expected) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        c.poll(Duration.ofMillis(200)).forEach(records::add);
        return records.size() >= expected;
      });
    }
    return records;
  }

  @Test
  void deadLetterRecordsCarryReasonAttemptsErrorAndOriginAndPoisonRecordsDoNotStall() {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = "dlq-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    String group = "billing";
    List<String> handled = new CopyOnWriteArrayList<>();
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.partitions", "1")))) {
      bus.subscribe(topic, SubscribeOptions.builder().group(group)
          .retryPolicy(RetryPolicy.builder().maxAttempts(2).fixedDelay(Duration.ofMillis(10))
              .build()).build(), d -> {
                if (d.event().dataAsText().equals("bad")) {
                  throw new IllegalStateException("cannot bill order " + d.event().id());
                }
                handled.add(d.event().dataAsText());
              });
      Event bad = Event.builder().source("urn:test").type("order").key("o-1").text("bad")
          .build();
      bus.publish(topic, bad).join();
      // A record from a non-Relaybus producer: no CloudEvents headers.
      try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        raw.send(new ProducerRecord<>(topic, "not an event".getBytes(StandardCharsets.UTF_8)))
            .get();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      bus.publish(topic, Event.builder().source("urn:test").type("order").key("o-1")
          .text("good").build()).join();

      await().atMost(Duration.ofSeconds(60)).until(() -> handled.contains("good"));
      await().atMost(Duration.ofSeconds(60)).until(() ->
          bus.deadLetters().count(topic, group) == 2);
      String dlq = bus.unwrap(KafkaTransport.class).deadLetterTopic(topic, group);
      assertThat(dlq).isEqualTo(topic + ".billing.dlq");

      List<ConsumerRecord<byte[], byte[]>> records = readAll(broker.bootstrapServers(), dlq, 2);
      // Dead-letter order is the order of giving up (the poison record goes at once, the bad
      // event after its retries), so it depends on when each was fetched.
      ConsumerRecord<byte[], byte[]> first = records.stream()
          .filter(r -> "RETRIES_EXHAUSTED".equals(header(r, "relaybus_dl_reason")))
          .findFirst().orElseThrow();
      assertThat(header(first, "ce_id")).isEqualTo(bad.id());
      assertThat(new String(first.key(), StandardCharsets.UTF_8)).isEqualTo("o-1");
      assertThat(new String(first.value(), StandardCharsets.UTF_8)).isEqualTo("bad");
      assertThat(header(first, "relaybus_dl_reason")).isEqualTo("RETRIES_EXHAUSTED");
      assertThat(header(first, "relaybus_dl_attempts")).isEqualTo("2");
      assertThat(header(first, "relaybus_dl_last_error"))
          .contains("IllegalStateException").contains("cannot bill order " + bad.id());
      assertThat(header(first, "relaybus_dl_topic")).isEqualTo(topic);
      assertThat(header(first, "relaybus_dl_partition")).isEqualTo("0");
      assertThat(header(first, "relaybus_dl_offset")).isEqualTo("0");
      assertThat(header(first, "relaybus_dl_group")).isEqualTo(group);
      assertThat(header(first, "relaybus_dl_time")).isNotBlank();

      ConsumerRecord<byte[], byte[]> poison = records.stream()
          .filter(r -> "UNDECODABLE".equals(header(r, "relaybus_dl_reason")))
          .findFirst().orElseThrow();
      assertThat(header(poison, "relaybus_dl_offset")).isEqualTo("1");
      assertThat(header(poison, "relaybus_dl_last_error")).contains("ce_specversion");
      assertThat(new String(poison.value(), StandardCharsets.UTF_8)).isEqualTo("not an event");

      List<DeadLetter> listed = bus.deadLetters().list(topic, group, 10);
      assertThat(listed).extracting(DeadLetter::reason).containsExactlyInAnyOrder(
          DeadLetterReason.UNDECODABLE, DeadLetterReason.RETRIES_EXHAUSTED);
      DeadLetter listedBad = listed.stream()
          .filter(d -> d.reason() == DeadLetterReason.RETRIES_EXHAUSTED).findFirst().orElseThrow();
      assertThat(listedBad.event()).isEqualTo(bad);
      assertThat(listedBad.id()).isEqualTo("0-" + first.offset());
      assertThat(handled).containsExactly("good");
    }
  }
}
