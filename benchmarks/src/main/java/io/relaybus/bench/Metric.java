package io.relaybus.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One row of the report: the same measurement for Relaybus and for the raw client.
 *
 * @param key a stable identifier, such as {@code publish.single} or {@code latency.p99}
 * @param label the row's text in the Markdown table
 * @param unit {@code events/s} or {@code us} (microseconds)
 * @param higherIsBetter whether a larger value is better (throughput) or worse (latency)
 * @param relaybus the Relaybus value (the median of its samples)
 * @param raw the raw client's value (the median of its samples)
 * @param ratio relaybus divided by raw
 * @param relaybusSamples every measured Relaybus value
 * @param rawSamples every measured raw value
 */
public record Metric(String key, String label, String unit, boolean higherIsBetter,
    double relaybus, double raw, double ratio, List<Double> relaybusSamples,
    List<Double> rawSamples) {

  /** Throughput unit. */
  public static final String EVENTS_PER_SECOND = "events/s";
  /** Latency unit. */
  public static final String MICROSECONDS = "us";

  /**
   * Validates the components.
   *
   * @param key the key
   * @param label the label
   * @param unit the unit
   * @param higherIsBetter the direction
   * @param relaybus the Relaybus value
   * @param raw the raw value
   * @param ratio the ratio
   * @param relaybusSamples the Relaybus samples
   * @param rawSamples the raw samples
   */
  public Metric {
    relaybusSamples = List.copyOf(relaybusSamples);
    rawSamples = List.copyOf(rawSamples);
  }

  /**
   * Builds a metric from samples, reporting the median of each side.
   *
   * @param key the key
   * @param label the label
   * @param unit the unit
   * @param higherIsBetter the direction
   * @param relaybusSamples at least one Relaybus value
   * @param rawSamples at least one raw value
   * @return the metric
   */
  public static Metric of(String key, String label, String unit, boolean higherIsBetter,
      List<Double> relaybusSamples, List<Double> rawSamples) {
    double relaybus = median(relaybusSamples);
    double raw = median(rawSamples);
    return new Metric(key, label, unit, higherIsBetter, relaybus, raw,
        raw == 0 ? Double.NaN : relaybus / raw, relaybusSamples, rawSamples);
  }

  /**
   * Formats a value of this metric for the table.
   *
   * @param value the value
   * @return the value with thousands separators
   */
  public String format(double value) {
    return EVENTS_PER_SECOND.equals(unit)
        ? String.format(Locale.ROOT, "%,.0f", value)
        : String.format(Locale.ROOT, "%,.1f", value);
  }

  static double median(List<Double> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    List<Double> sorted = new ArrayList<>(samples);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
