package io.relaybus.kafka;

import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Derives a partition count from measured throughput and handling time with Little's law.
 *
 * <p>At a publish rate {@code λ} (events per second) and a mean handling time {@code W}
 * (seconds per event), {@code L = λ·W} events are in service at once on average. A partition
 * is owned by one member of a group, so a group can spread its work over at most as many
 * members as there are partitions; each partition serves at most {@code s} events at once
 * ({@code eventsInServicePerPartition}: 1 when every event of a partition must wait for the
 * previous one, as with a classic Kafka consumer; more when a member runs several keys of a
 * partition concurrently, as Relaybus does within its per-key lanes). Keeping each partition at
 * a target utilisation {@code ρ} below 1 leaves headroom for bursts, retries and a rebalance:
 *
 * <pre>   partitions = ceil(λ · W · growth / (ρ · s))</pre>
 *
 * <p>Choose the count once, generously (growth factor), because raising it later remaps keys
 * (see {@link KafkaTransport#increasePartitions(String, int)}). Every advice is logged at INFO.
 * Stateless and thread-safe.
 */
public final class PartitionAdvisor {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionAdvisor.class);

  /** The largest count this advisor returns; beyond it, split the topic instead. */
  public static final int MAX_PARTITIONS = 10_000;

  /** Absorbs floating-point noise such as 2.0000000000000004 partitions. */
  private static final double EPSILON = 1e-9;

  private PartitionAdvisor() {}

  /**
   * Advises a partition count for strictly ordered partitions (one event in service per
   * partition) and no growth allowance.
   *
   * @param eventsPerSecond the measured publish rate, zero or more
   * @param meanHandlingTime the measured mean handling time per event, zero or more
   * @param targetUtilisation the share of each partition's capacity to use, in (0, 1]
   * @return the advice
   * @throws IllegalArgumentException naming the bad argument, or when more than
   *     {@link #MAX_PARTITIONS} would be needed
   */
  public static PartitionAdvice advise(double eventsPerSecond, Duration meanHandlingTime,
      double targetUtilisation) {
    return advise(eventsPerSecond, meanHandlingTime, targetUtilisation, 1, 1.0);
  }

  /**
   * Advises a partition count.
   *
   * @param eventsPerSecond the measured publish rate, zero or more
   * @param meanHandlingTime the measured mean handling time per event, zero or more
   * @param targetUtilisation the share of each partition's capacity to use, in (0, 1]
   * @param eventsInServicePerPartition how many events of one partition are handled at once,
   *     at least 1
   * @param growthFactor expected growth of the rate over the topic's life, at least 1
   * @return the advice
   * @throws IllegalArgumentException naming the bad argument, or when more than
   *     {@link #MAX_PARTITIONS} would be needed
   */
  public static PartitionAdvice advise(double eventsPerSecond, Duration meanHandlingTime,
      double targetUtilisation, int eventsInServicePerPartition, double growthFactor) {
    if (!(eventsPerSecond >= 0) || Double.isInfinite(eventsPerSecond)) {
      throw new IllegalArgumentException("eventsPerSecond must be a finite number >= 0, got "
          + eventsPerSecond);
    }
    if (meanHandlingTime == null || meanHandlingTime.isNegative()) {
      throw new IllegalArgumentException("meanHandlingTime must be zero or positive, got "
          + meanHandlingTime);
    }
    if (!(targetUtilisation > 0 && targetUtilisation <= 1)) {
      throw new IllegalArgumentException("targetUtilisation must be in (0, 1], got "
          + targetUtilisation);
    }
    if (eventsInServicePerPartition < 1) {
      throw new IllegalArgumentException("eventsInServicePerPartition must be at least 1, got "
          + eventsInServicePerPartition);
    }
    if (!(growthFactor >= 1) || Double.isInfinite(growthFactor)) {
      throw new IllegalArgumentException("growthFactor must be a finite number >= 1, got "
          + growthFactor);
    }
    double seconds = meanHandlingTime.toNanos() / 1e9;
    double offeredLoad = eventsPerSecond * seconds;
    double needed = offeredLoad * growthFactor / (targetUtilisation * eventsInServicePerPartition);
    double rounded = Math.ceil(needed - EPSILON);
    if (rounded > MAX_PARTITIONS) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "%.0f events/s handled in "
          + "%s each need %.0f partitions at utilisation %.2f, more than %d: make handling "
          + "cheaper, handle more events per partition at once, or split the topic",
          eventsPerSecond, meanHandlingTime, rounded, targetUtilisation, MAX_PARTITIONS));
    }
    int partitions = Math.max(1, (int) rounded);
    double utilisation = offeredLoad * growthFactor / ((double) partitions
        * eventsInServicePerPartition);
    String explanation = String.format(Locale.ROOT, "%d partition(s): %.3f events/s x %.6f s "
        + "= %.3f events in service (Little's law), x growth %.2f / (target utilisation %.2f x "
        + "%d in service per partition) = %.3f, rounded up; expected utilisation %.2f",
        partitions, eventsPerSecond, seconds, offeredLoad, growthFactor, targetUtilisation,
        eventsInServicePerPartition, needed, utilisation);
    LOG.info("Partition advice: {}", explanation);
    return new PartitionAdvice(partitions, offeredLoad, utilisation, explanation);
  }

  /**
   * A measured rate: events counted over a window.
   *
   * @param events how many events were published in the window, zero or more
   * @param window the window, positive
   * @return events per second
   * @throws IllegalArgumentException when an argument is out of range
   */
  public static double rate(long events, Duration window) {
    if (events < 0) {
      throw new IllegalArgumentException("events must be >= 0, got " + events);
    }
    if (window == null || window.isZero() || window.isNegative()) {
      throw new IllegalArgumentException("window must be positive, got " + window);
    }
    return events / (window.toNanos() / 1e9);
  }
}
