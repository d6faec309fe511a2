package io.relaybus.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The command line of a benchmark run, every value checked.
 *
 * @param transport the {@link TransportTarget} name
 * @param events events per throughput measurement
 * @param warmup warm-up events per throughput scenario and side, pushed through in runs of at
 *     most {@code events} (0 skips the warm-up)
 * @param iterations measured runs of each throughput scenario; the report gives the median
 * @param batch events per {@code publishAll} (and the window of outstanding single publishes)
 * @param members members of the consumer group
 * @param concurrency handler threads per member
 * @param maxInFlight unfinished events per member, at least {@code concurrency}
 * @param rate events per second of the latency run
 * @param duration length of the measured latency run
 * @param latencyWarmup length of the latency warm-up run (zero skips it)
 * @param spin how long before each intended send time the latency publisher stops parking and
 *     spins (zero: park only)
 * @param timeout bound of every wait in one measurement
 * @param json where to write the JSON report, or {@code null} for the default path
 * @param settings {@code --set} keys: {@code relaybus.*} go to the bus, the rest to the raw
 *     baseline
 */
public record BenchmarkConfig(String transport, int events, int warmup, int iterations,
    int batch, int members, int concurrency, int maxInFlight, int rate, Duration duration,
    Duration latencyWarmup, Duration spin, Duration timeout, Path json,
    Map<String, String> settings) {

  /** The usage text printed by {@code --help} and on a bad argument. */
  public static final String USAGE = String.join("\n",
      "Usage: java -jar relaybus-benchmarks.jar [options]",
      "",
      "Measures a Relaybus transport and its raw client in the same run: publish throughput",
      "(single and batched), end-to-end throughput through one consumer group, and latency",
      "percentiles at a fixed publish rate. Prints a Markdown table and writes a JSON report.",
      "",
      "  --transport NAME      transport to measure (default memory)",
      "  --events N            events per throughput measurement (default 200000)",
      "  --warmup N            warm-up events per throughput scenario and side, in runs of",
      "                        at most --events (default 3000000)",
      "  --iterations N        measured runs per throughput scenario, median reported (default 5)",
      "  --batch N             events per publishAll; also the window of joined single",
      "                        publishes (default 100)",
      "  --members N           members of the consumer group (default 1)",
      "  --concurrency N       handler threads per member (default 1)",
      "  --max-in-flight N     unfinished events per member, >= concurrency",
      "                        (default max(64, concurrency))",
      "  --rate N              events/s of the latency run (default 5000)",
      "  --duration SECONDS    length of the measured latency run (default 10)",
      "  --latency-warmup S    length of the latency warm-up run, 0 to skip (default 2)",
      "  --spin-micros N       latency publisher parks until N us before each send time, then",
      "                        spins: removes the timer overshoot, costs a core (default 0)",
      "  --timeout SECONDS     bound of every wait in one measurement (default 120)",
      "  --json PATH           JSON report (default benchmarks/results/<transport>-<timestamp>.json)",
      "  --set KEY=VALUE       transport setting, repeatable: relaybus.* keys configure the bus,",
      "                        other keys the raw baseline (memory: raw.queue=linked|array,",
      "                        raw.queue.capacity=N)",
      "  --help                this text");

  /**
   * Validates the components.
   *
   * @param transport the transport
   * @param events at least 1
   * @param warmup at least 0
   * @param iterations at least 1
   * @param batch at least 1
   * @param members at least 1
   * @param concurrency at least 1
   * @param maxInFlight at least concurrency
   * @param rate at least 1
   * @param duration positive
   * @param latencyWarmup zero or positive
   * @param spin zero or positive
   * @param timeout positive
   * @param json the path or {@code null}
   * @param settings the settings
   */
  public BenchmarkConfig {
    Objects.requireNonNull(transport, "transport");
    requireAtLeast("--events", events, 1);
    requireAtLeast("--warmup", warmup, 0);
    requireAtLeast("--iterations", iterations, 1);
    requireAtLeast("--batch", batch, 1);
    requireAtLeast("--members", members, 1);
    requireAtLeast("--concurrency", concurrency, 1);
    requireAtLeast("--rate", rate, 1);
    if (maxInFlight < concurrency) {
      throw new IllegalArgumentException("--max-in-flight (" + maxInFlight
          + ") must be >= --concurrency (" + concurrency + ")");
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("--duration must be positive, got " + duration);
    }
    if (latencyWarmup.isNegative()) {
      throw new IllegalArgumentException("--latency-warmup must not be negative");
    }
    if (spin.isNegative()) {
      throw new IllegalArgumentException("--spin-micros must not be negative");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("--timeout must be positive, got " + timeout);
    }
    settings = Map.copyOf(settings);
  }

  /**
   * Parses the command line.
   *
   * @param args {@code --name value} pairs
   * @return the configuration
   * @throws IllegalArgumentException naming the first bad option
   */
  public static BenchmarkConfig parse(String... args) {
    String transport = "memory";
    int events = 200_000;
    int warmup = 3_000_000;
    int iterations = 5;
    int batch = 100;
    int members = 1;
    int concurrency = 1;
    Integer maxInFlight = null;
    int rate = 5_000;
    Duration duration = Duration.ofSeconds(10);
    Duration latencyWarmup = Duration.ofSeconds(2);
    Duration spin = Duration.ZERO;
    Duration timeout = Duration.ofSeconds(120);
    Path json = null;
    Map<String, String> settings = new LinkedHashMap<>();

    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (!option.startsWith("--")) {
        throw new IllegalArgumentException("Unexpected argument '" + option + "'");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--transport": transport = value.trim(); break;
        case "--events": events = integer(option, value); break;
        case "--warmup": warmup = integer(option, value); break;
        case "--iterations": iterations = integer(option, value); break;
        case "--batch": batch = integer(option, value); break;
        case "--members": members = integer(option, value); break;
        case "--concurrency": concurrency = integer(option, value); break;
        case "--max-in-flight": maxInFlight = integer(option, value); break;
        case "--rate": rate = integer(option, value); break;
        case "--duration": duration = seconds(option, value); break;
        case "--latency-warmup": latencyWarmup = seconds(option, value); break;
        case "--spin-micros": spin = Duration.ofNanos(integer(option, value) * 1_000L); break;
        case "--timeout": timeout = seconds(option, value); break;
        case "--json": json = Path.of(value); break;
        case "--set": {
          int eq = value.indexOf('=');
          if (eq < 1) {
            throw new IllegalArgumentException("--set needs KEY=VALUE, got '" + value + "'");
          }
          settings.put(value.substring(0, eq).trim(), value.substring(eq + 1).trim());
          break;
        }
        default:
          throw new IllegalArgumentException("Unknown option " + option);
      }
    }
    return new BenchmarkConfig(transport, events, warmup, iterations, batch, members,
        concurrency, maxInFlight != null ? maxInFlight : Math.max(64, concurrency), rate,
        duration, latencyWarmup, spin, timeout, json, settings);
  }

  /**
   * The consumer group every end-to-end and latency measurement uses.
   *
   * @return members, concurrency and in-flight limit
   */
  public ConsumerSpec consumers() {
    return new ConsumerSpec(members, concurrency, maxInFlight);
  }

  private static void requireAtLeast(String option, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(option + " must be >= " + min + ", got " + value);
    }
  }

  private static int integer(String option, String value) {
    try {
      return Integer.parseInt(value.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs an integer, got '" + value + "'");
    }
  }

  private static Duration seconds(String option, String value) {
    try {
      double s = Double.parseDouble(value.trim());
      if (Double.isNaN(s) || Double.isInfinite(s)) {
        throw new NumberFormatException(value);
      }
      return Duration.ofNanos(Math.round(s * 1e9));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number of seconds, got '" + value
          + "'");
    }
  }
}
