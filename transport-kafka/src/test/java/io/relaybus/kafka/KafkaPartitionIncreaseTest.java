package io.relaybus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.relaybus.Event;
import io.relaybus.EventBus;
import io.relaybus.kafka.testing.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** Partitions are created with the configured count and only raised explicitly, with a WARN. */
class KafkaPartitionIncreaseTest {

  @Test
  void increaseRaisesTheCountAndWarnsAboutKeyRemapping() {
    String topic = "grow-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (EventBus bus = EventBus.create(KafkaBroker.shared().busConfig(Map.of(
        "relaybus.kafka.partitions", "3")))) {
      KafkaTransport kafka = bus.unwrap(KafkaTransport.class);
      bus.publish(topic, Event.builder().source("urn:test").type("t").key("k").build()).join();
      assertThat(kafka.partitionCount(topic)).isEqualTo(3);

      String log = capturingStandardError(() ->
          assertThat(kafka.increasePartitions(topic, 8)).as("previous count").isEqualTo(3));
      assertThat(kafka.partitionCount(topic)).isEqualTo(8);
      assertThat(log).contains("WARN").contains("'" + topic + "'").contains("from 3 to 8")
          .contains("keys now map to different partitions");

      assertThatThrownBy(() -> kafka.increasePartitions(topic, 4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(topic).hasMessageContaining("has 8 partitions")
          .hasMessageContaining("4").hasMessageContaining("only increase");
      assertThat(kafka.partitionCount(topic)).isEqualTo(8);
      assertThat(kafka.increasePartitions(topic, 8)).as("same count is a no-op").isEqualTo(8);

      assertThatThrownBy(() -> kafka.increasePartitions(topic + "-missing", 9))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
      assertThatThrownBy(() -> kafka.increasePartitions(topic, 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }
  }

  private static String capturingStandardError(Runnable action) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    original.print(text);
    return text;
  }
}
