package io.relaybus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relaybus.Event;
import io.relaybus.EventBus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the whole harness on the memory transport with tiny counts. */
class BenchmarkSmokeTest {

  private static final List<String> METRICS = List.of("publish.single", "publish.batch",
      "e2e.throughput", "latency.p50", "latency.p90", "latency.p99", "latency.p999",
      "latency.max");

  @Test
  void memoryRunReportsEveryMetricForBothSidesAndWritesTheJson(@TempDir Path dir)
      throws Exception {
    Path json = dir.resolve("nested").resolve("memory.json");
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "memory",
        "--events", "2000", "--warmup", "500", "--iterations", "2", "--batch", "50",
        "--members", "2", "--concurrency", "2", "--rate", "2000", "--duration", "1",
        "--latency-warmup", "0.2", "--timeout", "30", "--json", json.toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream progress = new ByteArrayOutputStream();

    Report report = BenchmarkMain.run(config, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(progress, true, StandardCharsets.UTF_8));

    assertThat(report.metrics()).extracting(Metric::key).containsExactlyElementsOf(METRICS);
    for (Metric m : report.metrics()) {
      assertThat(m.relaybus()).as("relaybus %s", m.key()).isPositive();
      assertThat(m.raw()).as("raw %s", m.key()).isPositive();
      assertThat(m.ratio()).as("ratio %s", m.key()).isPositive();
    }
    assertThat(report.metric("publish.single").relaybusSamples()).hasSize(2);
    assertThat(report.metric("latency.max").relaybus())
        .isGreaterThanOrEqualTo(report.metric("latency.p50").relaybus());
    assertThat(report.latencyDetails().get("relaybus").get("events")).isEqualTo(2000L);
    assertThat(report.latencyDetails().get("raw").get("events")).isEqualTo(2000L);

    String markdown = out.toString(StandardCharsets.UTF_8);
    assertThat(markdown).contains("| metric | relaybus | raw | ratio relaybus/raw |");
    for (Metric m : report.metrics()) {
      assertThat(markdown).contains("| " + m.label() + " | ");
    }
    assertThat(progress.toString(StandardCharsets.UTF_8)).contains("[memory] warm-up");

    assertThat(json).isRegularFile();
    assertThat(json.resolveSibling("memory.json.tmp")).doesNotExist();
    JsonNode root = new ObjectMapper().readTree(Files.readString(json));
    assertThat(root.path("transport").asText()).isEqualTo("memory");
    assertThat(root.path("parameters").path("events").asInt()).isEqualTo(2000);
    assertThat(root.path("parameters").path("payloadBytes").asInt()).isEqualTo(200);
    assertThat(root.path("environment").path("availableProcessors").asInt()).isPositive();
    assertThat(root.path("metrics")).hasSize(METRICS.size());
    for (JsonNode m : root.path("metrics")) {
      assertThat(m.path("relaybus").asDouble()).as("json relaybus %s", m.path("key")).isPositive();
      assertThat(m.path("raw").asDouble()).as("json raw %s", m.path("key")).isPositive();
      assertThat(m.path("ratio").asDouble()).as("json ratio %s", m.path("key")).isPositive();
    }
  }

  @Test
  void instrumentationOptionRunsTheRelaybusSideWithMetricsAndTracing() throws Exception {
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "memory",
        "--events", "500", "--warmup", "100", "--iterations", "1", "--batch", "50",
        "--rate", "1000", "--duration", "0.5", "--latency-warmup", "0", "--timeout", "30",
        "--json", Files.createTempFile("instrumented", ".json").toString(),
        "--set", BenchInstrumentation.KEY + "=metrics, tracing");
    double sentBefore = sent();
    long spansBefore = BenchInstrumentation.exportedSpans();
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    Report report = BenchmarkMain.run(config, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    BenchInstrumentation.flushSpans();

    assertThat(report.metrics()).allSatisfy(m -> assertThat(m.relaybus()).isPositive());
    // Warm-up and measured runs of the three throughput scenarios, and the latency run, of
    // the Relaybus side.
    long events = 3 * (100 + 500)
        + ((Number) report.latencyDetails().get("relaybus").get("events")).longValue();
    assertThat(sent() - sentBefore).as("events counted by RelaybusMetrics")
        .isGreaterThanOrEqualTo(events);
    // A burst fills the batch processor's queue, which then drops spans as the SDK does: some,
    // not all, reach the exporter.
    assertThat(BenchInstrumentation.exportedSpans() - spansBefore)
        .as("spans exported by the batch processor").isPositive();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(BenchInstrumentation.KEY + "=metrics, tracing");
  }

  @Test
  void webhookTargetTakesTheOptionAndKeepsItFromTheBus() {
    double before = sent();
    try (EventBus bus = new WebhookTarget().createBus(
        Map.of(BenchInstrumentation.KEY, "metrics,tracing"))) {
      bus.publish("instrumented", Event.builder().source("/bench").type("t").build()).join();
    }
    assertThat(sent() - before).isEqualTo(1);
  }

  @Test
  void instrumentationOptionNamesTheKeyWhenTheValueIsWrong() {
    assertThat(BenchInstrumentation.parse(null)).isEmpty();
    assertThat(BenchInstrumentation.parse("none")).isEmpty();
    assertThat(BenchInstrumentation.parse("tracing")).containsExactly(
        BenchInstrumentation.Kind.TRACING);
    BenchmarkConfig config = BenchmarkConfig.parse("--events", "10", "--warmup", "0",
        "--set", BenchInstrumentation.KEY + "=metrics,logs");

    assertThatThrownBy(() -> BenchmarkMain.run(config, System.out, System.out))
        .hasMessageContaining(BenchInstrumentation.KEY
            + " must be none or a comma-separated list of metrics and tracing, "
            + "got 'metrics,logs' ('logs' is neither)");
  }

  @Test
  void sampleRatioOptionIsCheckedAndNamesTheKey() {
    assertThat(BenchInstrumentation.sampleRatio(Map.of())).isEqualTo(1.0);
    assertThat(BenchInstrumentation.sampleRatio(
        Map.of(BenchInstrumentation.SAMPLE_RATIO_KEY, "0.1"))).isEqualTo(0.1);
    for (String bad : new String[] {"1.5", "-0.1", "ten"}) {
      assertThatThrownBy(() -> BenchInstrumentation.sampleRatio(
          Map.of(BenchInstrumentation.SAMPLE_RATIO_KEY, bad)))
          .hasMessage(BenchInstrumentation.SAMPLE_RATIO_KEY
              + " must be a number from 0 to 1, got '" + bad + "'");
    }
  }

  @Test
  void extraHeaderOptionIsCheckedAndNamesTheKey() {
    assertThat(RelaybusSession.extraHeader(Map.of())).isNull();
    assertThat(RelaybusSession.extraHeader(Map.of(RelaybusSession.EXTRA_HEADER_KEY, "55")))
        .hasSize(55);
    assertThatThrownBy(() -> RelaybusSession.extraHeader(
        Map.of(RelaybusSession.EXTRA_HEADER_KEY, "-1")))
        .hasMessage(RelaybusSession.EXTRA_HEADER_KEY
            + " must be a length from 0 to 4096, got '-1'");
  }

  private static double sent() {
    return BenchInstrumentation.registry().find("messaging.client.sent.messages").counters()
        .stream().mapToDouble(c -> c.count()).sum();
  }

  @Test
  void unknownTransportNamesTheAvailableOnes() {
    BenchmarkConfig config = BenchmarkConfig.parse("--transport", "carrier-pigeon");

    assertThatThrownBy(() -> BenchmarkMain.run(config, System.out, System.out))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("carrier-pigeon")
        .hasMessageContaining("available: kafka, memory, postgres, webhook");
  }

  @Test
  void commandLineIsValidatedWithTheOptionName() {
    assertThatThrownBy(() -> BenchmarkConfig.parse("--concurrency", "8", "--max-in-flight", "4"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--max-in-flight (4) must be >= --concurrency (8)");
    assertThatThrownBy(() -> BenchmarkConfig.parse("--events", "lots"))
        .hasMessageContaining("--events needs an integer, got 'lots'");
    assertThatThrownBy(() -> BenchmarkConfig.parse("--frobnicate", "1"))
        .hasMessageContaining("Unknown option --frobnicate");
    assertThat(BenchmarkConfig.parse("--concurrency", "100").maxInFlight()).isEqualTo(100);
    assertThat(BenchmarkConfig.parse().maxInFlight()).isEqualTo(64);
  }

  @Test
  void rawBaselineRejectsUnknownSettings() {
    BenchmarkConfig config = BenchmarkConfig.parse("--events", "10", "--warmup", "0",
        "--set", "raw.queue=deque");

    assertThatThrownBy(() -> BenchmarkMain.run(config, System.out, System.out))
        .hasMessageContaining("raw.queue must be linked or array, got 'deque'");
  }
}
