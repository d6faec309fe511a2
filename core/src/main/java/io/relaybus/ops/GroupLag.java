package io.relaybus.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * How far behind a consumer group is on a topic.
 *
 * @param topic the topic
 * @param group the group
 * @param depth events published and not yet finished by the group (acknowledged or
 *     dead-lettered), over all partitions
 * @param age how long ago the oldest unfinished event was published, {@link Duration#ZERO} when
 *     there is none; the largest of the partitions' ages
 * @param partitions the lag of each partition, by partition number
 * @param measuredAt when it was measured
 */
public record GroupLag(String topic, String group, long depth, Duration age,
    List<PartitionLag> partitions, Instant measuredAt) {

  /**
   * Validates the components.
   *
   * @param topic the topic
   * @param group the group
   * @param depth the depth
   * @param age the age
   * @param partitions the partitions
   * @param measuredAt the time of measuring
   */
  public GroupLag {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(age, "age");
    partitions = List.copyOf(partitions);
    Objects.requireNonNull(measuredAt, "measuredAt");
    if (depth < 0 || age.isNegative()) {
      throw new IllegalArgumentException("depth and age must not be negative: " + depth + ", "
          + age);
    }
  }

  /**
   * Sums partitions into a group's lag.
   *
   * @param topic the topic
   * @param group the group
   * @param partitions each partition's lag
   * @param measuredAt when they were measured
   * @return the total: the sum of the depths and the largest age
   */
  public static GroupLag of(String topic, String group, List<PartitionLag> partitions,
      Instant measuredAt) {
    long depth = 0;
    Duration age = Duration.ZERO;
    for (PartitionLag p : partitions) {
      depth += p.depth();
      if (p.age().compareTo(age) > 0) {
        age = p.age();
      }
    }
    return new GroupLag(topic, group, depth, age, partitions, measuredAt);
  }
}
