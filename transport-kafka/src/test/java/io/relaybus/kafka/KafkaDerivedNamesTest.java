package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.InvalidNameException;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

/**
 * The dead-letter topic {@code {topic}.{group}.dlq} is derived from two names of up to 200
 * characters each, and Kafka takes topic names of up to 249: a group whose dead-letter topic
 * Kafka would refuse is refused at subscribe, before anything is created.
 */
class KafkaDerivedNamesTest {

  private static final int KAFKA_TOPIC_MAX = 249;

  private static String longTopic() {
    String unique = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    return unique + "-" + "t".repeat(200 - unique.length() - 1);
  }

  private static Set<String> brokerTopics(KafkaBroker broker) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()))) {
      return admin.listTopics().names().get();
    }
  }

  @Test
  void deadLetterTopicOfExactly249CharactersIsAcceptedAndStoresDeadLetters() {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = longTopic();
    String group = "g".repeat(KAFKA_TOPIC_MAX - topic.length() - ".".length() - ".dlq".length());
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.partitions", "1")))) {
      bus.subscribe(topic, SubscribeOptions.builder().group(group)
          .retryPolicy(RetryPolicy.builder().maxAttempts(1).build()).build(), d -> {
            throw new IllegalStateException("refused " + d.event().id());
          });
      bus.publish(topic, Event.builder().source("urn:test").type("t").text("x").build()).join();

      await().atMost(Duration.ofSeconds(60)).until(() ->
          bus.deadLetters().count(topic, group) == 1);
      assertThat(bus.unwrap(KafkaTransport.class).deadLetterTopic(topic, group))
          .hasSize(KAFKA_TOPIC_MAX);
    }
  }

  @Test
  void deadLetterTopicOf250CharactersIsRefusedAtSubscribeBeforeAnyTopicIsCreated()
      throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = longTopic();
    String group = "g".repeat(KAFKA_TOPIC_MAX + 1 - topic.length() - ".".length()
        - ".dlq".length());
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of()))) {
      assertThatThrownBy(() -> bus.subscribe(topic, SubscribeOptions.builder().group(group)
          .build(), d -> { }))
          .isInstanceOf(InvalidNameException.class)
          .hasMessage("Dead-letter topic '" + topic.substring(0, 60) + "... (250 chars)' for "
              + "topic '" + topic.substring(0, 60) + "... (200 chars)' and group '" + group
              + "' is longer than Kafka's 249 characters: shorten the topic or group name (or "
              + "the relaybus.kafka.dead-letter-topic template)");

      assertThat(brokerTopics(broker)).doesNotContain(topic, topic + "." + group + ".dlq");
    }
  }

  @Test
  void templateIsPartOfTheDerivedLength() {
    KafkaBroker broker = KafkaBroker.shared();
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.dead-letter-topic", "dead-letters.{group}.{topic}")))) {
      KafkaTransport t = bus.unwrap(KafkaTransport.class);
      String topic = "t".repeat(200);
      String exact = "g".repeat(KAFKA_TOPIC_MAX - 200 - "dead-letters..".length());

      assertThat(t.deadLetterTopic(topic, exact)).hasSize(KAFKA_TOPIC_MAX);
      assertThatThrownBy(() -> t.deadLetterTopic(topic, exact + "g"))
          .isInstanceOf(InvalidNameException.class)
          .hasMessageContaining("(250 chars)")
          .hasMessageContaining("longer than Kafka's 249 characters");
    }
  }
}
