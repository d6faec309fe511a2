package io.relaybus.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * The benchmark program: measures one transport and its raw client in the same run, prints a
 * Markdown table to standard output, progress to standard error, and writes a JSON report.
 *
 * <pre>
 * ./mvnw -q -B -DskipTests -pl benchmarks -am package
 * java -jar benchmarks/target/relaybus-benchmarks.jar --transport memory
 * </pre>
 *
 * <p>See {@link BenchmarkConfig#USAGE} for the options.
 */
public final class BenchmarkMain {
  private static final DateTimeFormatter FILE_STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  private BenchmarkMain() {}

  /**
   * Runs the benchmark from the command line. Exits with 2 on a bad argument and 1 when a
   * measurement fails.
   *
   * @param args the options; {@code --help} lists them
   */
  public static void main(String[] args) {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.println(BenchmarkConfig.USAGE);
      return;
    }
    BenchmarkConfig config;
    try {
      config = BenchmarkConfig.parse(args);
      TransportTargets.find(config.transport());
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println();
      System.err.println(BenchmarkConfig.USAGE);
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
   * Runs every scenario, prints the Markdown report to {@code out} and writes the JSON report.
   *
   * @param config the run's configuration
   * @param out where the Markdown report goes
   * @param progress where progress lines go
   * @return the report
   * @throws IOException when the JSON report cannot be written
   * @throws BenchmarkException when a measurement fails or times out
   */
  public static Report run(BenchmarkConfig config, PrintStream out, PrintStream progress)
      throws IOException {
    Report report = new BenchmarkRunner(config, progress).run();
    Path json = config.json() != null ? config.json() : defaultJsonPath(report);
    report.writeJson(json);
    out.println(report.toMarkdown());
    out.println("JSON report: " + json);
    return report;
  }

  private static Path defaultJsonPath(Report report) {
    String stamp = ZonedDateTime.parse(report.timestamp()).withZoneSameInstant(ZoneOffset.UTC)
        .format(FILE_STAMP);
    return Path.of("benchmarks", "results", report.transport() + "-" + stamp + ".json");
  }
}
