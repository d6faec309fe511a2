package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the harness on the Kafka transport (embedded broker, schema id on) with tiny counts:
 * every event of every scenario is handled on both sides, or the run fails on its timeout.
 */
class KafkaBenchmarkSmokeTest {

  @Test
  void kafkaRunHandlesEveryEventOnBothSides(@TempDir Path dir) throws Exception {
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "kafka",
        "--events", "200", "--warmup", "100", "--iterations", "1", "--batch", "50",
        "--rate", "200", "--duration", "1", "--latency-warmup", "0", "--timeout", "60",
        "--json", dir.resolve("kafka.json").toString());
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
