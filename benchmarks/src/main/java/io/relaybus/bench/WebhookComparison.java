package io.relaybus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The webhook benchmark with both raw baselines in one run: Relaybus's signed delivery
 * ({@link WebhookTarget}, endpoint mode) against the raw OkHttp POST loop posting
 * <em>the same signed Standard Webhooks request</em> ("raw signed": the fair comparison of the
 * sender's own work) and against the loop posting the bare 200-byte data ("raw bare": adds the
 * wire format's cost, the comparison of earlier sessions).
 *
 * <p>Same options as {@link BenchmarkMain} ({@code --transport} must be {@code webhook} or
 * absent). The three sides run every scenario in turn, the order rotating per iteration; every
 * row reports both ratios. {@code raw.request} must not be given: each raw side sets its own.
 * {@code --set relaybus.bench.profile=on} profiles the Relaybus side's end-to-end runs
 * ({@link BenchProfile}: CPU per thread and of the PostgreSQL server, the server's statements,
 * where the dispatcher thread waits) and prints it after the table.
 *
 * <pre>
 * java -Xms2g -Xmx2g -cp benchmarks/target/relaybus-benchmarks.jar \
 *     io.relaybus.bench.WebhookComparison --events 20000 --warmup 20000 --iterations 3 \
 *     --rate 1000 --duration 10 --latency-warmup 5 --timeout 180
 * </pre>
 */
public final class WebhookComparison {
  private static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};
  private static final String[] PERCENTILE_KEYS = {"p50", "p90", "p99", "p999", "max"};

  private WebhookComparison() {}

  /**
   * Runs the comparison from the command line; exits with 2 on a bad argument, 1 when a
   * measurement fails.
   *
   * @param args {@link BenchmarkMain}'s options
   */
  public static void main(String[] args) {
    BenchmarkConfig config;
    try {
      List<String> all = new ArrayList<>(Arrays.asList(args));
      if (!all.contains("--transport")) {
        all.add(0, "webhook");
        all.add(0, "--transport");
      }
      config = BenchmarkConfig.parse(all.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      run(config, System.out, System.err);
    } catch (BenchmarkException | IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    } catch (IOException e) {
      System.err.println("error: cannot write the JSON report: " + e.getMessage());
      System.exit(1);
    }
  }

  /**
   * Runs the three sides, prints the Markdown table to {@code out} and writes the JSON report.
   *
   * @param config the options; the transport must be {@code webhook}
   * @param out where the table goes
   * @param progress where progress lines go
   * @return the rows: Relaybus against raw signed, and against raw bare
   * @throws IOException when the JSON report cannot be written
   */
  public static Comparison run(BenchmarkConfig config, PrintStream out, PrintStream progress)
      throws IOException {
    if (!config.transport().equals("webhook")) {
      throw new IllegalArgumentException("WebhookComparison measures --transport webhook, got '"
          + config.transport() + "'");
    }
    if (config.settings().containsKey(WebhookRawBaseline.REQUEST)) {
      throw new IllegalArgumentException(WebhookRawBaseline.REQUEST + " is set by each raw side "
          + "of the comparison; remove it");
    }
    PostgresServer.fsync(config.settings().getOrDefault(PostgresServer.FSYNC_KEY, "off"));
    BenchProfile profile = BenchProfile.requested(config.settings()) ? new BenchProfile() : null;
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    double loadAtStart = load();
    WebhookTarget target = new WebhookTarget();
    byte[] payload = Payloads.json(Payloads.SIZE);
    Map<String, String> busSettings = new LinkedHashMap<>();
    Map<String, String> rawSettings = new LinkedHashMap<>();
    config.settings().forEach((k, v) ->
        (k.startsWith("relaybus.") ? busSettings : rawSettings).put(k, v));
    RawBaseline signedBaseline = target.signedRawBaseline();
    RawBaseline bareBaseline = target.rawBaseline();
    // "raw-sign" has as many characters as "relaybus": the topic, which is in the body, makes
    // the two signed sides' bodies the same length.
    Side relaybus = new Side("relaybus", target.description(), target::openRelaybus, payload,
        config.batch(), config.timeout(), busSettings);
    Side signed = new Side("raw-sign", signedBaseline.description(), signedBaseline::open,
        payload, config.batch(), config.timeout(), rawSettings);
    Side bare = new Side("raw-bare", bareBaseline.description(), bareBaseline::open, payload,
        config.batch(), config.timeout(), rawSettings);
    List<Side> sides = List.of(relaybus, signed, bare);
    // With the JDBC outbox, publishing is one durable write, as the PostgreSQL transport's is:
    // its publish rows compare the two on the same server in the same run.
    boolean jdbc = "jdbc".equals(busSettings.get("relaybus.webhook.outbox"));
    if (profile != null && jdbc) {
      PostgresServer.statementStatistics();
    }
    PostgresTarget postgresTarget = new PostgresTarget();
    Side postgres = jdbc ? new Side("postgres", postgresTarget.description(),
        postgresTarget::openRelaybus, payload, config.batch(), config.timeout(), Map.of())
        : null;
    ConsumerSpec consumers = config.consumers();
    List<Scenario> scenarios = List.of(
        new Scenario("publish.single", "publish, single (events/s)",
            (side, events) -> Scenarios.publishThroughput(side, events, 1)),
        new Scenario("publish.batch", "publish, publishAll batches of " + config.batch()
            + " (events/s)",
            (side, events) -> Scenarios.publishThroughput(side, events, config.batch())),
        new Scenario("e2e.throughput", "end-to-end (delivered) throughput (events/s)",
            (side, events) -> Scenarios.endToEndThroughput(side, events, config.batch(),
                consumers)));
    for (Side side : sides) {
      side.open().close(); // a bad setting fails here, before minutes of measuring
    }
    Map<Side, Map<String, List<Double>>> samples = new LinkedHashMap<>();
    sides.forEach(s -> samples.put(s, new LinkedHashMap<>()));
    if (postgres != null) {
      samples.put(postgres, new LinkedHashMap<>());
    }

    int rounds = (int) ((config.warmup() + config.events() - 1L) / config.events());
    for (int round = 0; round < rounds; round++) {
      int events = (int) Math.min(config.events(),
          config.warmup() - (long) round * config.events());
      for (Scenario s : scenarios) {
        for (Side side : withPostgres(sides, postgres, s)) {
          double rate = s.measure.run(side, events);
          if (round == rounds - 1) {
            log(progress, "warm-up %s %s: %,.0f events/s", side.name(), s.key, rate);
          }
        }
      }
    }
    if (!config.latencyWarmup().isZero()) {
      for (Side side : sides) {
        Scenarios.fixedRateLatency(side, config.rate(), config.latencyWarmup(), config.spin(),
            consumers);
      }
    }

    Map<Side, List<Double>> cpu = new LinkedHashMap<>();
    sides.forEach(s -> cpu.put(s, new ArrayList<>()));
    for (int i = 0; i < config.iterations(); i++) {
      List<Side> order = new ArrayList<>(sides);
      Collections.rotate(order, -(i % sides.size()));
      for (Scenario s : scenarios) {
        for (Side side : withPostgres(order, postgres, s)) {
          boolean profiled = profile != null && side == relaybus
              && s.key.equals("e2e.throughput");
          if (profiled) {
            profile.start(jdbc);
          }
          long cpuBefore = processCpuNanos();
          double value = s.measure.run(side, config.events());
          if (s.key.equals("e2e.throughput") && cpuBefore >= 0) {
            cpu.get(side).add((processCpuNanos() - cpuBefore) / 1e3 / config.events());
          }
          if (profiled) {
            profile.stop(jdbc, config.events(), (long) (config.events() / value * 1e9));
          }
          samples.get(side).computeIfAbsent(s.key, k -> new ArrayList<>()).add(value);
          log(progress, "%s %s (%d/%d): %,.0f events/s", side.name(), s.key, i + 1,
              config.iterations(), value);
        }
      }
    }
    Map<Side, LatencyResult> latency = new LinkedHashMap<>();
    for (Side side : sides) {
      LatencyResult r = Scenarios.fixedRateLatency(side, config.rate(), config.duration(),
          config.spin(), consumers);
      latency.put(side, r);
      log(progress, "%s latency at %,d events/s: p50 %.1f us, p99 %.1f us", side.name(),
          config.rate(), r.latencyMicros(50), r.latencyMicros(99));
    }

    List<Metric> vsSigned = new ArrayList<>();
    List<Metric> vsBare = new ArrayList<>();
    List<Metric> vsPostgres = new ArrayList<>();
    for (Scenario s : scenarios) {
      List<Double> r = samples.get(relaybus).get(s.key);
      if (postgres != null && samples.get(postgres).containsKey(s.key)) {
        vsPostgres.add(Metric.of(s.key, s.label, Metric.EVENTS_PER_SECOND, true, r,
            samples.get(postgres).get(s.key)));
      }
      vsSigned.add(Metric.of(s.key, s.label, Metric.EVENTS_PER_SECOND, true, r,
          samples.get(signed).get(s.key)));
      vsBare.add(Metric.of(s.key, s.label, Metric.EVENTS_PER_SECOND, true, r,
          samples.get(bare).get(s.key)));
    }
    for (int p = 0; p < PERCENTILES.length; p++) {
      String key = "latency." + PERCENTILE_KEYS[p];
      String label = String.format(Locale.ROOT, "latency %s at %,d events/s (us)",
          PERCENTILE_KEYS[p], config.rate());
      List<Double> r = List.of(latency.get(relaybus).latencyMicros(PERCENTILES[p]));
      vsSigned.add(Metric.of(key, label, Metric.MICROSECONDS, false, r,
          List.of(latency.get(signed).latencyMicros(PERCENTILES[p]))));
      vsBare.add(Metric.of(key, label, Metric.MICROSECONDS, false, r,
          List.of(latency.get(bare).latencyMicros(PERCENTILES[p]))));
    }
    if (!cpu.get(relaybus).isEmpty()) {
      String label = "process CPU per delivered event, end-to-end runs (us)";
      List<Double> r = cpu.get(relaybus);
      vsSigned.add(Metric.of("e2e.cpuPerEvent", label, Metric.MICROSECONDS, false, r,
          cpu.get(signed)));
      vsBare.add(Metric.of("e2e.cpuPerEvent", label, Metric.MICROSECONDS, false, r,
          cpu.get(bare)));
    }
    Map<String, String> descriptions = new LinkedHashMap<>();
    descriptions.put("relaybus", relaybus.description() + (busSettings.isEmpty() ? ""
        : ", settings " + busSettings));
    descriptions.put("rawSigned", signed.description());
    descriptions.put("rawBare", bare.description());
    descriptions.put("server", jdbc ? PostgresServer.get().description() : "none");
    if (postgres != null) {
      descriptions.put("postgres", postgres.description());
    }
    Comparison result = new Comparison(started.toString(), loadAtStart, load(),
        config.toString(), descriptions, vsSigned, vsBare, vsPostgres);
    Path json = config.json() != null ? config.json()
        : Path.of("benchmarks", "results", "webhook-comparison-"
            + started.toString().replace(":", "") + ".json");
    Path absolute = json.toAbsolutePath();
    if (absolute.getParent() != null) {
      Files.createDirectories(absolute.getParent());
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(absolute.toFile(), result);
    out.println(result.toMarkdown());
    if (profile != null) {
      profile.print(out);
    }
    out.println("JSON report: " + json);
    return result;
  }

  /** The sides measuring a scenario: the PostgreSQL transport only publishes. */
  private static List<Side> withPostgres(List<Side> sides, Side postgres, Scenario s) {
    if (postgres == null || !s.key.startsWith("publish.")) {
      return sides;
    }
    List<Side> all = new ArrayList<>(sides);
    all.add(postgres);
    return all;
  }

  /** CPU time of this process (every thread: sender, receiver, harness), or -1. */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
  }

  private static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static void log(PrintStream progress, String format, Object... args) {
    progress.println("[webhook-comparison] " + String.format(Locale.ROOT, format, args));
  }

  /**
   * One comparison run.
   *
   * @param timestamp when it started, ISO-8601 UTC
   * @param loadAtStart the 1-minute load average at the start
   * @param loadAtEnd the 1-minute load average at the end
   * @param config the options
   * @param sides what each side ran
   * @param vsSigned every row, Relaybus against the raw loop posting the same signed request
   * @param vsBare every row, Relaybus against the raw loop posting the bare data
   * @param vsPostgres the publish rows against the PostgreSQL transport on the same server
   *     (JDBC outbox only; empty otherwise)
   */
  public record Comparison(String timestamp, double loadAtStart, double loadAtEnd,
      String config, Map<String, String> sides, List<Metric> vsSigned, List<Metric> vsBare,
      List<Metric> vsPostgres) {

    /**
     * Validates and copies the components.
     *
     * @param timestamp the start
     * @param loadAtStart the load at the start
     * @param loadAtEnd the load at the end
     * @param config the options
     * @param sides the descriptions
     * @param vsSigned the rows against raw signed
     * @param vsBare the rows against raw bare, in the same order
     * @param vsPostgres the publish rows against the PostgreSQL transport
     */
    public Comparison {
      sides = Map.copyOf(sides);
      vsSigned = List.copyOf(vsSigned);
      vsBare = List.copyOf(vsBare);
      vsPostgres = List.copyOf(vsPostgres);
    }

    /**
     * The table: metric | relaybus | raw signed | raw bare | both ratios.
     *
     * @return Markdown text
     */
    public String toMarkdown() {
      StringBuilder md = new StringBuilder();
      md.append("## Relaybus webhook delivery against two raw baselines\n\n");
      md.append(String.format(Locale.ROOT, "- run: %s, load %.2f at start, %.2f at end%n",
          timestamp, loadAtStart, loadAtEnd));
      md.append("- relaybus: ").append(sides.get("relaybus")).append('\n');
      md.append("- raw signed: ").append(sides.get("rawSigned")).append('\n');
      md.append("- raw bare: ").append(sides.get("rawBare")).append('\n');
      md.append("- PostgreSQL server: ").append(sides.get("server")).append('\n');
      md.append("- options: ").append(config).append("\n\n");
      md.append("| metric | relaybus | raw signed | raw bare | relaybus/raw signed "
          + "| relaybus/raw bare |\n|---|--:|--:|--:|--:|--:|\n");
      for (int i = 0; i < vsSigned.size(); i++) {
        Metric s = vsSigned.get(i);
        Metric b = vsBare.get(i);
        md.append("| ").append(s.label()).append(" | ").append(s.format(s.relaybus()))
            .append(" | ").append(s.format(s.raw())).append(" | ").append(b.format(b.raw()))
            .append(String.format(Locale.ROOT, " | %.2f | %.2f |%n", s.ratio(), b.ratio()));
      }
      if (!vsPostgres.isEmpty()) {
        md.append("\n| publish into the outbox vs the PostgreSQL transport, same server "
            + "| relaybus | postgres transport | relaybus/postgres |\n|---|--:|--:|--:|\n");
        for (Metric p : vsPostgres) {
          md.append("| ").append(p.label()).append(" | ").append(p.format(p.relaybus()))
              .append(" | ").append(p.format(p.raw()))
              .append(String.format(Locale.ROOT, " | %.2f |%n", p.ratio()));
        }
      }
      md.append("\nSamples (events/s) relaybus / raw signed / raw bare:\n");
      for (int i = 0; i < vsSigned.size(); i++) {
        Metric s = vsSigned.get(i);
        if (s.unit().equals(Metric.EVENTS_PER_SECOND)) {
          md.append("- ").append(s.key()).append(": ").append(samples(s.relaybusSamples()))
              .append(" / ").append(samples(s.rawSamples())).append(" / ")
              .append(samples(vsBare.get(i).rawSamples()))
              .append(String.format(Locale.ROOT, " (relaybus samples below half its median: "
                  + "%d of %d)", belowHalfMedian(s), s.relaybusSamples().size()))
              .append('\n');
        }
      }
      for (Metric p : vsPostgres) {
        md.append("- ").append(p.key()).append(", postgres transport: ")
            .append(samples(p.rawSamples())).append('\n');
      }
      return md.toString();
    }

    /** Samples below half the median: stalls, not noise. */
    private static long belowHalfMedian(Metric m) {
      return m.relaybusSamples().stream().filter(v -> v < m.relaybus() / 2).count();
    }

    private static String samples(List<Double> values) {
      StringBuilder sb = new StringBuilder();
      for (double v : values) {
        sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%,.0f", v));
      }
      return sb.toString();
    }
  }

  /** A throughput measurement applied to any side. */
  private record Scenario(String key, String label, Throughput measure) {}

  /** Measures events per second of one side for a number of events. */
  @FunctionalInterface
  private interface Throughput {
    double run(Side side, int events);
  }
}
