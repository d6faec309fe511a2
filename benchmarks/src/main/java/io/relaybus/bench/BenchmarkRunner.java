package io.relaybus.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs every scenario for both sides of one transport in the same JVM: warm-up first, then the
 * measured runs with the order of the two sides alternating between iterations, so neither
 * always runs on a warmer or a more fragmented heap.
 */
final class BenchmarkRunner {
  private static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};
  private static final String[] PERCENTILE_KEYS = {"p50", "p90", "p99", "p999", "max"};
  private static final String[] PERCENTILE_LABELS = {"p50", "p90", "p99", "p99.9", "max"};

  private final BenchmarkConfig config;
  private final PrintStream progress;

  BenchmarkRunner(BenchmarkConfig config, PrintStream progress) {
    this.config = config;
    this.progress = progress;
  }

  Report run() {
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    double loadAtStart = loadAverage();
    TransportTarget target = TransportTargets.find(config.transport());
    RawBaseline baseline = target.rawBaseline();
    byte[] payload = Payloads.json(Payloads.SIZE);
    Map<String, String> busSettings = new LinkedHashMap<>();
    Map<String, String> rawSettings = new LinkedHashMap<>();
    config.settings().forEach((k, v) ->
        (k.startsWith("relaybus.") ? busSettings : rawSettings).put(k, v));

    Side relaybus = new Side("relaybus", target.description(),
        target::openRelaybus,
        payload, config.batch(), config.timeout(), busSettings);
    Side raw = new Side("raw", baseline.description(), baseline::open,
        payload, config.batch(), config.timeout(), rawSettings);
    ConsumerSpec consumers = config.consumers();

    List<Scenario> scenarios = List.of(
        new Scenario("publish.single",
            "publish, single, futures joined per " + config.batch() + " (events/s)",
            (side, events) -> Scenarios.publishThroughput(side, events, 1)),
        new Scenario("publish.batch",
            "publish, publishAll batches of " + config.batch() + " (events/s)",
            (side, events) -> Scenarios.publishThroughput(side, events, config.batch())),
        new Scenario("e2e.throughput",
            "end-to-end throughput, batches of " + config.batch() + " (events/s)",
            (side, events) -> Scenarios.endToEndThroughput(side, events, config.batch(),
                consumers)));

    for (Side side : List.of(relaybus, raw)) {
      side.open().close(); // a bad setting fails here, before minutes of measuring
    }
    warmUp(scenarios, relaybus, raw, consumers);
    List<Metric> metrics = new ArrayList<>(measureThroughput(scenarios, relaybus, raw));
    Map<String, LatencyResult> latency = new LinkedHashMap<>();
    for (Side side : List.of(relaybus, raw)) {
      LatencyResult r = Scenarios.fixedRateLatency(side, config.rate(), config.duration(),
          config.spin(), consumers);
      latency.put(side.name(), r);
      log("%s latency at %,d events/s: p50 %.1f us, p99 %.1f us, max %.1f us", side.name(),
          config.rate(), r.latencyMicros(50), r.latencyMicros(99), r.latencyMicros(100));
    }
    metrics.addAll(latencyMetrics(latency.get(relaybus.name()), latency.get(raw.name())));

    Map<String, String> sides = new LinkedHashMap<>();
    sides.put("relaybus", relaybus.description() + (busSettings.isEmpty() ? ""
        : ", settings " + busSettings));
    sides.put("raw", raw.description() + (rawSettings.isEmpty() ? ""
        : ", settings " + rawSettings));
    return new Report(config.transport(), started.toString(), environment(loadAtStart),
        parameters(payload.length), sides, metrics, latencyDetails(latency));
  }

  private void warmUp(List<Scenario> scenarios, Side relaybus, Side raw,
      ConsumerSpec consumers) {
    // The JIT needs millions of events, not one run, before Relaybus's publish path reaches
    // its steady state (measured: about 3 million on a 2-core machine). The warm-up pushes
    // --warmup events through each scenario and side in runs of at most --events, in the same
    // interleaved order as the measured runs, so the code is compiled for the mix it will run.
    int rounds = (int) ((config.warmup() + config.events() - 1L) / config.events());
    for (int round = 0; round < rounds; round++) {
      long left = config.warmup() - (long) round * config.events();
      int events = (int) Math.min(config.events(), left);
      for (Scenario s : scenarios) {
        for (Side side : List.of(relaybus, raw)) {
          double rate = s.measure.run(side, events);
          if (round == rounds - 1) {
            log("warm-up %s %s: %d run(s), last %,.0f events/s", side.name(), s.key, rounds,
                rate);
          }
        }
      }
    }
    if (!config.latencyWarmup().isZero()) {
      for (Side side : List.of(relaybus, raw)) {
        LatencyResult r = Scenarios.fixedRateLatency(side, config.rate(),
            config.latencyWarmup(), config.spin(), consumers);
        log("warm-up %s latency: p99 %.1f us", side.name(), r.latencyMicros(99));
      }
    }
  }

  /** Runs every scenario {@code iterations} times per side, alternating which side goes first. */
  private List<Metric> measureThroughput(List<Scenario> scenarios, Side relaybus, Side raw) {
    Map<String, List<Double>> relaybusSamples = new LinkedHashMap<>();
    Map<String, List<Double>> rawSamples = new LinkedHashMap<>();
    for (int i = 0; i < config.iterations(); i++) {
      List<Side> order = i % 2 == 0 ? List.of(relaybus, raw) : List.of(raw, relaybus);
      for (Scenario s : scenarios) {
        for (Side side : order) {
          double value = s.measure.run(side, config.events());
          (side == relaybus ? relaybusSamples : rawSamples)
              .computeIfAbsent(s.key, k -> new ArrayList<>()).add(value);
          log("%s %s (%d/%d): %,.0f events/s", side.name(), s.key, i + 1, config.iterations(),
              value);
        }
      }
    }
    List<Metric> metrics = new ArrayList<>();
    for (Scenario s : scenarios) {
      metrics.add(Metric.of(s.key, s.label, Metric.EVENTS_PER_SECOND, true,
          relaybusSamples.get(s.key), rawSamples.get(s.key)));
    }
    return metrics;
  }

  private List<Metric> latencyMetrics(LatencyResult relaybus, LatencyResult raw) {
    List<Metric> metrics = new ArrayList<>();
    for (int p = 0; p < PERCENTILES.length; p++) {
      double percentile = PERCENTILES[p];
      metrics.add(Metric.of("latency." + PERCENTILE_KEYS[p],
          String.format(Locale.ROOT, "latency %s at %,d events/s (us)", PERCENTILE_LABELS[p],
              config.rate()),
          Metric.MICROSECONDS, false,
          List.of(relaybus.latencyMicros(percentile)), List.of(raw.latencyMicros(percentile))));
    }
    return metrics;
  }

  private static Map<String, Map<String, Object>> latencyDetails(
      Map<String, LatencyResult> latency) {
    Map<String, Map<String, Object>> details = new LinkedHashMap<>();
    latency.forEach((name, r) -> {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("events", r.latency().getTotalCount());
      d.put("meanMicros", r.latency().getMean() / 1_000d);
      d.put("sendLagP50Micros", r.sendLagMicros(50));
      d.put("sendLagP99Micros", r.sendLagMicros(99));
      d.put("sendLagMaxMicros", r.sendLagMicros(100));
      details.put(name, d);
    });
    return details;
  }

  private Map<String, Object> parameters(int payloadBytes) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("events", config.events());
    p.put("warmup", config.warmup());
    p.put("iterations", config.iterations());
    p.put("batch", config.batch());
    p.put("members", config.members());
    p.put("concurrency", config.concurrency());
    p.put("maxInFlight", config.maxInFlight());
    p.put("rate", config.rate());
    p.put("latencySeconds", seconds(config.duration()));
    p.put("latencyEvents", Math.max(1, Math.round(config.rate()
        * (config.duration().toNanos() / 1e9))));
    p.put("latencyWarmupSeconds", seconds(config.latencyWarmup()));
    p.put("spinMicros", config.spin().toNanos() / 1_000d);
    p.put("timeoutSeconds", seconds(config.timeout()));
    p.put("payloadBytes", payloadBytes);
    p.put("settings", config.settings());
    return p;
  }

  private static Map<String, Object> environment(double loadAtStart) {
    Runtime rt = Runtime.getRuntime();
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("javaRuntimeVersion", System.getProperty("java.runtime.version"));
    e.put("javaVendor", System.getProperty("java.vendor"));
    e.put("vmName", System.getProperty("java.vm.name"));
    e.put("osName", System.getProperty("os.name"));
    e.put("osVersion", System.getProperty("os.version"));
    e.put("osArch", System.getProperty("os.arch"));
    e.put("availableProcessors", rt.availableProcessors());
    e.put("maxHeapMiB", rt.maxMemory() / (1024 * 1024));
    e.put("jvmArguments", ManagementFactory.getRuntimeMXBean().getInputArguments());
    // Other processes on a small machine move every number: the load tells a reader whether
    // the run had the machine to itself.
    e.put("loadAverageAtStart", loadAtStart);
    e.put("loadAverageAtEnd", loadAverage());
    return e;
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private void log(String format, Object... args) {
    progress.println("[" + config.transport() + "] " + String.format(Locale.ROOT, format, args));
  }

  /** A throughput measurement applied to either side. */
  private record Scenario(String key, String label, Throughput measure) {}

  /** Measures events per second of one side for a number of events. */
  @FunctionalInterface
  private interface Throughput {
    double run(Side side, int events);
  }
}
