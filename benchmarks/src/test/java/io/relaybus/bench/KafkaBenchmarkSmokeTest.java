package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the harness on the Kafka transport (embedded broker, schema id on) with tiny counts:
 * every event of every scenario is handled on both sides, or the run fails on its timeout.
 */
class KafkaBenchmarkSmokeTest {

  @Test
  void kafkaRunHandlesEveryEventOnBothSides(@TempDir Path dir) throws Exception {
    runAndCheck(BenchmarkConfig.parse("--transport", "kafka",
        "--events", "200", "--warmup", "100", "--iterations", "1", "--batch", "50",
        "--rate", "200", "--duration", "1", "--latency-warmup", "0", "--timeout", "60",
        "--json", dir.resolve("kafka.json").toString()));
  }

  /** The raw producer that adds the CloudEvents headers and validates each payload. */
  @Test
  void rawSideWithEnvelopeAndValidationHandlesEveryEvent(@TempDir Path dir) throws Exception {
    runAndCheck(BenchmarkConfig.parse("--transport", "kafka",
        "--events", "200", "--warmup", "100", "--iterations", "1", "--batch", "50",
        "--rate", "200", "--duration", "1", "--latency-warmup", "0", "--timeout", "60",
        "--set", "raw.envelope=cloudevents", "--set", "raw.validate=json-schema",
        "--json", dir.resolve("kafka.json").toString()));
  }

  @Test
  void validatingRawProducerRefusesAPayloadThatBreaksTheSchema() throws Exception {
    RawBaseline raw = new KafkaTarget().rawBaseline();
    byte[] noQuantity = "{\"orderId\": \"o-1\"}".getBytes(StandardCharsets.UTF_8);
    SessionSpec spec = new SessionSpec("bench-invalid-" + System.nanoTime(), noQuantity, 10,
        Duration.ofSeconds(60), Map.of("raw.validate", "json-schema"));
    try (MessagingSession session = raw.open(spec)) {
      assertThatThrownBy(() -> session.publish(System.nanoTime()))
          .hasMessageContaining("breaks its schema");
    }

    assertThatThrownBy(() -> raw.open(new SessionSpec("bench-x", noQuantity, 10,
        Duration.ofSeconds(60), Map.of("raw.validate", "yes"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("raw.validate").hasMessageContaining("'yes'");
  }

  private static void runAndCheck(BenchmarkConfig config) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    Report report = BenchmarkMain.run(config, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    for (Metric m : report.metrics()) {
      assertThat(m.relaybus()).as("relaybus %s", m.key()).isPositive();
      assertThat(m.raw()).as("raw %s", m.key()).isPositive();
    }
    assertThat(report.latencyDetails().get("relaybus").get("events")).isEqualTo(200L);
    assertThat(report.latencyDetails().get("raw").get("events")).isEqualTo(200L);
  }
}
