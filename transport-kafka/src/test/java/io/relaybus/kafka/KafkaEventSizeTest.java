package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.relaybus.ConfigurationException;
import io.relaybus.DeadLetter;
import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.EventTooLargeException;
import io.relaybus.RetryPolicy;
import io.relaybus.SubscribeOptions;
import io.relaybus.kafka.testing.KafkaBroker;
import io.relaybus.spi.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code relaybus.kafka.max-event-size}: it defaults to what the producer's
 * {@code max.request.size} can carry, a larger value is refused at startup, and with Kafka's
 * own defaults an event of the limit goes through a real broker, to a handler and to the
 * dead-letter topic, intact.
 */
class KafkaEventSizeTest {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final long KAFKA_DEFAULT_MAX_REQUEST = 1024 * 1024;

  private static KafkaSettings settings(String... keyValues) {
    Map<String, String> m = new java.util.HashMap<>();
    m.put("relaybus.kafka.bootstrap-servers", "127.0.0.1:1");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return new KafkaSettings(Settings.of(m));
  }

  @Test
  @DisplayName("the default is the producer's max.request.size less 64 KiB: 960 KiB with "
      + "Kafka's default, more when max.request.size is raised")
  void defaultFollowsTheProducersMaxRequestSize() {
    assertThat(settings().maxEventSize()).isEqualTo(KAFKA_DEFAULT_MAX_REQUEST - 64 * 1024);
    assertThat(settings("relaybus.kafka.producer.max.request.size", "8388608").maxEventSize())
        .isEqualTo(8 * 1024 * 1024 - 64 * 1024);
    assertThat(settings("relaybus.kafka.max-event-size", "512KiB").maxEventSize())
        .isEqualTo(512 * 1024);
  }

  @Test
  @DisplayName("a max-event-size the producer cannot send is refused at startup, naming both "
      + "keys and the value to set")
  void maxEventSizeAboveWhatTheProducerSendsIsRefused() {
    assertThatThrownBy(() -> settings("relaybus.kafka.max-event-size", "1MiB"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("relaybus.kafka.max-event-size is 1048576 bytes, but a record of "
            + "an event that size needs up to 1114112 bytes (65536 for the record's headers and "
            + "framing) and the producer's max.request.size is 1048576: set "
            + "relaybus.kafka.producer.max.request.size to at least 1114112 (the broker's "
            + "message.max.bytes, or the topic's max.message.bytes, must allow it too) or lower "
            + "relaybus.kafka.max-event-size");
    assertThatThrownBy(() -> settings("relaybus.kafka.max-event-size", "40MiB",
        "relaybus.kafka.producer.max.request.size", "52428800"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("the producer's buffer.memory is 33554432: set "
            + "relaybus.kafka.producer.buffer.memory to at least 42008576");
  }

  @Test
  @DisplayName("with Kafka's default max.request.size, an event of the limit with many headers "
      + "is delivered intact and dead-lettered intact; one byte more is refused at publish")
  void eventAtTheDefaultLimitIsDeliveredAndDeadLettered() {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = "sizes-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (EventBus bus = EventBus.create(broker.busConfig(Map.of(
        "relaybus.kafka.producer.max.request.size", Long.toString(KAFKA_DEFAULT_MAX_REQUEST),
        "relaybus.kafka.partitions", "1")))) {
      long limit = KAFKA_DEFAULT_MAX_REQUEST - 64 * 1024;
      assertThat(bus.capabilities().maxEventSize()).isEqualTo(OptionalLong.of(limit));
      Event.Builder b = Event.builder().id("at-limit").source("urn:relaybus:test:sizes")
          .type("size.test").subject("s".repeat(4096)).key("k".repeat(4096))
          .dataSchema("https://example.com/" + "d".repeat(4000))
          .dataContentType("application/octet-stream");
      for (int i = 0; i < 500; i++) {
        b.header("h" + i, "v");
      }
      Event bare = b.build();
      byte[] data = new byte[Math.toIntExact(limit - bare.size())];
      ThreadLocalRandom.current().nextBytes(data);
      Event atLimit = bare.toBuilder().data(data).build();
      assertThat(atLimit.size()).isEqualTo(limit);

      Map<String, Event> received = new ConcurrentHashMap<>();
      // The last error: 2000 characters of 3 UTF-8 bytes, the most a dead letter records.
      String error = "\u20ac".repeat(3000);
      bus.subscribe(topic, SubscribeOptions.builder().group("g")
          .retryPolicy(RetryPolicy.builder().maxAttempts(1).build()).build(), d -> {
            received.put(d.event().id(), d.event());
            throw new IllegalStateException(error);
          });
      bus.publish(topic, atLimit).join();
      Event overMax = atLimit.toBuilder().id("over-max") // as long as "at-limit"
          .data(new byte[data.length + 1]).build();
      assertThatThrownBy(() -> bus.publish(topic, overMax))
          .isInstanceOf(EventTooLargeException.class)
          .hasMessageContaining("event over-max is " + (limit + 1) + " bytes")
          .hasMessageContaining("Raise relaybus.kafka.max-event-size");

      await().atMost(PATIENCE).until(() -> received.containsKey("at-limit"));
      assertThat(received.get("at-limit")).isEqualTo(atLimit);
      await().atMost(PATIENCE).until(() -> bus.deadLetters().count(topic, "g") == 1);
      List<DeadLetter> letters = bus.deadLetters().list(topic, "g", 10);
      assertThat(letters).singleElement().satisfies(l -> {
        assertThat(l.event()).isEqualTo(atLimit);
        assertThat(l.lastError()).contains("\u20ac\u20ac\u20ac");
      });
      assertThat(received).containsOnlyKeys("at-limit");
    }
  }
}
