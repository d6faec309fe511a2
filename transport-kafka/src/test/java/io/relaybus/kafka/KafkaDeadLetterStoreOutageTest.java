package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * When a dead letter cannot be stored, the group goes on with later events but the offset is
 * never committed past the event whose dead letter is missing; once the dead-letter topic can
 * be written, the dead letter is stored and the commit moves on.
 */
class KafkaDeadLetterStoreOutageTest {

  @Test
  void commitWaitsForTheDeadLetterToBeStored() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = "dlstore-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    String group = topic + "-group";
    TopicPartition tp = new TopicPartition(topic, 0);
    List<String> handled = new CopyOnWriteArrayList<>();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()));
        EventBus bus = EventBus.create(broker.busConfig(Map.of(
            // the dead-letter topic does not exist and is not created: storing fails quickly
            "relaybus.kafka.create-topics", "false",
            "relaybus.kafka.producer.max.block.ms", "1000")))) {
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
          .all().get();
      bus.subscribe(topic, SubscribeOptions.builder().group(group)
          .retryPolicy(RetryPolicy.noRetries()).build(), d -> {
            if (d.event().dataAsText().equals("bad")) {
              throw new IllegalStateException("bad event");
            }
            handled.add(d.event().dataAsText());
          });
      for (String text : List.of("bad", "good-1", "good-2")) {
        bus.publish(topic, Event.builder().source("urn:test").type("t").text(text).build())
            .join();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == 2);
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
          .until(() -> committed(admin, group, tp) == 0L);
      assertThat(bus.deadLetters().count(topic, group)).isZero();

      String dlq = bus.unwrap(KafkaTransport.class).deadLetterTopic(topic, group);
      admin.createTopics(List.of(new NewTopic(dlq, Optional.of(1), Optional.empty())))
          .all().get();
      await().atMost(Duration.ofSeconds(60)).until(() -> committed(admin, group, tp) == 3L);
      assertThat(bus.deadLetters().count(topic, group)).isEqualTo(1);
      assertThat(bus.deadLetters().list(topic, group, 1).get(0).event().dataAsText())
          .isEqualTo("bad");
      assertThat(handled).containsExactly("good-1", "good-2");
    }
  }

  private static Long committed(Admin admin, String group, TopicPartition tp) throws Exception {
    OffsetAndMetadata o = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get().get(tp);
    return o == null ? null : o.offset();
  }
}
