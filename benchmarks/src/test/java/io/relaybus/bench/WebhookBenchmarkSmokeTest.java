package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the harness on the webhook transport (memory outbox, signed delivery to an endpoint on a
 * loopback receiver) with tiny counts: every event of every scenario reaches the receiver, for
 * both sides, or the run fails on its timeout.
 */
class WebhookBenchmarkSmokeTest {

  @Test
  void webhookRunDeliversEveryEventOnBothSides(@TempDir Path dir) throws Exception {
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "webhook",
        "--events", "300", "--warmup", "100", "--iterations", "1", "--batch", "50",
        "--rate", "300", "--duration", "1", "--latency-warmup", "0", "--timeout", "30",
        "--json", dir.resolve("webhook.json").toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    Report report = BenchmarkMain.run(config, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    for (Metric m : report.metrics()) {
      assertThat(m.relaybus()).as("relaybus %s", m.key()).isPositive();
      assertThat(m.raw()).as("raw %s", m.key()).isPositive();
    }
    assertThat(report.latencyDetails().get("relaybus").get("events")).isEqualTo(300L);
    assertThat(report.latencyDetails().get("raw").get("events")).isEqualTo(300L);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("signed delivery to an endpoint");
  }

  @Test
  void unknownWebhookModeIsNamed() {
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "webhook", "--events", "10",
        "--warmup", "0", "--set", "relaybus.bench.webhook.mode=carrier-pigeon");

    assertThatThrownBy(() -> BenchmarkMain.run(config, System.out, System.out))
        .hasMessageContaining("relaybus.bench.webhook.mode must be endpoint or group, "
            + "got 'carrier-pigeon'");
  }
}
