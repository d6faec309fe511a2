package io.relaybus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of one benchmark run: what ran where, with which parameters, and every metric for
 * both sides. Printed as Markdown, saved as JSON.
 *
 * @param transport the transport measured
 * @param timestamp when the run started, ISO-8601 UTC
 * @param environment JVM, OS and machine
 * @param parameters the workload
 * @param sides a description of the Relaybus side and the raw side
 * @param metrics the rows, in table order
 * @param latencyDetails per side: events recorded, mean, and the publisher's send lag
 */
public record Report(String transport, String timestamp, Map<String, Object> environment,
    Map<String, Object> parameters, Map<String, String> sides, List<Metric> metrics,
    Map<String, Map<String, Object>> latencyDetails) {

  /**
   * Finds a metric by key.
   *
   * @param key such as {@code e2e.throughput}
   * @return the metric
   * @throws IllegalArgumentException when there is none
   */
  public Metric metric(String key) {
    return metrics.stream().filter(m -> m.key().equals(key)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No metric " + key));
  }

  /**
   * The report as Markdown: a short context, then the table metric | relaybus | raw | ratio.
   *
   * @return the Markdown text
   */
  public String toMarkdown() {
    StringBuilder md = new StringBuilder();
    md.append("## Relaybus benchmark: ").append(transport).append(" transport\n\n");
    md.append("- run: ").append(timestamp).append(", ")
        .append(environment.get("availableProcessors")).append(" cores, ")
        .append(environment.get("vmName")).append(' ')
        .append(environment.get("javaRuntimeVersion")).append(", max heap ")
        .append(environment.get("maxHeapMiB")).append(" MiB, 1-minute load average ")
        .append(String.format(Locale.ROOT, "%.2f", environment.get("loadAverageAtStart")))
        .append(" at start, ")
        .append(String.format(Locale.ROOT, "%.2f", environment.get("loadAverageAtEnd")))
        .append(" at end\n");
    md.append("- relaybus: ").append(sides.get("relaybus")).append('\n');
    md.append("- raw: ").append(sides.get("raw")).append('\n');
    md.append(String.format(Locale.ROOT, "- workload: %d-byte JSON payload; throughput runs of "
            + "%,d events, median of %d after %,d warm-up events each; consumer group of %d "
            + "member(s) x concurrency %d (maxInFlight %d); latency at %,d events/s for %s s "
            + "(%,d events, single publishes, pacer %s) after a %s s warm-up, measured from "
            + "the intended send time\n\n",
        parameters.get("payloadBytes"), parameters.get("events"), parameters.get("iterations"),
        parameters.get("warmup"), parameters.get("members"), parameters.get("concurrency"),
        parameters.get("maxInFlight"), parameters.get("rate"),
        plain(parameters.get("latencySeconds")), parameters.get("latencyEvents"),
        ((Double) parameters.get("spinMicros")) > 0
            ? "parks, then spins the last " + plain(parameters.get("spinMicros")) + " us"
            : "parks",
        plain(parameters.get("latencyWarmupSeconds"))));
    md.append("| metric | relaybus | raw | ratio relaybus/raw |\n");
    md.append("|---|--:|--:|--:|\n");
    for (Metric m : metrics) {
      md.append("| ").append(m.label()).append(" | ").append(m.format(m.relaybus()))
          .append(" | ").append(m.format(m.raw())).append(" | ")
          .append(String.format(Locale.ROOT, "%.2f", m.ratio())).append(" |\n");
    }
    md.append("\nThroughput: a ratio below 1 means Relaybus is slower than the raw client. "
        + "Latency: a ratio above 1 means Relaybus is slower.\n");
    Map<String, Object> relaybusLatency = latencyDetails.get("relaybus");
    Map<String, Object> rawLatency = latencyDetails.get("raw");
    if (relaybusLatency != null && rawLatency != null) {
      md.append(String.format(Locale.ROOT, "Publisher send lag (actual minus intended send "
              + "time: timer overshoot and publish cost, included in the latencies): p50 "
              + "relaybus %.1f us, raw %.1f us; p99 relaybus %.1f us, raw %.1f us.\n",
          relaybusLatency.get("sendLagP50Micros"), rawLatency.get("sendLagP50Micros"),
          relaybusLatency.get("sendLagP99Micros"), rawLatency.get("sendLagP99Micros")));
    }
    return md.toString();
  }

  private static String plain(Object number) {
    return number instanceof Double
        ? BigDecimal.valueOf((Double) number).stripTrailingZeros().toPlainString()
        : String.valueOf(number);
  }

  /**
   * Writes the report as indented JSON, through a temporary file moved into place, creating
   * missing directories.
   *
   * @param path the target file
   * @throws IOException when writing fails
   */
  public void writeJson(Path path) throws IOException {
    Path absolute = path.toAbsolutePath();
    if (absolute.getParent() != null) {
      Files.createDirectories(absolute.getParent());
    }
    Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), this);
    Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }
}
