package io.relaybus.bench;

import org.HdrHistogram.Histogram;

/**
 * The outcome of a fixed-rate latency run.
 *
 * @param latency nanoseconds from each event's intended send time to its handling
 * @param sendLag nanoseconds the publisher sent after the intended time (its own timer and
 *     publish cost; already included in {@code latency})
 */
record LatencyResult(Histogram latency, Histogram sendLag) {

  /** A percentile of the latency in microseconds; 100 gives the maximum. */
  double latencyMicros(double percentile) {
    return micros(latency, percentile);
  }

  /** A percentile of the send lag in microseconds; 100 gives the maximum. */
  double sendLagMicros(double percentile) {
    return micros(sendLag, percentile);
  }

  private static double micros(Histogram h, double percentile) {
    long nanos = percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
    return nanos / 1_000d;
  }
}
