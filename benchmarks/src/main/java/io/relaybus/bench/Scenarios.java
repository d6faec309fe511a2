package io.relaybus.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The three measurements, written once against {@link MessagingSession} so that Relaybus and
 * the raw client run the same workload. Each opens a fresh session (new topic) and closes it;
 * every wait is bounded by the side's timeout.
 */
final class Scenarios {
  /** Latencies above this are recorded as this (a stuck run fails on its timeout anyway). */
  static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final int SIGNIFICANT_DIGITS = 3;

  private Scenarios() {}

  /**
   * Publish throughput with no consumer attached: how fast the transport accepts events.
   *
   * @param batch 1 for single publishes (futures joined per window), more for batches
   * @return events per second, from the first publish until every publish is accepted
   */
  static double publishThroughput(Side side, int events, int batch) {
    try (MessagingSession session = side.open()) {
      long start = System.nanoTime();
      publish(session, start, events, batch);
      session.awaitPublished(side.timeout());
      return perSecond(events, System.nanoTime() - start);
    }
  }

  /**
   * End-to-end throughput: one consumer group handles {@code events} published in batches.
   *
   * @return events per second, from the first publish until the last event is handled
   */
  static double endToEndThroughput(Side side, int events, int batch, ConsumerSpec consumers) {
    Completion completion = new Completion(events);
    try (MessagingSession session = side.open()) {
      session.startConsumers(consumers, stamp -> completion.handled());
      long start = System.nanoTime();
      publish(session, start, events, batch);
      session.awaitPublished(side.timeout());
      long end = completion.await(side.timeout(), side.name() + " end-to-end throughput");
      return perSecond(events, end - start);
    }
  }

  /**
   * Latency at a fixed publish rate, single publishes, measured from each event's intended send
   * time to its handling.
   *
   * @param spin how long before each send time the publisher stops parking and spins
   *
   * @return the latency and send-lag histograms
   */
  static LatencyResult fixedRateLatency(Side side, int rate, Duration duration,
      Duration spin, ConsumerSpec consumers) {
    long events = Math.max(1, Math.round(rate * (duration.toNanos() / 1e9)));
    Recorder latency = new Recorder(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    Histogram sendLag = new Histogram(HIGHEST_TRACKABLE_NANOS, SIGNIFICANT_DIGITS);
    Completion completion = new Completion(events);
    try (MessagingSession session = side.open()) {
      session.startConsumers(consumers, stamp -> {
        latency.recordValue(clamp(System.nanoTime() - stamp));
        completion.handled();
      });
      Pacer pacer = new Pacer(System.nanoTime(), rate, spin.toNanos());
      for (long i = 0; i < events; i++) {
        long intended = pacer.awaitNext();
        sendLag.recordValue(clamp(System.nanoTime() - intended));
        session.publish(intended);
      }
      session.awaitPublished(side.timeout());
      completion.await(side.timeout(), side.name() + " latency at " + rate + " events/s");
      return new LatencyResult(latency.getIntervalHistogram(), sendLag);
    }
  }

  private static void publish(MessagingSession session, long stamp, int events, int batch) {
    if (batch <= 1) {
      for (int i = 0; i < events; i++) {
        session.publish(stamp);
      }
    } else {
      for (int sent = 0; sent < events; sent += batch) {
        session.publishBatch(stamp, Math.min(batch, events - sent));
      }
    }
  }

  private static long clamp(long nanos) {
    return Math.max(0, Math.min(HIGHEST_TRACKABLE_NANOS, nanos));
  }

  private static double perSecond(long events, long nanos) {
    return events * 1e9 / Math.max(1, nanos);
  }
}
