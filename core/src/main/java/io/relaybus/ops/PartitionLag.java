package io.relaybus.ops;

import java.time.Duration;
import java.util.Objects;

/**
 * How far behind a group is on one partition.
 *
 * @param partition the partition number (0 on transports without partitions)
 * @param depth events of the partition the group has not finished
 * @param age how long ago the oldest of them was published; {@link Duration#ZERO} when none
 */
public record PartitionLag(int partition, long depth, Duration age) {

  /**
   * Validates the components.
   *
   * @param partition the partition
   * @param depth the depth
   * @param age the age
   */
  public PartitionLag {
    Objects.requireNonNull(age, "age");
    if (partition < 0 || depth < 0 || age.isNegative()) {
      throw new IllegalArgumentException("partition, depth and age must not be negative: "
          + partition + ", " + depth + ", " + age);
    }
  }
}
