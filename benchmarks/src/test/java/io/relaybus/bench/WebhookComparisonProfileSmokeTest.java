package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code WebhookComparison --set relaybus.bench.profile=on} with the JDBC outbox and tiny
 * counts prints the profile of the Relaybus side's end-to-end runs: CPU per thread (the
 * dispatcher's among them), the PostgreSQL server's CPU, its statements (or why they cannot be
 * read: the server of this JVM may have been started by another test without
 * {@code pg_stat_statements}) and the dispatcher's stack samples.
 */
class WebhookComparisonProfileSmokeTest {

  @Test
  void profileOfTheEndToEndRunsIsPrinted(@TempDir Path dir) throws Exception {
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "webhook",
        "--events", "300", "--warmup", "100", "--iterations", "1", "--batch", "50",
        "--rate", "300", "--duration", "1", "--latency-warmup", "0", "--timeout", "60",
        "--set", "relaybus.webhook.outbox=jdbc", "--set", "relaybus.bench.profile=on",
        "--json", dir.resolve("comparison.json").toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    WebhookComparison.run(config, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("## Profile of the Relaybus end-to-end runs",
        "300 events delivered", "PostgreSQL server processes", "relaybus-webhook-http-N",
        "Server statements");
    assertThat(text).containsPattern("\\| dispatcher thread \\([0-9,]+ stack samples\\)");
  }
}
